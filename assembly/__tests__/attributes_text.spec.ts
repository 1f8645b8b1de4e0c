// `attr == "literal"` and `!=` over a string attribute compare the attribute's bytes in
// place (cel EqText, RequestAttributes.text): the same answers as comparing the decoded
// string, one property read per request whichever way an expression reads it.
import { compileWith, evaluate, evaluateBool, CompileOptions, Program, Kind } from "../cel/index";
import { Op } from "../cel/plan";
import { RequestAttributes, AttributeOptions, knownAttributeNames } from "../attributes/request";
import { TableAttributeSource } from "../attributes/table_source";

const OPTIONS = ((): CompileOptions => {
  const o = new CompileOptions();
  o.knownNames = knownAttributeNames();
  o.onlyKnownNames = true;
  return o;
})();

function program(source: string): Program {
  const r = compileWith(source, OPTIONS);
  expect(r.error).toBe("", source);
  return r.program!;
}

function withPathBytes(bytes: ArrayBuffer): RequestAttributes {
  return new RequestAttributes(new TableAttributeSource().setProperty(["request", "url_path"], bytes), new AttributeOptions());
}

function withPath(path: string): RequestAttributes {
  return withPathBytes(String.UTF8.encode(path));
}

function bytesOf(values: Array<u8>): ArrayBuffer {
  const b = new ArrayBuffer(values.length);
  for (let i = 0; i < values.length; i++) store<u8>(changetype<usize>(b) + <usize>i, values[i]);
  return b;
}

// The same comparison through the general evaluator: `(x + "") == k` is not planned as EqText.
function general(op: string, literal: string): Program {
  return program('request.url_path + "" ' + op + ' "' + literal + '"');
}

describe("comparing a string attribute with a literal in place", () => {
  it("is planned as a byte comparison, and only when the attribute is read whole", () => {
    expect(program('request.url_path == "/v1/chat/completions"').root.op).toBe(Op.EqText);
    expect(program('"/v1/models" != request.url_path').root.op).toBe(Op.NeText);
    expect(program('request.url_path == "/a"').allocationFree).toBe(true);
    expect(program('request.headers["x"] == "a"').root.op).toBe(Op.EqStr);
    expect(program('request.headers["x"] == "a"').allocationFree).toBe(false);
  });
  it("tells equal from unequal paths, prefixes and longer paths included", () => {
    const eq = program('request.url_path == "/v1/chat/completions"');
    const ne = program('request.url_path != "/v1/chat/completions"');
    expect(evaluateBool(eq, withPath("/v1/chat/completions"))).toBe(1);
    expect(evaluateBool(ne, withPath("/v1/chat/completions"))).toBe(0);
    expect(evaluateBool(eq, withPath("/v1/models"))).toBe(0);
    expect(evaluateBool(eq, withPath("/v1/chat/completion"))).toBe(0);
    expect(evaluateBool(eq, withPath("/v1/chat/completions/"))).toBe(0);
    expect(evaluateBool(eq, withPath("/v1/chat/Completions"))).toBe(0);
    expect(evaluateBool(ne, withPath("/v1/models"))).toBe(1);
    expect(evaluateBool(program('request.url_path == ""'), withPath(""))).toBe(1);
  });
  it("is an error when the attribute is absent, as the general comparison is", () => {
    const a = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    const v = evaluate(program('request.url_path == "/v1"'), a);
    expect(v.kind).toBe(Kind.Error);
    expect(v.str).toBe("no such attribute: 'request.url_path'");
    expect(evaluateBool(program('request.url_path != "/v1"'), a)).toBe(-1);
  });
  it("gives the general evaluator's answer for bytes that are not ASCII, valid or not", () => {
    const cases: Array<ArrayBuffer> = [
      String.UTF8.encode("/v1/caf\u00e9"), String.UTF8.encode("/\u{1F600}"),
      bytesOf([0x2F, 0xC0, 0xAF]), bytesOf([0x2F, 0xFF]), bytesOf([0x2F, 0xE2, 0x82]), bytesOf([0xC0, 0xAF]),
    ];
    const literals = ["/v1/caf\u00e9", "/\u{1F600}", "//", "/", "/\u20AC", "/", "/\uFFFD"];
    for (let i = 0; i < cases.length; i++) {
      for (let j = 0; j < literals.length; j++) {
        for (let k = 0; k < 2; k++) {
          const op = k == 0 ? "==" : "!=";
          const fast = evaluateBool(program('request.url_path ' + op + ' "' + literals[j] + '"'), withPathBytes(cases[i]));
          const slow = evaluateBool(general(op, literals[j]), withPathBytes(cases[i]));
          expect(fast).toBe(slow, "case " + i.toString() + " literal " + j.toString() + " " + op);
        }
      }
    }
  });
  it("reads the attribute once per request, whether compared in place or as a value", () => {
    const src = new TableAttributeSource().setString("request.url_path", "/v1/chat/completions");
    const a = new RequestAttributes(src, new AttributeOptions());
    expect(evaluateBool(program('request.url_path == "/v1/chat/completions"'), a)).toBe(1);
    expect(evaluateBool(program('request.url_path != "/v1/models"'), a)).toBe(1);
    const v = evaluate(program("request.url_path"), a);
    expect(v.str).toBe("/v1/chat/completions");
    expect(evaluateBool(program('request.url_path.startsWith("/v1/")'), a)).toBe(1);
    expect(src.callsFor(["request", "url_path"])).toBe(1);
    // Read as a value first, then compared: still one read.
    const src2 = new TableAttributeSource().setString("request.url_path", "/v1/models");
    const b = new RequestAttributes(src2, new AttributeOptions());
    expect(evaluate(program("request.url_path"), b).str).toBe("/v1/models");
    expect(evaluateBool(program('request.url_path == "/v1/models"'), b)).toBe(1);
    expect(src2.callsFor(["request", "url_path"])).toBe(1);
  });
  it("forgets the last request's bytes when reset for the next", () => {
    const src = new TableAttributeSource().setString("request.url_path", "/v1/chat/completions");
    const a = new RequestAttributes(src, new AttributeOptions());
    const eq = program('request.url_path == "/v1/chat/completions"');
    expect(evaluateBool(eq, a)).toBe(1);
    src.setString("request.url_path", "/v1/models");
    a.reset(new AttributeOptions());
    expect(evaluateBool(eq, a)).toBe(0);
    expect(evaluate(program("request.url_path"), a).str).toBe("/v1/models");
    expect(src.callsFor(["request", "url_path"])).toBe(2);
  });
  it("keeps every attribute of a request apart, however long", () => {
    const long = "/" + "x".repeat(5000);
    const src = new TableAttributeSource().setString("request.url_path", long).setString("request.host", "llm.example")
      .setString("request.method", "POST");
    const a = new RequestAttributes(src, new AttributeOptions());
    expect(evaluateBool(program('request.host == "llm.example"'), a)).toBe(1);
    expect(evaluateBool(program('request.url_path == "' + long + '"'), a)).toBe(1);
    expect(evaluateBool(program('request.method == "POST"'), a)).toBe(1);
    expect(evaluateBool(program('request.host == "llm.example"'), a)).toBe(1);
    expect(evaluate(program("request.host"), a).str).toBe("llm.example");
    expect(evaluate(program("request.url_path"), a).str).toBe(long);
  });
  it("counts the values a request made, for pacing collections", () => {
    const src = new TableAttributeSource().setString("request.url_path", "/v1/models").addHeader("x-tenant", "acme");
    const a = new RequestAttributes(src, new AttributeOptions());
    evaluateBool(program('request.url_path == "/v1/chat/completions"'), a);
    expect(a.allocationUnits()).toBe(0);
    evaluateBool(program('request.headers["x-tenant"] == "acme"'), a);
    expect(a.allocationUnits()).toBeGreaterThan(0);
    a.reset(new AttributeOptions());
    expect(a.allocationUnits()).toBe(0);
  });
});

