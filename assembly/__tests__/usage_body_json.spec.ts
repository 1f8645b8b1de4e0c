import { BodyJsonState, bodyJsonValue } from "../usage/body_json";
import { BodyCapture, RESPONSE_JSON_MAX_BYTES, RESPONSE_TAIL_BYTES } from "../usage/body_capture";
import { compile, compileWith, CompileOptions, Kind, Value, valueToString } from "../cel";
import { jsonPointerProblem } from "../cel/planner";

// The value at `pointer` in `body` (a JSON document), rendered: its text, "null", or "error: ...".
function at(body: string, pointer: string): string {
  const b = String.UTF8.encode(body);
  const v = bodyJsonValue(BodyJsonState.Json, changetype<usize>(b), <usize>b.byteLength, pointer, "the body");
  return render(v);
}

function render(v: Value): string {
  if (v.kind == Kind.Error) return "error: " + v.str;
  if (v.kind == Kind.Null) return "null";
  if (v.kind == Kind.String) return "\"" + v.str + "\"";
  return valueToString(v);
}

function typeAt(body: string, pointer: string): Kind {
  const b = String.UTF8.encode(body);
  return bodyJsonValue(BodyJsonState.Json, changetype<usize>(b), <usize>b.byteLength, pointer, "the body").kind;
}

const doc = "{\"foo\":[\"bar\",\"baz\"],\"\":0,\"a/b\":1,\"c%d\":2,\"e^f\":3,\"g|h\":4,\"i\\\\j\":5,\"k\\\"l\":6,\" \":7,\"m~n\":8}";

describe("requestBodyJSON pointers (RFC 6901)", () => {
  it("resolves the examples of RFC 6901 section 5", () => {
    expect(at(doc, "/foo")).toBe("[bar, baz]");
    expect(at(doc, "/foo/0")).toBe("\"bar\"");
    expect(at(doc, "/")).toBe("0");
    expect(at(doc, "/a~1b")).toBe("1");
    expect(at(doc, "/c%d")).toBe("2");
    expect(at(doc, "/e^f")).toBe("3");
    expect(at(doc, "/g|h")).toBe("4");
    expect(at(doc, "/i\\j")).toBe("5");
    expect(at(doc, "/k\"l")).toBe("6");
    expect(at(doc, "/ ")).toBe("7");
    expect(at(doc, "/m~0n")).toBe("8");
    expect(typeAt(doc, "")).toBe(Kind.Map);
  });

  it("is null where the document has no value: missing keys, indexes past the end, '-', leading zeros, scalars", () => {
    expect(at(doc, "/nope")).toBe("null");
    expect(at(doc, "/foo/2")).toBe("null");
    expect(at(doc, "/foo/-")).toBe("null");
    expect(at(doc, "/foo/01")).toBe("null");
    expect(at(doc, "/foo/+1")).toBe("null");
    expect(at(doc, "/foo/0/x")).toBe("null");
    expect(at("{\"a\":null}", "/a")).toBe("null");
  });

  it("gives values their JSON types: int, double, bool, string, list, map", () => {
    const body = "{\"i\":42,\"big\":12345678901234567890,\"d\":1.5,\"t\":true,\"s\":\"x\",\"l\":[1],\"m\":{\"k\":\"v\"}}";
    expect(typeAt(body, "/i")).toBe(Kind.Int);
    expect(typeAt(body, "/big")).toBe(Kind.Double);
    expect(typeAt(body, "/d")).toBe(Kind.Double);
    expect(typeAt(body, "/t")).toBe(Kind.Bool);
    expect(typeAt(body, "/s")).toBe(Kind.String);
    expect(typeAt(body, "/l")).toBe(Kind.List);
    expect(typeAt(body, "/m")).toBe(Kind.Map);
    expect(at(body, "/m/k")).toBe("\"v\"");
  });

  it("decodes escaped keys and values, and takes the last of duplicate keys", () => {
    expect(at("{\"mod\\u0065l\":\"gpt-4\\u006f\"}", "/model")).toBe("\"gpt-4o\"");
    expect(at("{\"model\":\"a\",\"model\":\"b\"}", "/model")).toBe("\"b\"");
    expect(at("{\"x\":{\"model\":\"a\"},\"model\":\"c\"}", "/model")).toBe("\"c\"");
    expect(at("{\"caf\\u00e9\":1}", "/café")).toBe("1");
  });

  it("says why a body cannot be read, and an empty body is null everywhere", () => {
    expect(render(bodyJsonValue(BodyJsonState.TooLarge, 0, 0, "/model", "the request body"))).toBe("error: the request body is larger than the filter reads");
    expect(render(bodyJsonValue(BodyJsonState.NotJson, 0, 0, "/model", "the request body"))).toBe("error: the request body is not a JSON object");
    expect(render(bodyJsonValue(BodyJsonState.Empty, 0, 0, "/model", "the request body"))).toBe("null");
  });

  it("never traps on truncated or malformed documents, whatever the pointer", () => {
    const bodies = ["{", "{\"a\":", "{\"a\":[1,2", "[", "\"", "{\"a\":{\"b\":[{\"c\":", "{\"a\" 1}", "{\"a\":tru}", ""];
    const pointers = ["", "/a", "/a/b", "/a/0", "/a/b/0/c", "/0"];
    for (let i = 0; i < bodies.length; i++) {
      for (let j = 0; j < pointers.length; j++) {
        const s = render(bodyJsonValue(BodyJsonState.Json, changetype<usize>(String.UTF8.encode(bodies[i])), <usize>String.UTF8.byteLength(bodies[i]), pointers[j], "b"));
        expect(s.length > 0).toBe(true);
      }
    }
  });
});

