// Hostile input never traps the VM: random header values, huge and garbage tokens,
// garbage request and response bodies, random chunking, statuses, content types, resets
// and interleavings, under several policies. A few thousand seeded random exchanges;
// afterwards no worker failed, no trap was recorded and no reservation is left behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { Attr, type HttpStream } from "../../host-test/index.ts";
import { EXAMPLE_POLICY, jwtFor, CHAT_RESPONSE, chatResponse } from "../../fixtures/llm.ts";
import { filterHost, decodeCounter, counterEntries, prng } from "./helpers.ts";

type Rng = ReturnType<typeof prng>;

const POLICIES: Array<[string, object]> = [
  ["example", EXAMPLE_POLICY],
  ["check mode, dry run", { ...EXAMPLE_POLICY, admission: { mode: "check" }, dryRun: true }],
  ["headers identity, reject unidentified, deny on failure", { ...EXAMPLE_POLICY, identity: { source: "headers" }, onCounterError: "reject", failureMode: "deny" }],
  ["jwtAuthn identity, cost expression, small limits", {
    limits: {
      tiny: {
        rates: [{ limit: 500, window: "1m" }, { limit: 5000, window: "1h" }],
        counters: [{ expression: "auth.identity.userid" }, { expression: 'request.headers["x-model"]' }],
        tokens: "output",
      },
      all: { rates: [{ limit: 3000, window: "10s" }] },
    },
    identity: { source: "jwtAuthn" },
    onCounterError: "skip",
    cost: { expression: "usage.prompt_tokens + 4 * usage.completion_tokens" },
    usage: { onMissing: "estimate", charge5xx: true },
  }],
  ["custom usage paths, small request buffer", {
    limits: { per_path: { rates: [{ limit: 2000, window: "30s" }], counters: [{ expression: "request.path" }, { expression: "auth.identity.userid" }] } },
    usage: { provider: "custom", paths: { total: "meta.tokens.total", input: "/meta/tokens/in" } },
    admission: { maxRequestBodyBytes: 64, defaultReservation: 0, maxReservation: 100 },
    onCounterError: "skip",
  }],
  ["limits and prices that read both bodies (requestBodyJSON, responseBodyJSON)", {
    limits: {
      per_model: {
        rates: [{ limit: 5000, window: "1m" }],
        when: [{ predicate: 'requestBodyJSON("/model") in ["m", "gpt"] || requestBodyJSON("/messages/0/role") == "user"' }],
        counters: [{ expression: "auth.identity.userid" }, { expression: 'requestBodyJSON("/model")' }],
      },
    },
    cost: { expression: 'requestBodyJSON("/model") == "gpt" ? usage.total_tokens * 2 : (responseBodyJSON("/model") == "m" ? usage.total_tokens : usage.total_tokens + 1)' },
    admission: { maxRequestBodyBytes: 4096 },
    onCounterError: "skip",
  }],
];

const ALPHABET = ["a", "Z", "0", " ", "\t", ",", ".", "=", "\"", "\\", "|", "#", "%", "é", "ü", "😀", "\u0000", "\u007f", "\u00ff", "\ufffd", "\ud800", "{", "}", "[", "]", ":"];

function text(r: Rng, max: number): string {
  let s = "";
  const n = r.int(max + 1);
  for (let i = 0; i < n; i++) s += r.pick(ALPHABET);
  return s;
}

function bytes(r: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = r.int(256);
  return out;
}

function b64(s: string | Uint8Array): string {
  return Buffer.from(s).toString("base64url");
}

function nested(depth: number): string {
  return "[".repeat(depth) + "]".repeat(depth);
}

/** A token in every shape a hostile or broken client may send. */
function authorization(r: Rng): string | undefined {
  const user = r.pick(["alice", "bob", "", "😀", "a|b#c\\d", "x".repeat(300)]);
  const groups = r.pick([["free"], ["gold"], ["free", "gold"], [], [""]]);
  switch (r.int(14)) {
    case 0: return undefined;
    case 1: return "";
    case 2: return "Bearer";
    case 3: return `Bearer ${b64(bytes(r, r.int(64)))}.${b64(bytes(r, r.int(256)))}.${b64(bytes(r, 16))}`;
    case 4: return `Bearer ${"A".repeat(1 + r.int(300_000))}`;
    case 5: return `Bearer x.${b64(JSON.stringify({ sub: r.pick([1, null, [], {}, true, 1e308]), groups: r.pick([1, "free", { a: 1 }, [[["free"]]], null]) }))}.s`;
    case 6: return `Bearer x.${b64(nested(1 + r.int(5000)))}.s`;
    case 7: return `Bearer x.${b64("{\"sub\":\"" + "\\u".repeat(r.int(100)) + "\"}")}.s`;
    case 8: return `Bearer ${".".repeat(r.int(10))}`;
    case 9: return `bEaReR    ${jwtFor(user, groups)}   `;
    case 10: return `Bearer ${jwtFor(user, groups)}.${b64(bytes(r, 8))}.more`;
    case 11: return text(r, 50);
    case 12: return `Bearer x.${b64(JSON.stringify({ sub: user, groups, metadata: r.pick([1, "x", { annotations: 7 }, { annotations: { "kuadrant.io/groups": 5 } }]) }))}.s`;
    default: return `Bearer ${jwtFor(user, groups)}`;
  }
}

