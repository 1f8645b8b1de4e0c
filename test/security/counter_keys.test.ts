// Security rules about counter keys: distinct counter values never share a counter. The
// key text of a value keeps its type and every byte (limits/counter_value.ts); past 128
// bytes it is the SHA-256 of that text, checked here against Node's crypto; rendering a
// value is bounded however its sub-values are shared.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Host } from "../../host-test/index.ts";
import { CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../../fixtures/llm.ts";
import { filterHost, counterEntries, counterIdentities, prng } from "../filter/helpers.ts";

const CHAT_PATH = "/v1/chat/completions";

function policy(counter: string) {
  return { limits: { chat: { rates: [{ limit: 1_000_000, window: "24h" }], counters: [{ expression: counter }] } } };
}

function jwtWith(claims: Record<string, unknown>): string {
  const b = (s: string) => Buffer.from(s).toString("base64url");
  return `${b(JSON.stringify({ alg: "RS256" }))}.${b(JSON.stringify(claims))}.c2ln`;
}

function call(host: Host, headers: Record<string, string> = {}) {
  return host.exchange({
    request: { headers: { ":method": "POST", ":path": CHAT_PATH, ":authority": "llm.example", "content-type": "application/json", ...headers }, body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
  });
}

function asUser(host: Host, sub: unknown) {
  return call(host, { authorization: `Bearer ${jwtWith({ sub })}` });
}

/** The value parts of the counter keys written so far (after `tokenlimit|chat|0|`). */
function keyValues(host: Host): string[] {
  return counterIdentities(host).map((k) => k.split("|").slice(3).join("|")).sort();
}

/** SHA-256 of the UTF-8 of `text`, as the key text of a long value is. */
function digestText(text: string): string {
  return "#sha256:" + createHash("sha256").update(Buffer.from(text, "utf8")).digest("hex");
}

test("claims 123 and \"123\" never share a counter: the key text keeps the type", async () => {
  const host = await filterHost({ pluginConfig: policy("auth.identity.userid") });
  assert.equal(asUser(host, 123).status, 200);
  assert.equal(asUser(host, "123").status, 200);
  assert.deepEqual(keyValues(host), ["123", "\\23int:123"]);
});

test("a string that reads like a typed key text is kept apart from the value it mimics", async () => {
  const host = await filterHost({ pluginConfig: policy("auth.identity.userid") });
  asUser(host, "#int:123");
  asUser(host, 123);
  assert.deepEqual(keyValues(host), ["\\23int:123", "\\23string:\\23int:123"]);
});

test("bytes b'a\\xffb' and b'a\\xfeb' never share a counter: the key text holds every byte", async () => {
  const host = await filterHost({ pluginConfig: policy(`request.headers["x-v"] == "1" ? b'a\\xffb' : b'a\\xfeb'`) });
  call(host, { "x-v": "1" });
  call(host, { "x-v": "2" });
  assert.deepEqual(keyValues(host), ["\\23bytes:61fe62", "\\23bytes:61ff62"]);
});

test("'%s'.format keeps every byte of bytes: invalid UTF-8 becomes U+FFFD instead of cutting the text", async () => {
  const host = await filterHost({ pluginConfig: policy(`'%s'.format([request.headers["x-v"] == "1" ? b'a\\xffb' : b'a'])`) });
  call(host, { "x-v": "1" });
  call(host, { "x-v": "2" });
  assert.deepEqual(keyValues(host), ["a", "a\ufffdb"]);
});

test("'%s'.format replaces each run of invalid bytes with one U+FFFD, as the strings extension does", async () => {
  // cel-spec's supplemental case "bytes support for string with invalid utf-8 encoding".
  const host = await filterHost({ pluginConfig: policy(`'%s'.format([b"\\xF0abc\\x8C\\xF0xyz"])`) });
  call(host);
  assert.deepEqual(keyValues(host), ["\ufffdabc\ufffdxyz"]);
});

test("distinct long values never share a counter: past 128 bytes the key holds the SHA-256 of the key text", async () => {
  const host = await filterHost({ pluginConfig: policy("auth.identity.userid") });
  const a = "u".repeat(199) + "a";
  const b = "u".repeat(199) + "b";
  asUser(host, a);
  asUser(host, b);
  asUser(host, "u".repeat(128));
  assert.deepEqual(keyValues(host), [digestText(a), digestText(b), "u".repeat(128)].map((k) => k.replace(/#/g, "\\23")).sort());
});

test("the filter's SHA-256 equals Node's crypto on random inputs (through the counter key of a long value)", async () => {
  const host = await filterHost({ pluginConfig: policy("auth.identity.userid") });
  const rnd = prng(20261204);
  const alphabet = ["a", "Z", "0", "-", " ", "|", "\\", "é", "€", "𝄞", "\u0001", "\""];
  const expected: string[] = [];
  for (let i = 0; i < 120; i++) {
    // 129 to ~9000 UTF-8 bytes: every padding case of the last block, and the 4 KiB chunks streamed into the digest.
    const target = 129 + rnd.int(i % 4 == 0 ? 8900 : 300);
    let s = "x";
    while (Buffer.byteLength(s) < target) s += rnd.pick(alphabet);
    assert.equal(asUser(host, s).status, 200);
    expected.push(digestText(s).replace(/#/g, "\\23"));
  }
  assert.deepEqual(keyValues(host), expected.sort());
});

test("a list and a map name distinct counters from their elements' types and bytes", async () => {
  const host = await filterHost({ pluginConfig: policy(`request.headers["x-v"] == "1" ? [1, "1"] : request.headers["x-v"] == "2" ? ["1", 1] : {"b": 2, "a": 1u}`) });
  for (const v of ["1", "2", "3"]) call(host, { "x-v": v });
  assert.deepEqual(keyValues(host), ["\\23list:[\"1\",1]", "\\23list:[1,\"1\"]", "\\23map:{\"a\":1u,\"b\":2}"]);
});

test("a counter value whose sub-values are shared renders in bounded time and memory (no value past the bound: refused)", async (t) => {
  // 24 nested maps doubling a shared list: 2^24 strings if rendered naively.
  let expr = `[auth.identity.userid]`;
  for (let i = 0; i < 24; i++) expr += `.map(x, [x, x])`;
  const host = await filterHost({ pluginConfig: policy(expr) });
  const before = host.memoryBytes();
  const t0 = performance.now();
  const r = asUser(host, "alice");
  const ms = performance.now() - t0;
  t.diagnostic(`counter key of 2^24 shared strings: ${ms.toFixed(0)} ms, Wasm memory ${before >> 20} -> ${host.memoryBytes() >> 20} MiB`);
  assert.equal(r.status, 403, "the counter has no value: refused by onCounterError");
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(host.memoryBytes() - before <= 64 << 20, `memory grew by ${(host.memoryBytes() - before) >> 20} MiB`);
  assert.deepEqual(counterEntries(host), []);
});

test("'%s'.format of a value whose sub-values are shared is bounded the same way", async (t) => {
  let expr = `[auth.identity.userid]`;
  for (let i = 0; i < 24; i++) expr += `.map(x, [x, x])`;
  const host = await filterHost({ pluginConfig: policy(`'%s'.format([${expr}])`) });
  const before = host.memoryBytes();
  const t0 = performance.now();
  const r = asUser(host, "alice");
  const ms = performance.now() - t0;
  t.diagnostic(`'%s' of 2^24 shared strings: ${ms.toFixed(0)} ms, Wasm memory ${before >> 20} -> ${host.memoryBytes() >> 20} MiB`);
  assert.equal(r.status, 403);
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(host.memoryBytes() - before <= 64 << 20);
});