describe("requestBodyJSON and responseBodyJSON in CEL", () => {
  it("takes a constant, valid pointer: anything else is a compile error", () => {
    expect(compile("requestBodyJSON(\"/model\") == \"gpt-4o\"").error).toBe("");
    expect(compile("requestBodyJSON(\"model\")").error).toBe("invalid JSON pointer \"model\": must be empty or start with '/' (RFC 6901), as in \"/model\"");
    expect(compile("requestBodyJSON(\"/a~2\")").error).toBe("invalid JSON pointer \"/a~2\": '~' must be followed by 0 or 1 (RFC 6901: ~0 is '~', ~1 is '/')");
    expect(compile("requestBodyJSON(x)").error).toBe("requestBodyJSON takes a constant JSON pointer, a string literal such as \"/model\"");
    expect(compile("requestBodyJSON()").error).toBe("no matching overload for 'requestBodyJSON' with 0 argument(s)");
    expect(jsonPointerProblem("")).toBe("");
    expect(jsonPointerProblem("/a~0~1")).toBe("");
  });

  it("is refused where the options do not allow it, naming where", () => {
    const o = new CompileOptions();
    o.responseBodyJson = false;
    o.bodyJsonContext = "in when";
    expect(compileWith("responseBodyJSON(\"/model\")", o).error).toBe("responseBodyJSON is not available in when");
    expect(compileWith("requestBodyJSON(\"/model\")", o).error).toBe("");
  });

  it("records the pointers each program reads, once each", () => {
    const p = compile("requestBodyJSON(\"/model\") == \"a\" || requestBodyJSON(\"/model\") == \"b\" ? responseBodyJSON(\"/usage/total_tokens\") : 0").program!;
    expect(p.requestPointers.join(",")).toBe("/model");
    expect(p.responsePointers.join(",")).toBe("/usage/total_tokens");
  });
});

function feed(c: BodyCapture, text: string, chunk: i32): void {
  const b = String.UTF8.encode(text);
  const p = changetype<usize>(b);
  for (let i = 0; i < b.byteLength; i += chunk) {
    const n = min(chunk, b.byteLength - i);
    c.append(p + <usize>i, <usize>n);
  }
}

function modelOf(c: BodyCapture): string {
  const state = c.document();
  return render(bodyJsonValue(state, c.docPtr, c.docLen, "/model", "the response body"));
}

function sseEvent(model: string, text: string): string {
  return "data: {\"model\":\"" + model + "\",\"t\":\"" + text + "\"}\n\n";
}

describe("the response body kept for responseBodyJSON", () => {
  it("keeps a JSON document whole, in any chunking", () => {
    const body = "{\"model\":\"gpt-4o\",\"choices\":[{\"message\":{\"content\":\"" + "x".repeat(10000) + "\"}}]}";
    const chunks: i32[] = [1, 7, 4096, 100000];
    for (let i = 0; i < chunks.length; i++) {
      const c = new BodyCapture(false);
      feed(c, body, chunks[i]);
      expect(modelOf(c)).toBe("\"gpt-4o\"");
    }
  });

  it("makes a document over the bound an error, and a body that is not JSON", () => {
    const c = new BodyCapture(false);
    feed(c, "{\"model\":\"" + "x".repeat(RESPONSE_JSON_MAX_BYTES) + "\"}", 65536);
    expect(modelOf(c)).toBe("error: the response body is larger than the filter reads");
    const d = new BodyCapture(false);
    feed(d, "<html>", 10);
    expect(modelOf(d)).toBe("error: the response body is not a JSON object");
  });

  it("reads the last event whose data is a JSON object from the end of a stream, past the ring's wrap", () => {
    let stream = "";
    for (let i = 0; i < 50; i++) stream += sseEvent("m" + i.toString(), "y".repeat(3000));
    stream += sseEvent("last", "") + "data: [DONE]\n\n";
    expect(stream.length > 2 * RESPONSE_TAIL_BYTES).toBe(true);
    const chunks: i32[] = [1, 13, 5000, 1 << 20];
    for (let i = 0; i < chunks.length; i++) {
      const c = new BodyCapture(true);
      feed(c, stream, chunks[i]);
      expect(modelOf(c)).toBe("\"last\"");
    }
  });

  it("is null for a stream without a JSON event", () => {
    const c = new BodyCapture(true);
    feed(c, "event: ping\ndata: [DONE]\n\n", 3);
    expect(modelOf(c)).toBe("null");
  });
});