function requestBody(r: Rng): string | Uint8Array {
  switch (r.int(10)) {
    case 0: return "";
    case 1: return bytes(r, r.int(2000));
    case 2: return JSON.stringify({ model: "m", max_tokens: r.pick([-1, 0, 1.5, 1e308, -1e308, 2 ** 63, "100", null, [], 9007199254740993]), stream: r.pick([true, false, "yes", 1]) });
    case 3: return `{"model":"m","stream":true,"stream_options":${r.pick(["null", "1", "{\"include_usage\":false}", "[]", "{"])},"max_tokens":${r.pick(["1e999", "-0", "00", "1" + "0".repeat(400)])}}`;
    case 4: return nested(1 + r.int(20_000));
    case 5: return `{"max_tokens":${r.int(100000)},"stream":true,"messages":[{"role":"user","content":${JSON.stringify(text(r, 200))}}]}`;
    case 6: return `{"generationConfig":{"maxOutputTokens":${r.int(5000)}},"max_output_tokens":"x"}`;
    case 7: return text(r, 500);
    default: return JSON.stringify({ model: "gpt", messages: [{ role: "user", content: "hi" }], max_tokens: r.int(3000) });
  }
}

function sse(r: Rng): string {
  const events: string[] = [];
  const n = r.int(8);
  for (let i = 0; i < n; i++) {
    events.push(r.pick([
      `data: {"choices":[{"delta":{"content":${JSON.stringify(text(r, 30))}}}]}\n\n`,
      `data: {"usage":{"prompt_tokens":${r.int(100)},"completion_tokens":${r.int(500)},"total_tokens":${r.int(600)}}}\n\n`,
      "data: [DONE]\n\n",
      `event: ${text(r, 5)}\ndata: ${text(r, 40)}\n\n`,
      `: comment ${text(r, 10)}\r\n`,
      `data: {"usage":{"total_tokens":${r.pick(["-5", "1e30", "\"7\"", "null", "18446744073709551616"])}}}\n\n`,
      "data:" + "{".repeat(r.int(300)) + "\n\n",
      text(r, 20),
    ]));
  }
  return events.join("");
}

function responseBody(r: Rng): string | Uint8Array {
  switch (r.int(11)) {
    case 0: return "";
    case 1: return bytes(r, r.int(3000));
    case 2: {
      const cut = r.int(CHAT_RESPONSE.length);
      return CHAT_RESPONSE.slice(0, cut) + text(r, 20) + CHAT_RESPONSE.slice(cut + r.int(5));
    }
    case 3: return sse(r);
    case 4: return gzipSync(CHAT_RESPONSE);
    case 5: return `{"usage":{"total_tokens":${r.pick(["-1", "1e308", "18446744073709551615", "9223372036854775808", "0.5", "\"100\"", "[1]", "{}"])},"prompt_tokens":${r.pick(["-3", "7", "1e5"])}}}`;
    case 6: return `{"meta":{"tokens":{"total":${r.int(5000)},"in":${r.int(100)}}},"usage":${nested(r.int(3000))}}`;
    case 7: return chatResponse(1 + r.int(4000), text(r, 100));
    case 8: return "{\"choices\":[{\"message\":{\"content\":\"" + "\\\"".repeat(r.int(2000)) + "\"}}]," + "\"usage\":{\"completion_tokens\":5}}";
    case 9: return "[" + "{\"usage\":{\"total_tokens\":1}},".repeat(r.int(200)) + "]";
    default: return CHAT_RESPONSE;
  }
}

