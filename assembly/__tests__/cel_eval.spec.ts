import { compile, compileWith, CompileOptions, evaluate, evaluateBool, valueToString } from "../cel/index";
import { Value, Kind, MapValue } from "../cel/value";
import { MapResolver } from "../cel/resolver";
import { MAX_DEPTH } from "../cel/limits";
import { run, show, evalFails, compileError, compileKnown, RecordingResolver, map1 } from "../cel/testing/helpers";

describe("cel evaluation: arithmetic", () => {
  it("adds, multiplies and divides ints with truncation", () => {
    expect(show("7 / 2 + 3 * 4 - -1")).toBe("16");
  });
  it("reports int overflow as an error", () => {
    expect(evalFails("9223372036854775807 + 1")).toBe(true);
    expect(evalFails("-9223372036854775808 * -1")).toBe(true);
  });
  it("reports division and modulus by zero as errors", () => {
    expect(evalFails("1 / 0")).toBe(true);
    expect(evalFails("1u % 0u")).toBe(true);
  });
  it("reports uint underflow as an error", () => {
    expect(evalFails("0u - 1u")).toBe(true);
  });
  it("follows IEEE for doubles (division by zero is infinite)", () => {
    expect(run("1.0 / 0.0").d).toBe(Infinity);
  });
  it("rejects mixed int and uint arithmetic", () => {
    expect(evalFails("1 + 1u")).toBe(true);
  });
  it("concatenates strings, bytes and lists", () => {
    expect(show("'ab' + 'c'")).toBe("abc");
    expect(show("size(b'a' + b'bc')")).toBe("3");
    expect(show("[1] + [2, 3]")).toBe("[1, 2, 3]");
  });
});

describe("cel evaluation: equality and ordering", () => {
  it("compares numbers across int, uint and double", () => {
    expect(show("1 == 1u && 1u == 1.0 && 2 > 1.5 && 1u < 2")).toBe("true");
  });
  it("treats values of different types as unequal, not as an error", () => {
    expect(show("1 == 'a'")).toBe("false");
    expect(show("null != []")).toBe("true");
  });
  it("never equates NaN", () => {
    expect(show("double('NaN') == double('NaN')")).toBe("false");
  });
  it("compares lists and maps element-wise, maps ignoring order", () => {
    expect(show("[1, [2]] == [1.0, [2u]]")).toBe("true");
    expect(show("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}")).toBe("true");
  });
  it("orders strings by code point and bytes by byte", () => {
    expect(show("'a' < 'b' && 'Z' < 'a' && b'\\x01' < b'\\x02'")).toBe("true");
  });
  it("reports ordering between unrelated types as an error", () => {
    expect(evalFails("'a' < 1")).toBe(true);
  });
});

describe("cel evaluation: logic", () => {
  it("lets false absorb an error in &&, from either side", () => {
    expect(show("1/0 == 1 && false")).toBe("false");
    expect(show("false && 1/0 == 1")).toBe("false");
  });
  it("lets true absorb an error in ||, from either side", () => {
    expect(show("1/0 == 1 || true")).toBe("true");
    expect(show("true || 1/0 == 1")).toBe("true");
  });
  it("keeps the error when nothing decides", () => {
    expect(evalFails("1/0 == 1 && true")).toBe(true);
    expect(evalFails("false || 1/0 == 1")).toBe(true);
  });
  it("treats a non-bool operand of && as an error", () => {
    expect(evalFails("'x' && true")).toBe(true);
  });
  it("evaluates only the chosen branch of a conditional", () => {
    expect(show("true ? 1 : 1/0")).toBe("1");
  });
  it("rejects a non-bool condition", () => {
    expect(evalFails("1 ? 2 : 3")).toBe(true);
  });
});

