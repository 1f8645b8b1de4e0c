// Every parser runs in linear time: an input ten times larger takes at most about ten times
// longer, so no crafted body, token, expression or configuration can stall a worker. Each
// scenario feeds a parser an adversarial input of about 100 KB and one of about 1 MB (or a
// tenth of a parser's size limit and the limit itself, where it refuses larger inputs before
// parsing) and fails if the larger one takes more than 20 times as long. Each side is the best
// of a few runs, which keeps a busy machine's noise out of the ratio; a quadratic parser
// shows a ratio near 100, far outside. LINEAR_TIME_REPORT=1 prints every measurement.
import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageModule, bytes } from "../usage/module.ts";
import { CelModule } from "../cel/module.ts";
import * as attributes from "../../build/testing/attributes.js";
import { Host } from "../../host-test/index.ts";
import { FILTER_WASM, NINE_AM } from "../filter/helpers.ts";

const MAX_RATIO = 20;
const RUNS = 5;
const KB = 1000;
const MB = 1000 * KB;

/** Best (shortest) wall time of `RUNS` calls of `f`, in milliseconds. */
function bestOf(f: () => void): number {
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    f();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/**
 * Times `run(small)` and `run(large)` and asserts their ratio. A floor of 0.5 ms on the
 * small side keeps a sub-millisecond measurement from inflating the ratio with timer noise.
 */
function assertLinear<T>(what: string, small: T, large: T, run: (input: T) => void): void {
  run(large); // warm up: compile tiers, grow memory to the larger input's needs once
  run(small);
  const a = bestOf(() => run(small));
  const b = bestOf(() => run(large));
  const ratio = b / Math.max(a, 0.5);
  if (process.env.LINEAR_TIME_REPORT) console.log(`${what}: ${a.toFixed(1)} ms -> ${b.toFixed(1)} ms, ratio ${ratio.toFixed(1)}`);
  assert.ok(ratio <= MAX_RATIO, `${what}: ${a.toFixed(1)} ms, then ${b.toFixed(1)} ms for the larger input (ratio ${ratio.toFixed(1)})`);
}

/** A JSON string body of `size` bytes (quotes excluded) made of `unit` repeated. */
function filled(unit: string, size: number): string {
  return unit.repeat(Math.floor(size / unit.length));
}

// ---- request inspection (the buffered request body) -----------------------------------

function chatBody(model: string, extra = ""): string {
  return `{"model":"${model}"${extra},"messages":[{"role":"user","content":"hi"}],"stream":true}`;
}

test("request inspection of a 1 MB body of \\n escapes takes at most 20x the time of 100 KB", () => {
  const m = new UsageModule();
  const body = (size: number) => bytes(chatBody(filled("\\n", size)));
  assertLinear("model of \\n escapes", body(100 * KB), body(MB), (b) => assert.equal(m.inspect(b).valid, true));
});

test("request inspection of a 1 MB body of \\u surrogate pairs and UTF-8 takes at most 20x the time of 100 KB", () => {
  const m = new UsageModule();
  const body = (size: number) => bytes(chatBody(filled("\\ud83d\\ude00é\\u0041", size)));
  assertLinear("model of \\u escapes", body(100 * KB), body(MB), (b) => assert.equal(m.inspect(b).valid, true));
});

test("request inspection of a 1 MB UTF-16 body (read through UTF-8) takes at most 20x the time of 100 KB", () => {
  const m = new UsageModule();
  const body = (size: number) => new Uint8Array(Buffer.from("\ufeff" + chatBody("gpt-4o", `,"x":"${filled("\u00e9\ud83d\ude00\\n", size / 2)}"`), "utf16le"));
  assertLinear("UTF-16 body", body(100 * KB), body(MB), (b) => assert.equal(m.inspect(b).stream, true));
});

test("request inspection of a 1 MB body of many keys and deep-but-allowed nesting takes at most 20x the time of 100 KB", () => {
  const m = new UsageModule();
  const nest = "[".repeat(1000) + "1" + "]".repeat(1000);
  const body = (size: number) => {
    const parts: string[] = [];
    let n = 0;
    for (let i = 0; n < size; i++) {
      const p = i % 2 === 0 ? `"k\\n${i}":"v\\t${i}"` : `"d${i}":${nest}`;
      parts.push(p);
      n += p.length + 1;
    }
    return bytes(chatBody("gpt-4o", "," + parts.join(",")));
  };
  assertLinear("many keys and nesting", body(100 * KB), body(MB), (b) => assert.equal(m.inspect(b).valid, true));
});

// ---- JWT claims (the token is refused beyond 16384 characters, before decoding) --------

function bearer(payload: string): string {
  const b64u = (s: string) => Buffer.from(s).toString("base64url");
  return `Bearer ${b64u('{"alg":"RS256","typ":"JWT"}')}.${b64u(payload)}.${b64u("signature")}`;
}

// Payload sizes that keep the token (base64url is 4/3 of the bytes) under the 16384 limit.
const JWT_SMALL = 1200;
const JWT_LARGE = 12000;

test("JWT claims decoding of a token at the 16 KB limit full of \\n escapes takes at most 20x the time of a tenth of it", () => {
  const token = (size: number) => bearer(`{"sub":"${filled("\\n", size)}"}`);
  assertLinear("claims of \\n escapes", token(JWT_SMALL), token(JWT_LARGE),
    (t) => assert.notEqual(attributes.jwtIdentityJson(t), "", "returns an identity or a failure"));
});

test("JWT claims decoding of a token at the 16 KB limit with many groups and keys takes at most 20x the time of a tenth of it", () => {
  const token = (size: number) => {
    const groups: string[] = [];
    const keys: string[] = [];
    for (let n = 0, i = 0; n < size / 2; i++, n += 8) { groups.push(`"g${i}"`); keys.push(`"k${i}":1`); }
    return bearer(`{"sub":"a","groups":[${groups.join(",")}],${keys.join(",")}}`);
  };
  assertLinear("groups and keys", token(JWT_SMALL), token(JWT_LARGE),
    (t) => assert.match(attributes.jwtIdentityJson(t), /"userid":"a"/));
});

// ---- response usage: JSON body and server-sent events ----------------------------------

const COMPLETION = { preset: "openai", path: "/v1/chat/completions" };

test("the usage JSON scanner reads a 1 MB response of escapes, keys and nesting in at most 20x the time of 100 KB", () => {
  const m = new UsageModule();
  const body = (size: number) => {
    const content = filled("\\n\\\"\\u00e9", size / 2);
    const keys: string[] = [];
    for (let n = 0, i = 0; n < size / 4; i++, n += 12) keys.push(`"x${i}":[[[{}]]]`);
    const nest = "[".repeat(900) + "]".repeat(900);
    return bytes(`{"id":"c","choices":[{"message":{"content":"${content}"}}],${keys.join(",")},"deep":${nest.repeat(Math.ceil(size / 4 / 1800))},"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`);
  };
  for (const chunk of [undefined, 4096]) {
    assertLinear(`JSON response, chunk ${chunk ?? "whole"}`, body(100 * KB), body(MB), (b) => {
      const r = m.scan(b, { ...COMPLETION, contentType: "application/json", chunk });
      assert.ok(r.status === "ok" || r.status === "invalid", r.status);
    });
  }
});

test("the SSE usage scanner reads a 1 MB stream of events and long data lines in at most 20x the time of 100 KB", () => {
  const m = new UsageModule();
  const usage = `data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}\n\n`;
  const many = (size: number) => {
    const ev = `data: {"choices":[{"delta":{"content":"\\n\\n\\u00e9"}}]}\n\n: comment\n\n`;
    return bytes(ev.repeat(Math.floor(size / ev.length)) + usage + "data: [DONE]\n\n");
  };
  const long = (size: number) =>
    bytes(`data: {"choices":[{"delta":{"content":"${filled("\\n", size / 2)}"}}]}\n` +
      `data: ${filled(" ", size / 2)}\n\n` + usage);
  for (const [name, make] of [["many events", many], ["long lines", long]] as const) {
    for (const chunk of [undefined, 1500]) {
      assertLinear(`SSE ${name}, chunk ${chunk ?? "whole"}`, make(100 * KB), make(MB), (b) => {
        const r = m.scan(b, { ...COMPLETION, contentType: "text/event-stream", chunk });
        assert.ok(r.status === "ok" || r.status === "invalid", r.status);
      });
    }
  }
});

// ---- CEL (an expression is refused beyond 16384 bytes, before lexing) ------------------

test("CEL compile and evaluate of an expression at the 16 KB limit takes at most 20x the time of a tenth of it", () => {
  const cel = new CelModule();
  const cases: [string, (size: number) => string][] = [
    ["string literal of \\n escapes", (size) => `size("${filled("\\n", size - 10)}") > 0`],
    ["string literal of \\u escapes", (size) => `size("${filled("\\u00e9\\U0001F600", size - 10)}") > 0`],
    ["raw and bytes literals", (size) => `size(b"${filled("\\x41\\101", size / 2 - 20)}") + size(r"${filled("ab", size / 2 - 20)}") > 0`],
    ["long identifier", (size) => `${filled("x", size - 20)}.y == 1 || true`],
    ["many list elements and a long string", (size) => `size([${filled("1,", Math.min(size, 2000))}1]) > 0 && "${filled("a", Math.max(0, size - 2100))}" != "b"`],
  ];
  for (const [name, make] of cases) {
    const small = make(1600);
    const large = make(16000);
    assert.ok(Buffer.byteLength(large) <= 16384, `${name}: ${Buffer.byteLength(large)} bytes`);
    assertLinear(`CEL ${name}`, small, large, (e) => assert.equal(cel.eval(e), "Vt"));
  }
});

test("CEL evaluation over a 1 MB string attribute takes at most 20x the time of 100 KB", () => {
  const cel = new CelModule();
  const bindings = (size: number) => { const s = filled("ab\n\u00e9", size); return `m1:s1:xs${s.length}:${s}`; };
  for (const expr of ['x.contains("zz")', 'x.startsWith("ab") && x.endsWith("z")', 'x.matches("^(ab|\\n|é)*$")', "size(x + x) > 0"]) {
    assertLinear(`CEL ${expr}`, bindings(100 * KB), bindings(MB), (b) => assert.match(cel.eval(expr, b), /^V/));
  }
});

// ---- plugin configuration (refused beyond 4 MiB, before parsing) -----------------------

test("the plugin configuration reader takes at most 20x the time for a 1 MB configuration as for 100 KB", async () => {
  const host = await Host.create({ wasm: FILTER_WASM, pluginConfig: { limits: {} }, now: NINE_AM, trace: false });
  try {
    const configs: [string, (size: number) => string][] = [
      ["limit name of \\n escapes", (size) => `{"limits":{"${filled("\\n", size)}":{"rates":[{"limit":1,"window":"1h"}]}}}`],
      ["description of \\u escapes", (size) => `{"limits":{"a":{"rates":[{"limit":1,"window":"1h"}],"when":[{"predicate":"\\"${filled("\\u00e9", size)}\\" != \\"\\""}]}}}`],
      ["many unknown keys", (size) => {
        const keys: string[] = [];
        for (let n = 0, i = 0; n < size; i++, n += 14) keys.push(`"u\\n${i}":[[1]]`);
        return `{"limits":{},${keys.join(",")}}`;
      }],
      ["many limits", (size) => {
        const limits: string[] = [];
        const one = (i: number) => `"l${i}":{"rates":[{"limit":${i + 1},"window":"1h"}],"counters":[{"expression":"auth.identity.userid"}]}`;
        for (let n = 0, i = 0; n < size; i++) { const l = one(i); limits.push(l); n += l.length + 1; }
        return `{"limits":{${limits.join(",")}}}`;
      }],
      ["deep-but-allowed nesting", (size) => {
        const nest = "[".repeat(30) + "]".repeat(30);
        return `{"limits":{},"x":[${filled(nest + ",", size)}[]]}`;
      }],
    ];
    for (const [name, make] of configs) {
      assertLinear(`configuration with ${name}`, make(100 * KB), make(MB), (c) => {
        host.reconfigure(c); // accepted or refused with errors; either way it returns
      });
    }
  } finally {
    host.close();
  }
});

// ---- requestBodyJSON over the request body (through the filter) -----------------------

test("requestBodyJSON over a 1 MB body of escaped, duplicate keys and nesting takes at most 20x the time of 100 KB", async () => {
  const policy = {
    limits: {
      per_model: {
        rates: [{ limit: 1e12, window: "1h" }],
        when: [{ predicate: 'requestBodyJSON("/model") == "gpt-4o" && requestBodyJSON("/messages/0/role") != "x"' }],
        counters: [{ expression: 'requestBodyJSON("/model")' }],
      },
    },
    admission: { maxRequestBodyBytes: 4 * MB },
  };
  const host = await Host.create({ wasm: FILTER_WASM, pluginConfig: policy, now: NINE_AM, trace: false, bufferLimitBytes: 8 << 20 });
  const body = (size: number) => {
    const parts: string[] = [];
    for (let n = 0, i = 0; n < size; i++) {
      const p = i % 3 === 0 ? `"mod\\u0065l":"m\\n${i}"` : i % 3 === 1 ? `"model":[[{"model":${i}}]]` : `"k\\t${i}":"${"\\n".repeat(20)}"`;
      parts.push(p);
      n += p.length + 1;
    }
    return `{${parts.join(",")},"messages":[{"role":"user","content":"hi"}],"model":"gpt-4o"}`;
  };
  let admitted = 0;
  assertLinear("requestBodyJSON over escaped, duplicate keys", body(100 * KB), body(MB), (b) => {
    const r = host.exchange({
      request: { headers: { ":method": "POST", ":path": "/v1/chat/completions", ":authority": "llm", "content-type": "application/json" }, body: b },
      response: { headers: { ":status": "200", "content-type": "application/json" }, body: '{"usage":{"total_tokens":1}}' },
    });
    if (r.status === 200) admitted++;
  });
  assert.ok(admitted > 0);
  assert.deepEqual(host.traps, []);
});
