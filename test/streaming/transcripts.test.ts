// Each provider's transcript, replayed through the real filter the way a proxy delivers
// it: in chunks of every size, split at every offset, split twice inside data lines,
// JSON strings and numbers, and with CRLF or CR line endings. The charge must be the
// exact usage every time.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as T from "../../fixtures/transcripts.ts";
import type { Transcript } from "../../fixtures/transcripts.ts";
import { newHost, policy, replay, requestHeaders, storedUsed, storedReserved, utf8 } from "./helpers.ts";

const ALL: Transcript[] = [...T.STREAMS, ...T.JSON_BODIES];

/** Replays `body` in every chunk size from 1 to its length; returns the sizes charged wrongly. */
function everySize(host: Awaited<ReturnType<typeof newHost>>, t: Transcript, body: string): number[] {
  const n = utf8(body).length;
  const wrong: number[] = [];
  for (let k = 1; k <= n; k++) {
    if (replay(host, t, { body, chunkSize: k }).charged !== t.usage.total) wrong.push(k);
  }
  return wrong;
}

for (const t of ALL) {
  test(`${t.name}: charged exactly its total in chunks of every size from 1 byte to the whole body`, async () => {
    const host = await newHost();
    assert.deepEqual(everySize(host, t, t.body), [], "chunk sizes charged wrongly");
    assert.equal(host.traps.length, 0);
  });

  test(`${t.name}: charged exactly when split in two at every offset`, async () => {
    const host = await newHost();
    const n = utf8(t.body).length;
    const wrong: number[] = [];
    for (let k = 1; k < n; k++) if (replay(host, t, { chunkSize: [k] }).charged !== t.usage.total) wrong.push(k);
    assert.deepEqual(wrong, []);
  });
}

for (const t of T.STREAMS) {
  test(`${t.name}: CRLF line endings, every chunk size, exact charge`, async () => {
    const host = await newHost();
    assert.deepEqual(everySize(host, t, T.crlf(t.body)), []);
  });

  test(`${t.name}: bare CR line endings, every chunk size, exact charge`, async () => {
    const host = await newHost();
    assert.deepEqual(everySize(host, t, T.cr(t.body)), []);
  });
}

test("Gemini's stream with LF line endings instead of its native CRLF is charged the same", async () => {
  const host = await newHost();
  const lf = T.GEMINI_STREAM.body.replace(/\r\n/g, "\n");
  assert.notEqual(lf, T.GEMINI_STREAM.body);
  assert.deepEqual(everySize(host, T.GEMINI_STREAM, lf), []);
});

/** Byte offsets (in UTF-8) of the first occurrence of `needle` in `body` after `from`. */
function offsetOf(body: string, needle: string, from = 0): number {
  const i = body.indexOf(needle, from);
  assert.ok(i >= 0, `${needle} not found`);
  return utf8(body.slice(0, i)).length;
}

/** Splits the body in three at every pair of offsets in [from, to]; returns the pairs charged wrongly. */
function everyPair(host: Awaited<ReturnType<typeof newHost>>, t: Transcript, body: string, from: number, to: number): string[] {
  const wrong: string[] = [];
  for (let a = from; a <= to; a++) {
    for (let b = a + 1; b <= to + 1; b++) {
      if (replay(host, t, { body, chunkSize: [a, b - a] }).charged !== t.usage.total) wrong.push(`${a}/${b}`);
    }
  }
  return wrong;
}

test("splits inside the usage chunk's data: prefix and every number of its usage object are charged exactly", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  for (const body of [t.body, T.crlf(t.body)]) {
    const usageLine = body.lastIndexOf("data: {");
    const start = utf8(body.slice(0, usageLine)).length;
    // "data: " itself, split twice anywhere inside it
    assert.deepEqual(everyPair(host, t, body, start, start + 7), []);
    // every digit of every count: splits land inside the numbers and around them
    const u = offsetOf(body, '"usage":{"prompt_tokens"', usageLine);
    const end = offsetOf(body, '"accepted_prediction_tokens"', usageLine);
    assert.deepEqual(everyPair(host, t, body, u, end), []);
  }
});

test("splits inside JSON strings with escapes and multi-byte UTF-8 are charged exactly", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  // `"Here is a \"haiku\":\n\n"` and `"Caf\u00e9 steam rises \u2014 ☕"` (a 3-byte character)
  const a = offsetOf(t.body, String.raw`"Here is a \"haiku`);
  assert.deepEqual(everyPair(host, t, t.body, a, a + 28), []);
  const b = offsetOf(t.body, String.raw`"Caf\u00e9`);
  assert.deepEqual(everyPair(host, t, t.body, b, b + 34), []);
});

test("Anthropic: splits inside message_start's input_tokens and message_delta's output_tokens are charged exactly", async () => {
  const host = await newHost();
  const t = T.ANTHROPIC_STREAM;
  const i = offsetOf(t.body, '"input_tokens":472');
  assert.deepEqual(everyPair(host, t, t.body, i - 2, i + 20), []);
  const o = offsetOf(t.body, '"output_tokens":187');
  assert.deepEqual(everyPair(host, t, t.body, o - 2, o + 21), []);
});