describe("cel evaluation: collections", () => {
  it("indexes lists by int, uint and integral double", () => {
    expect(show("[1, 2, 3][1] + [1, 2, 3][2u] + [1, 2, 3][dyn(0.0)]")).toBe("6");
  });
  it("reports an out-of-range index as an error", () => {
    expect(evalFails("[1][1]")).toBe(true);
    expect(evalFails("[1][-1]")).toBe(true);
  });
  it("finds map keys by numeric value across int, uint and double", () => {
    expect(show("{1: 'a'}[1u] + {2u: 'b'}[2.0]")).toBe("ab");
  });
  it("reports a missing key as an error", () => {
    expect(evalFails("{'a': 1}['b']")).toBe(true);
    expect(evalFails("{'a': 1}.b")).toBe(true);
  });
  it("rejects duplicate and unsupported map keys", () => {
    expect(evalFails("{1: 1, 1u: 2}")).toBe(true);
    expect(evalFails("{1.5: 1}")).toBe(true);
  });
  it("tests membership in lists and maps", () => {
    expect(show("2 in [1, 2] && 'a' in {'a': 1} && !(3 in [1, 2])")).toBe("true");
  });
  it("tests field presence with has()", () => {
    expect(show("has({'a': 1}.a) && !has({'a': 1}.b)")).toBe("true");
  });
});

describe("cel evaluation: macros", () => {
  it("evaluates all and exists", () => {
    expect(show("[1, 2, 3].all(x, x > 0) && [1, 2, 3].exists(x, x == 2)")).toBe("true");
  });
  it("lets a deciding element absorb another element's error", () => {
    expect(show("[0, 1].exists(x, 1 / x == 1)")).toBe("true");
    expect(show("[0, 1].all(x, 1 / x == 2)")).toBe("false");
  });
  it("counts exactly one match with exists_one", () => {
    expect(show("[1, 2, 2].exists_one(x, x == 1)")).toBe("true");
    expect(show("[1, 2, 2].exists_one(x, x == 2)")).toBe("false");
  });
  it("maps and filters lists", () => {
    expect(show("[1, 2, 3].map(x, x * 10)")).toBe("[10, 20, 30]");
    expect(show("[1, 2, 3].filter(x, x % 2 == 1)")).toBe("[1, 3]");
    expect(show("[1, 2, 3].map(x, x > 1, x * 10)")).toBe("[20, 30]");
  });
  it("iterates map keys", () => {
    expect(show("{'a': 1, 'b': 2}.filter(k, k != 'a')")).toBe("[b]");
  });
  it("binds index and value in two-variable forms", () => {
    expect(show("['a', 'b'].all(i, v, i == 0 ? v == 'a' : v == 'b')")).toBe("true");
    expect(show("{'a': 1}.transformMap(k, v, v + 1)")).toBe("{a: 2}");
  });
  it("shadows an attribute with a macro variable", () => {
    const r = new MapResolver().set("x", Value.int(5));
    expect(show("[1].map(x, x + 1)[0] + x", r)).toBe("7");
  });
  it("stops a runaway comprehension with an error", () => {
    const nested = "[" + "0,".repeat(999) + "0]";
    expect(evalFails(nested + ".all(a, " + nested + ".all(b, " + nested + ".all(c, true)))")).toBe(true);
  });
});

describe("cel evaluation: attributes", () => {
  it("asks for the longest dotted name first, then shorter prefixes", () => {
    const r = new RecordingResolver().set("a", map1("b", map1("c", Value.string("yes"))));
    expect(show("a.b.c", r)).toBe("yes");
    expect(r.asked.join(" ")).toBe("a.b.c a.b a");
  });
  it("uses an attribute named with a dotted prefix", () => {
    const r = new MapResolver().set("request.auth.identity", map1("userid", Value.string("bob")));
    expect(show("request.auth.identity.userid", r)).toBe("bob");
  });
  it("asks only for the attributes the evaluation reaches", () => {
    const r = new RecordingResolver().set("request.path", Value.string("/"));
    expect(show("request.path == '/' || auth.identity.userid == 'x'", r)).toBe("true");
    expect(r.asked.join(" ")).toBe("request.path");
  });
  it("resolves an attribute once per evaluation", () => {
    const r = new RecordingResolver().set("x", Value.int(2));
    expect(show("x * x + x", r)).toBe("6");
    expect(r.asked.length).toBe(1);
  });
  it("binds names at compile time when the resolver's names are declared", () => {
    const c = compile("auth.identity.userid");
    expect(c.error).toBe("");
    expect(compileKnown("auth.identity.userid", ["auth.identity"], true)).toBe("");
    expect(compileKnown("nope.x", ["auth.identity"], true).includes("undeclared")).toBe(true);
  });
  it("reports a missing attribute as an error value", () => {
    expect(evalFails("missing.attribute")).toBe(true);
  });
  it("resolves type names to type values", () => {
    expect(show("type(1) == int && type('') == string && type(type) == type")).toBe("true");
  });
});