/** Sizes of the chunks `n` bytes are cut into: whole, 1-byte, or random. */
function chunking(r: Rng, n: number): number[] {
  if (n === 0) return [];
  const kind = r.int(4);
  if (kind === 0) return [n];
  if (kind === 1 && n <= 2000) return new Array(n).fill(1);
  const sizes: number[] = [];
  let left = n;
  while (left > 0) {
    const k = Math.min(left, 1 + r.int(Math.max(1, n >> 1)));
    sizes.push(k);
    left -= k;
  }
  return sizes;
}

function cut(b: Uint8Array, sizes: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  for (const n of sizes) {
    out.push(b.subarray(p, p + n));
    p += n;
  }
  return out;
}

const enc = new TextEncoder();

/** One exchange as a list of steps; a step returns false when the stream cannot go on. */
function script(r: Rng, s: HttpStream): Array<() => boolean> {
  const headers: Array<[string, string]> = [
    [":method", r.pick(["POST", "GET", "PUT", "DELETE", "HEAD", text(r, 6) || "X"])],
    [":path", r.pick(["/v1/chat/completions", "/v1/chat/completions?x=1", "/v1/embeddings", "/v1/messages", "/", "/" + text(r, 40), "/v1/chat/completions/" + "a".repeat(r.int(20_000))])],
    [":authority", r.pick(["llm.example", "", text(r, 20)])],
  ];
  const auth = authorization(r);
  if (auth !== undefined) headers.push(["authorization", auth]);
  if (r.next() < 0.7) headers.push(["content-type", r.pick(["application/json", "text/plain", "application/json; charset=utf-8", text(r, 20)])]);
  if (r.next() < 0.3) headers.push(["accept-encoding", r.pick(["gzip", "br, deflate", ""])]);
  if (r.next() < 0.5) headers.push(["x-auth-user", r.pick(["alice", "bob", "", text(r, 30)])]);
  if (r.next() < 0.5) headers.push(["x-auth-groups", r.pick(["free", "gold", "free,gold", ",,,", "", text(r, 30)])]);
  if (r.next() < 0.5) headers.push(["x-model", r.pick(["gpt", "", text(r, 200)])]);
  for (let i = r.int(4); i > 0; i--) headers.push([r.pick(["x-a", "x-b", "content-length", "x-ratelimit-remaining-tokens", "te"]), text(r, 60)]);
  if (r.next() < 0.05) for (let i = 0; i < 200; i++) headers.push([`x-many-${i}`, text(r, 10)]);

  const reqBody = (() => { const b = requestBody(r); return typeof b === "string" ? enc.encode(b) : b; })();
  const reqChunks = cut(reqBody, chunking(r, reqBody.length));
  const reqTrailers = r.next() < 0.1;
  const status = r.pick(["200", "200", "200", "201", "204", "400", "429", "500", "503", "0", "999", "abc", ""]);
  const respHeaders: Array<[string, string]> = [[":status", status]];
  if (r.next() < 0.8) respHeaders.push(["content-type", r.pick(["application/json", "text/event-stream", "application/x-ndjson", "text/html", "", text(r, 20)])]);
  if (r.next() < 0.15) respHeaders.push(["content-encoding", r.pick(["gzip", "br", "identity", "IDENTITY", text(r, 5)])]);
  const respBody = (() => { const b = responseBody(r); return typeof b === "string" ? enc.encode(b) : b; })();
  const respChunks = cut(respBody, chunking(r, respBody.length));
  const respTrailers = r.next() < 0.1;

  const steps: Array<() => boolean> = [];
  steps.push(() => {
    s.sendRequestHeaders(headers, reqChunks.length === 0 && !reqTrailers);
    return !s.closed;
  });
  reqChunks.forEach((c, i) => steps.push(() => {
    if (s.closed || s.answeredLocally) return false;
    s.sendRequestBody(c, i === reqChunks.length - 1 && !reqTrailers);
    return !s.closed;
  }));
  if (reqTrailers) steps.push(() => {
    if (s.closed || s.answeredLocally) return false;
    s.sendRequestTrailers({ "x-trailer": text(r, 10) });
    return !s.closed;
  });
  steps.push(() => {
    if (s.closed || s.answeredLocally || s.upstreamRequest === null || !s.upstreamRequest.ended) return false;
    s.sendResponseHeaders(respHeaders, respChunks.length === 0 && !respTrailers);
    return !s.closed;
  });
  respChunks.forEach((c, i) => steps.push(() => {
    if (s.closed) return false;
    s.sendResponseBody(c, i === respChunks.length - 1 && !respTrailers);
    return !s.closed;
  }));
  if (respTrailers) steps.push(() => {
    if (s.closed) return false;
    s.sendResponseTrailers({ "grpc-status": "0" });
    return !s.closed;
  });
  // A reset anywhere (or never).
  if (r.next() < 0.2) steps.splice(1 + r.int(steps.length), 0, () => { s.reset(); return false; });
  return steps;
}