test("Gemini: splits between CR and LF and inside totalTokenCount are charged exactly", async () => {
  const host = await newHost();
  const t = T.GEMINI_STREAM;
  const last = t.body.lastIndexOf("data: ");
  const tot = offsetOf(t.body, '"totalTokenCount": 121', last);
  assert.deepEqual(everyPair(host, t, t.body, tot, tot + 23), []);
  // the CRLF CRLF ending the first event, split at every pair of offsets around it
  const crlf = offsetOf(t.body, "\r\n\r\n");
  assert.deepEqual(everyPair(host, t, t.body, crlf - 2, crlf + 6), []);
});

test("one byte at a time, the client receives every transcript unchanged", async () => {
  const host = await newHost();
  for (const t of ALL) {
    const { result, charged } = replay(host, t, { chunkSize: 1 });
    assert.equal(result.status, 200);
    assert.deepEqual(result.bodyBytes, utf8(t.body), t.name);
    assert.equal(charged, t.usage.total, t.name);
  }
});

test("the stored counter holds the sum of the charges and no reservation once streams end", async () => {
  const host = await newHost();
  let sum = 0;
  for (const t of ALL) for (const k of [1, 3, 64, 1000]) sum += replay(host, t, { chunkSize: k, user: "bob" }).charged;
  const expected = ALL.reduce((s, t) => s + 4 * t.usage.total, 0);
  assert.equal(sum, expected);
  assert.equal(storedUsed(host, "user", "bob"), expected);
  assert.equal(storedReserved(host, "user", "bob"), 0);
  assert.equal(host.metric("tokenlimit.limit.user.tokens_charged"), expected);
});

test("the next request's x-ratelimit-remaining-tokens reflects the streamed usage", async () => {
  const host = await newHost(policy({}, { user: { rates: [{ limit: 10000, window: "24h" }], counters: [{ expression: "auth.identity.userid" }] } }));
  replay(host, T.OPENAI_CHAT_STREAM, { chunkSize: 5 });
  // The next request reserves its max_completion_tokens (256) and its input ("user", "Say hello.": 4) at admission.
  const next = replay(host, T.OPENAI_CHAT_JSON);
  assert.equal(next.result.headers["x-ratelimit-remaining-tokens"], String(10000 - 1963 - 256 - 4));
  assert.equal(next.result.headers["x-ratelimit-limit-tokens"], "10000");
  // And after it settles (69 tokens), a third sees both charges and its own reservation (1000, the default).
  const third = host.exchange({
    request: { headers: requestHeaders("/v1/chat/completions"), body: '{"model":"gpt-4o","messages":[]}' },
    response: { headers: { ":status": "200", "content-type": "application/json" }, body: T.OPENAI_CHAT_JSON.body },
  });
  assert.equal(third.headers["x-ratelimit-remaining-tokens"], String(10000 - 1963 - 69 - 1000));
});

test("without a content-type, or with parameters, the body's first byte decides between JSON and SSE", async () => {
  const host = await newHost();
  for (const t of ALL) {
    const variants: Array<Record<string, string>> = [{ ":status": "200" }, { ":status": "200", "content-type": `${t.contentType.split(";")[0]}; charset=utf-8` }];
    for (const headers of variants) {
      for (const chunkSize of [1, 100]) {
        assert.equal(replay(host, t, { responseHeaders: headers, chunkSize }).charged, t.usage.total, `${t.name} ${JSON.stringify(headers)}`);
      }
    }
  }
});

test("Gemini's streamGenerateContent without alt=sse (one JSON array of chunks, last usageMetadata wins)", async () => {
  const host = await newHost();
  const chunks = T.GEMINI_STREAM.body.split("\r\n\r\n").filter((e) => e.length > 0).map((e) => e.slice("data: ".length));
  const body = "[" + chunks.join(",\r\n") + "]";
  const path = "/v1beta/models/gemini-2.5-flash:streamGenerateContent";
  assert.deepEqual(everySize(host, { ...T.GEMINI_STREAM, path, contentType: "application/json", body }, body), []);
});

test("SSE variations servers send are charged exactly: no space after data:, comments, id/retry lines, split data, BOM", async () => {
  const host = await newHost();
  const t = T.OPENAI_CHAT_STREAM;
  const usageLine = t.body.slice(t.body.lastIndexOf("data: {")).split("\n")[0];
  const json = usageLine.slice("data: ".length);
  const cut = json.indexOf('"completion_tokens"');
  const variants: Record<string, string> = {
    "no space after data:": t.body.replace(/^data: /gm, "data:"),
    "keep-alive comments between events": t.body.replace(/\n\n/g, "\n\n: OPENROUTER PROCESSING\n\n"),
    "id: and retry: lines": t.body.replace(/^data: /gm, "id: 7\nretry: 3000\ndata: "),
    "usage JSON split over two data: lines": t.body.replace(usageLine, `data: ${json.slice(0, cut)}\ndata: ${json.slice(cut)}`),
    "a byte order mark": "\uFEFF" + t.body,
  };
  for (const [name, body] of Object.entries(variants)) {
    assert.notEqual(body, t.body, name);
    for (const chunkSize of [1, 2, 3, 5, 8, 13, 64, 10000]) {
      assert.equal(replay(host, t, { body, chunkSize }).charged, 1963, `${name}, chunks of ${chunkSize}`);
    }
  }
});