describe("cel evaluation: API", () => {
  it("returns -1 from evaluateBool for a non-bool result", () => {
    expect(evaluateBool(compile("1").program!, new MapResolver())).toBe(-1);
  });
  it("renders counter keys: strings raw, numbers in decimal", () => {
    expect(valueToString(run("'k'"))).toBe("k");
    expect(valueToString(run("-12"))).toBe("-12");
    expect(valueToString(run("18446744073709551615u"))).toBe("18446744073709551615");
    expect(valueToString(run("1.5"))).toBe("1.5");
    expect(valueToString(run("true"))).toBe("true");
    expect(valueToString(run("[1, 'a']"))).toBe("[1, a]");
  });
  it("rejects unknown functions and wrong argument counts at compile time", () => {
    expect(compileError("nosuch(1)").includes("undeclared function")).toBe(true);
    expect(compileError("'a'.startsWith()").includes("no matching overload")).toBe(true);
  });
  it("can be evaluated again with another resolver", () => {
    const p = compile("x + 1").program!;
    expect(evaluate(p, new MapResolver().set("x", Value.int(1))).i).toBe(2);
    expect(evaluate(p, new MapResolver().set("x", Value.int(5))).i).toBe(6);
  });
  it("evaluates the deepest accepted nesting without exhausting the stack", () => {
    let e = "x";
    let deepest = "";
    for (let i = 0; i < MAX_DEPTH; i++) {
      e = "[" + e + "].exists(v, v == 1 || size([v]) == 1)";
      if (compile(e).error == "") deepest = e;
    }
    expect(deepest.length > 100).toBe(true);
    const v = evaluate(compile(deepest).program!, new MapResolver().set("x", Value.int(1)));
    expect(v.kind).toBe(Kind.Bool);
  });
});

function hasPath(resolver: MapResolver): string {
  const o = new CompileOptions();
  o.knownNames = ["request.path", "request.headers"];
  o.onlyKnownNames = true;
  const r = compileWith("has(request.path)", o);
  if (r.program === null) return "compile error: " + r.error;
  const v = evaluate(r.program!, resolver);
  return v.kind == Kind.Bool ? (v.b ? "true" : "false") : "not a bool";
}
describe("has() on a known attribute", () => {
  it("is true when the attribute is present", () => {
    expect(hasPath(new MapResolver().set("request.path", Value.string("/v1")))).toBe("true");
  });
  it("is false when it is absent, without walking a parent that is not an attribute", () => {
    expect(hasPath(new MapResolver())).toBe("false");
  });
});

function sharedTree(levels: i32): Value {
  let v = Value.int(1);
  for (let l = 0; l < levels; l++) {
    const items = new Array<Value>();
    for (let i = 0; i < 10; i++) items.push(v);
    v = Value.list(items);
  }
  return v;
}

describe("values whose unshared size explodes", () => {
  it("have no text (a counter built from one fails instead of running away)", () => {
    expect(valueToString(sharedTree(20))).toBe("");
    expect(valueToString(sharedTree(2)).length).toBeGreaterThan(0);
  });
  it("make equality an error rather than a runaway comparison", () => {
    const r = new MapResolver().set("a", sharedTree(20)).set("b", sharedTree(20));
    expect(run("a == b", r).kind).toBe(Kind.Error);
    expect(run("a == a", new MapResolver().set("a", sharedTree(2))).b).toBe(true);
  });
  it("cannot be formatted with %s", () => {
    expect(run("'%s'.format([a])", new MapResolver().set("a", sharedTree(20))).kind).toBe(Kind.Error);
  });
});
