import { show, evalFails } from "../cel/testing/helpers";

describe("cel strings", () => {
  it("measures size in code points, bytes in bytes", () => {
    expect(show("size('a🐱é')")).toBe("3");
    expect(show("size(b'a🐱')")).toBe("5");
  });
  it("tests contains, startsWith and endsWith", () => {
    expect(show("'tacocat'.contains('coc') && 'tacocat'.startsWith('ta') && 'tacocat'.endsWith('at')")).toBe("true");
  });
  it("indexes charAt by code point, with the end giving ''", () => {
    expect(show("'🐱ab'.charAt(1)")).toBe("a");
    expect(show("'ab'.charAt(2)")).toBe("");
    expect(evalFails("'ab'.charAt(3)")).toBe(true);
  });
  it("returns code point offsets from indexOf and lastIndexOf", () => {
    expect(show("'🐱a🐱a'.indexOf('a')")).toBe("1");
    expect(show("'🐱a🐱a'.lastIndexOf('a')")).toBe("3");
    expect(show("'abcabc'.indexOf('c', 3)")).toBe("5");
    expect(show("'abcabc'.lastIndexOf('a', 2)")).toBe("0");
  });
  it("rejects an indexOf start beyond the string", () => {
    expect(evalFails("'abc'.indexOf('a', 4)")).toBe(true);
  });
  it("takes substrings by code point and checks the range", () => {
    expect(show("'a🐱cd'.substring(1, 3)")).toBe("🐱c");
    expect(show("'abc'.substring(1)")).toBe("bc");
    expect(evalFails("'abc'.substring(2, 1)")).toBe(true);
  });
  it("changes ASCII case only", () => {
    expect(show("'TacoCÆt'.lowerAscii()")).toBe("tacocÆt");
    expect(show("'tacoCαt'.upperAscii()")).toBe("TACOCαT");
  });
  it("trims Unicode whitespace", () => {
    expect(show("' \\t\\u00a0text\\u3000 '.trim()")).toBe("text");
  });
  it("replaces all occurrences, or the first n", () => {
    expect(show("'a-b-c'.replace('-', '+')")).toBe("a+b+c");
    expect(show("'a-b-c'.replace('-', '+', 1)")).toBe("a+b-c");
  });
  it("splits with an optional limit", () => {
    expect(show("'a,b,,c'.split(',')")).toBe("[a, b, , c]");
    expect(show("'a,b,c'.split(',', 2)")).toBe("[a, b,c]");
    expect(show("'a,b'.split(',', 0)")).toBe("[]");
    expect(show("'ab'.split('')")).toBe("[a, b]");
  });
  it("finds a piece of a split string without building it", () => {
    expect(show("'paid,free'.split(',').exists(g, g == 'free')")).toBe("true");
    expect(show("'free' in 'paid,gold'.split(',')")).toBe("false");
  });
  it("joins a list of strings", () => {
    expect(show("['a', 'b'].join('-') + ['c'].join()")).toBe("a-bc");
    expect(evalFails("[1].join()")).toBe(true);
  });
  it("reverses by code point", () => {
    expect(show("'ab🐱'.reverse()")).toBe("🐱ba");
  });
  it("quotes a string as a CEL literal", () => {
    expect(show("strings.quote('a\"b\\n')")).toBe("\"a\\\"b\\n\"");
  });
  it("rejects string functions on other types", () => {
    expect(evalFails("42.startsWith('4')")).toBe(true);
    expect(evalFails("'a'.substring('1')")).toBe(true);
  });
});

describe("cel conversions", () => {
  it("converts between numbers with range checks", () => {
    expect(show("int(2.9) + int(-2.9) + int(3u)")).toBe("3");
    expect(evalFails("int(1e19)")).toBe(true);
    expect(evalFails("uint(-1)")).toBe(true);
    expect(evalFails("int(18446744073709551615u)")).toBe(true);
  });
  it("parses strings strictly", () => {
    expect(show("int('-42') + int(uint('7'))")).toBe("-35");
    expect(evalFails("int('4x')")).toBe(true);
    expect(show("double('1e3')")).toBe("1000");
    expect(evalFails("double('1e')")).toBe(true);
  });
  it("prints doubles like cel-go", () => {
    expect(show("string(123.456) + ' ' + string(-4.5e-3) + ' ' + string(1e21) + ' ' + string(100000.0)")).toBe("123.456 -0.0045 1e+21 100000");
  });
  it("converts between strings and bytes, checking UTF-8", () => {
    expect(show("string(bytes('é'))")).toBe("é");
    expect(evalFails("string(b'\\xff')")).toBe(true);
  });
  it("accepts the documented bool spellings", () => {
    expect(show("bool('t') && bool('TRUE') && !bool('0')")).toBe("true");
    expect(evalFails("bool('yes')")).toBe(true);
  });
});

describe("cel format", () => {
  it("formats bytes with %s keeping every byte: each run of invalid UTF-8 becomes one U+FFFD", () => {
    expect(show("'%s'.format([b'a\\xffb'])")).toBe("a\uFFFDb");
    expect(show("'%s'.format([b\"\\xF0abc\\x8C\\xF0xyz\"])")).toBe("\uFFFDabc\uFFFDxyz");
    expect(show("'%s'.format([b'\\xe2\\x82\\xac\\xe2\\x82'])")).toBe("\u20AC\uFFFD");
    expect(show("b'a\\xffb'")).toBe("a\uFFFDb");
  });
  it("refuses to format a value whose shared sub-values are past the work bound", () => {
    let expr = "['alice']";
    for (let i = 0; i < 24; i++) expr += ".map(x, [x, x])";
    expect(evalFails("'%s'.format([" + expr + "])")).toBe(true);
    expect(show(expr)).toBe("");
  });
  it("substitutes %s with plain text of any value", () => {
    expect(show("'%s|%s|%s|%s'.format(['a', 1, [1.5, null], {'k': true}])")).toBe("a|1|[1.5, null]|{k: true}");
  });
  it("formats integers in decimal, hex, octal and binary", () => {
    expect(show("'%d %x %X %o %b'.format([-5, 255, 255, 8, 5])")).toBe("-5 ff FF 10 101");
  });
  it("rounds %f and %e half to even on the exact value", () => {
    expect(show("'%.0f %.0f %.2f %.3e'.format([2.5, 3.5, 1.005, 1052.5])")).toBe("2 4 1.00 1.052e+03");
  });
  it("reports a missing argument and an unknown clause", () => {
    expect(evalFails("'%s %s'.format(['a'])")).toBe(true);
    expect(evalFails("'%q'.format([1])")).toBe(true);
  });
  it("writes %% as a percent sign", () => {
    expect(show("'100%%'.format([])")).toBe("100%");
  });
});