function metadata(r: Rng): Uint8Array {
  switch (r.int(4)) {
    case 0: return bytes(r, r.int(200));
    case 1: return new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    case 2: return new Uint8Array(0);
    default: {
      // filter_metadata { "envoy.filters.http.jwt_authn": Struct { "p": Struct { sub, groups } } }, sometimes truncated.
      const inner = Buffer.concat([
        Buffer.from([0x0a, 0x03]), Buffer.from("sub"), Buffer.from([0x12, 0x07, 0x1a, 0x05]), Buffer.from("alice"),
      ]);
      const fieldsEntry = Buffer.concat([Buffer.from([0x0a, 0x01]), Buffer.from("p"), Buffer.from([0x12, inner.length + 4, 0x2a, inner.length + 2, 0x0a, inner.length]), inner]);
      const struct = Buffer.concat([Buffer.from([0x0a, fieldsEntry.length]), fieldsEntry]);
      const ns = Buffer.from("envoy.filters.http.jwt_authn");
      const entry = Buffer.concat([Buffer.from([0x0a, ns.length]), ns, Buffer.from([0x12, struct.length]), struct]);
      const full = Buffer.concat([Buffer.from([0x0a, entry.length]), entry]);
      return new Uint8Array(full.subarray(0, r.next() < 0.5 ? full.length : r.int(full.length)));
    }
  }
}

test("thousands of seeded random hostile exchanges never trap, fail a worker or leave a reservation behind", async () => {
  let exchanges = 0;
  let checkedCounters = 0;
  const seen = { local: 0, reset: 0, completed: 0, charged: 0, limited: 0 };
  for (const [name, policy] of POLICIES) {
    const host = await filterHost({ pluginConfig: policy, workers: 2 });
    assert.equal(host.accepted, true, name);
    const r = prng(0x5eed + exchanges);
    const inFlight: Array<{ s: HttpStream; steps: Array<() => boolean> }> = [];
    for (let started = 0; started < 700 || inFlight.length > 0;) {
      if (started < 700 && (inFlight.length === 0 || (inFlight.length < 4 && r.next() < 0.4))) {
        const attributes = r.next() < 0.5 ? { metadata: Attr.message(metadata(r)) } : undefined;
        const s = host.newStream({ worker: r.int(2), attributes });
        inFlight.push({ s, steps: script(r, s) });
        started++;
        exchanges++;
        if (r.next() < 0.05) host.clock.advance(r.int(120_000));
        continue;
      }
      const i = r.int(inFlight.length);
      const f = inFlight[i];
      const step = f.steps.shift();
      const more = step ? step() : false;
      if (!more || f.steps.length === 0) {
        if (f.s.answeredLocally) seen.local++;
        else if (f.s.isReset) seen.reset++;
        else if (f.s.downstreamResponse?.ended) seen.completed++;
        // Whatever was left undone (a response that never came), the client gives up.
        if (!f.s.completed) {
          if (f.s.responseComplete) f.s.complete();
          else f.s.reset();
        }
        inFlight.splice(i, 1);
      }
      assert.deepEqual(host.traps, [], `${name}: trapped after ${exchanges} exchanges`);
    }
    for (let w = 0; w < 2; w++) assert.equal(host.worker(w).failed, false, `${name}: worker ${w}`);
    seen.charged += host.metric("tokenlimit.tokens_charged") ?? 0;
    seen.limited += (host.metric("tokenlimit.requests_limited") ?? 0) + (host.metric("tokenlimit.dry_run_limited") ?? 0);
    // Every stream has ended, so no counter of the current window may hold a reservation
    // (one released after its window ended stays in that window's value, which nobody reads).
    const now = host.clock.now();
    let open = 0;
    for (const e of counterEntries(host)) {
      const c = decodeCounter(e.value);
      if (c.windowStart <= now && now < c.windowStart + c.windowMs) {
        open++;
        assert.equal(c.reserved, 0, `${name}: ${e.key} still holds a reservation`);
      }
    }
    checkedCounters += open;
  }
  assert.ok(exchanges >= 3500);
  assert.ok(checkedCounters > 0, "no counter of an open window was checked for reservations");
  console.log(`hostile: ${exchanges} exchanges, ${JSON.stringify(seen)}`);
  // The inputs reached every path: refusals, resets, completed responses, charges.
  for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `no ${k} exchanges`);
});