// The proxy computes request.path and request.url_path from the `:path` header; a source
// that says so (HostAttributeSource) has them read from that header, once per request.
class HeaderPathSource extends TableAttributeSource {
  pathFromHeader(): bool {
    return true;
  }
}

function withPathHeader(path: string): RequestAttributes {
  return new RequestAttributes(new HeaderPathSource().addHeader(":path", path), new AttributeOptions());
}

describe("request.path and request.url_path from the :path header", () => {
  it("are the header, and the header up to its first '?', as Envoy computes them", () => {
    const a = withPathHeader("/v1/chat/completions?api-version=2024-02-01&x=?");
    expect(evaluate(program("request.path"), a).str).toBe("/v1/chat/completions?api-version=2024-02-01&x=?");
    expect(evaluate(program("request.url_path"), a).str).toBe("/v1/chat/completions");
    expect(evaluateBool(program('request.url_path == "/v1/chat/completions"'), a)).toBe(1);
    expect(evaluateBool(program('request.path == "/v1/chat/completions"'), a)).toBe(0);
    // Envoy cuts at '?' only: a fragment before any query stays in url_path.
    expect(evaluate(program("request.url_path"), withPathHeader("/a#b?c")).str).toBe("/a#b");
    expect(evaluate(program("request.url_path"), withPathHeader("?q")).str).toBe("");
    expect(evaluateBool(program('request.url_path == "/v1/models"'), withPathHeader("/v1/models"))).toBe(1);
  });
  it("make one header read per request, and no property read", () => {
    const src = new HeaderPathSource().addHeader(":path", "/v1/chat/completions?access_token=x");
    const a = new RequestAttributes(src, new AttributeOptions());
    expect(evaluateBool(program('request.url_path == "/v1/chat/completions"'), a)).toBe(1);
    expect(evaluateBool(program('request.path != "/v1/chat/completions"'), a)).toBe(1);
    expect(evaluate(program("request.url_path"), a).str).toBe("/v1/chat/completions");
    expect(a.requestPath()).toBe("/v1/chat/completions?access_token=x");
    // The identity's query token is looked for in the same read.
    evaluate(program("auth.identity"), a);
    expect(src.headerCalls).toBe(2); // :path once, authorization once
    expect(src.propertyCalls).toBe(1); // metadata, for a payload jwt_authn verified
    expect(src.callsFor(["request", "path"])).toBe(0);
    expect(src.callsFor(["request", "url_path"])).toBe(0);
  });
  it("without a :path header: no request.path, an empty request.url_path (as Envoy)", () => {
    const a = new RequestAttributes(new HeaderPathSource(), new AttributeOptions());
    expect(evaluate(program("request.path"), a).kind).toBe(Kind.Error);
    expect(evaluateBool(program('request.path == "/"'), a)).toBe(-1);
    expect(evaluate(program("request.url_path"), a).str).toBe("");
    expect(evaluateBool(program('request.url_path == ""'), a)).toBe(1);
    expect(a.requestPath()).toBe("");
  });
  it("give the general evaluator's answer for a path that is not ASCII", () => {
    const path = "/v1/caf\u00e9?q=\u00e9";
    expect(evaluateBool(program('request.url_path == "/v1/caf\u00e9"'), withPathHeader(path))).toBe(1);
    expect(evaluateBool(program('request.url_path != "/v1/caf\u00e9"'), withPathHeader(path))).toBe(0);
    expect(evaluateBool(program('request.path == "' + path + '"'), withPathHeader(path))).toBe(1);
  });
  it("are read again for the next request", () => {
    const src = new HeaderPathSource().addHeader(":path", "/v1/models");
    const a = new RequestAttributes(src, new AttributeOptions());
    expect(evaluateBool(program('request.url_path == "/v1/models"'), a)).toBe(1);
    a.reset(new AttributeOptions());
    expect(evaluateBool(program('request.url_path == "/v1/models"'), a)).toBe(1);
    expect(src.headerCalls).toBe(2);
  });
});

describe("startsWith and in over a string attribute, in place", () => {
  it("are planned as byte comparisons", () => {
    expect(program('request.url_path.startsWith("/v1/")').root.op).toBe(Op.PrefixText);
    expect(program('request.url_path in ["/v1/chat/completions", "/v1/completions"]').root.op).toBe(Op.InText);
    expect(program('request.url_path in ["/v1/chat/completions", 1]').root.op).toBe(Op.In);
    expect(program('request.url_path.startsWith("/v1/")').allocationFree).toBe(true);
  });
  it("answer as the general evaluator does, ASCII or not, present or absent", () => {
    const paths: Array<ArrayBuffer> = [
      String.UTF8.encode("/v1/chat/completions"), String.UTF8.encode("/v1/"), String.UTF8.encode("/v1"),
      String.UTF8.encode(""), String.UTF8.encode("/v1/caf\u00e9"), bytesOf([0x2F, 0x76, 0x31, 0xC0, 0xAF]),
    ];
    const fast = [
      'request.url_path.startsWith("/v1/")', 'request.url_path.startsWith("")', 'request.url_path.startsWith("/v1/chat/completions/")',
      'request.url_path in ["/v1/chat/completions", "/v1/"]', 'request.url_path in []', 'request.url_path in ["/v1/caf\u00e9"]',
      'request.url_path.startsWith("/v1/caf")',
    ];
    const slow = [
      '(request.url_path + "").startsWith("/v1/")', '(request.url_path + "").startsWith("")', '(request.url_path + "").startsWith("/v1/chat/completions/")',
      '(request.url_path + "") in ["/v1/chat/completions", "/v1/"]', '(request.url_path + "") in []', '(request.url_path + "") in ["/v1/caf\u00e9"]',
      '(request.url_path + "").startsWith("/v1/caf")',
    ];
    for (let i = 0; i < paths.length; i++) {
      for (let j = 0; j < fast.length; j++) {
        expect(evaluateBool(program(fast[j]), withPathBytes(paths[i]))).toBe(evaluateBool(program(slow[j]), withPathBytes(paths[i])), fast[j] + " on path " + i.toString());
      }
    }
    const absent = new RequestAttributes(new TableAttributeSource(), new AttributeOptions());
    for (let j = 0; j < fast.length; j++) {
      const v = evaluate(program(fast[j]), absent);
      expect(v.kind).toBe(Kind.Error);
      expect(v.str).toBe("no such attribute: 'request.url_path'");
    }
  });
  it("tell matching from other paths", () => {
    expect(evaluateBool(program('request.url_path.startsWith("/v1/")'), withPath("/v1/models"))).toBe(1);
    expect(evaluateBool(program('request.url_path.startsWith("/v1/")'), withPath("/v2/models"))).toBe(0);
    expect(evaluateBool(program('request.url_path in ["/v1/chat/completions", "/v1/completions"]'), withPath("/v1/completions"))).toBe(1);
    expect(evaluateBool(program('request.url_path in ["/v1/chat/completions", "/v1/completions"]'), withPath("/v1/models"))).toBe(0);
  });
});
