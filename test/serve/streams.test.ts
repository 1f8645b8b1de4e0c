// tokenlimit serve moves bytes as Envoy does: part by part, with backpressure instead of
// buffering, a client that goes away resets the stream (charged as aborted), an upstream
// that cannot be reached is the router's 503.
import { test } from "node:test";
import assert from "node:assert/strict";
import { request, type IncomingMessage } from "node:http";
import { chatHeaders } from "../../fixtures/llm.ts";
import { dailyPolicy, proxy, until, upstream } from "./helpers.ts";

const CHAT = JSON.stringify({ model: "m", messages: [{ role: "user", content: "Hello!" }], stream: true, max_tokens: 100 });

/** Request headers of a chat completion by alice, for node:http. */
function headers(): Record<string, string> {
  const h = chatHeaders("alice", ["free"]);
  return { "content-type": h["content-type"], authorization: h.authorization };
}

function post(url: string, body: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/chat/completions`, { method: "POST", headers: headers() }, resolve);
    req.on("error", reject);
    req.end(body);
  });
}

const EVENT = `data: {"choices":[{"index":0,"delta":{"content":"${"x".repeat(200)}"}}]}\n\n`;

test("a client that disconnects mid-stream resets it: the upstream request is reset and the stream charged as aborted", async (t) => {
  let upstreamClosed = false;
  let upstreamGotRequest = false;
  const up = await upstream(t, (req, res) => {
    upstreamGotRequest = true;
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(EVENT);
    res.on("close", () => { upstreamClosed = true; });
    // ... and never ends.
  });
  const p = await proxy(t, { pluginConfig: dailyPolicy(100000), upstream: up.url });
  const res = await post(p.url, CHAT);
  assert.equal(res.statusCode, 200);
  const first = await new Promise<Buffer>((resolve) => res.once("data", resolve));
  assert.match(first.toString(), /^data: /);
  res.destroy();
  await until(() => p.metric("tokenlimit.streams_aborted") === 1, 5000, "streams_aborted");
  await until(() => upstreamClosed, 5000, "the upstream request reset");
  await until(() => p.logs.length === 1, 5000, "the log line");
  assert.ok(upstreamGotRequest);
  assert.equal(p.logs[0].record.reset, true);
  assert.equal(p.logs[0].record.outcome.aborted, true);
  assert.match(p.logs[0].line, /^caller=alice POST \/v1\/chat\/completions reset limits=free:admitted tokens=(\d+) used=free:\1\/100000 remaining=\d+ aborted worker=0 \d+ms$/);
  assert.match(await p.prometheus(), /^tokenlimit_streams_aborted\{\} 1$/m);
});

test("backpressure: a client that does not read makes the proxy pause the upstream instead of buffering its body", async (t) => {
  const TOTAL = 48 * 1024 * 1024;
  const chunk = Buffer.from(EVENT.repeat(Math.floor(65536 / EVENT.length)));
  let written = 0;
  let finished = false;
  const up = await upstream(t, (req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    const pump = (): void => {
      while (written < TOTAL) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once("drain", pump);
          return;
        }
      }
      res.end('data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":9,"total_tokens":10}}\n\ndata: [DONE]\n\n');
      finished = true;
    };
    pump();
  });
  const p = await proxy(t, { pluginConfig: dailyPolicy(100000), upstream: up.url });
  const wasmMemory = p.serving.host.memoryBytes(0);
  const res = await post(p.url, CHAT);
  assert.equal(res.statusCode, 200);
  res.pause();
  // Let the pipes fill: the upstream stops once the sockets and the proxy's watermarks are full.
  let last = -1;
  while (last !== written) {
    last = written;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.equal(finished, false);
  // What was written sits in the loopback sockets' kernel buffers (a few MiB each way).
  assert.ok(written < TOTAL / 2, `the upstream was paused after ${written} of ${TOTAL} bytes`);
  assert.ok(p.serving.maxClientBuffered <= 1024 * 1024, `the proxy held at most ${p.serving.maxClientBuffered} bytes for the client`);
  let received = 0;
  res.on("data", (b: Buffer) => { received += b.length; });
  res.resume();
  await new Promise((r) => res.on("end", r));
  assert.equal(finished, true);
  assert.ok(received > TOTAL);
  await until(() => p.logs.length === 1, 5000, "the log line");
  assert.equal(p.logs[0].record.outcome.tokens, 10, "the usage at the end of 48 MiB was read and charged");
  assert.ok(p.serving.host.memoryBytes(0) - wasmMemory <= 1024 * 1024, "the filter's memory did not grow with the body");
});

test("an upstream that cannot be reached: the router's 503, nothing charged", async (t) => {
  const gone = await upstream(t, () => {});
  const url = gone.url;
  await new Promise<void>((resolve) => gone.server.close(() => resolve()));
  const p = await proxy(t, { pluginConfig: dailyPolicy(100000), upstream: url });
  const res = await post(p.url, CHAT);
  const body = await new Promise<string>((resolve) => {
    let s = "";
    res.on("data", (b: Buffer) => { s += b; });
    res.on("end", () => resolve(s));
  });
  assert.equal(res.statusCode, 503);
  assert.equal(body, "upstream connect error or disconnect/reset before headers. reset reason: connection failure");
  await until(() => p.logs.length === 1, 5000, "the log line");
  assert.equal(p.logs[0].record.outcome.tokens, 0);
  assert.equal(p.metric("tokenlimit.tokens_charged") ?? 0, 0);
});

test("an upstream that breaks mid-stream: the client's stream is reset too, and charged as aborted", async (t) => {
  const up = await upstream(t, (req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/event-stream" });
    res.write(EVENT, () => setTimeout(() => res.socket?.destroy(), 20));
  });
  const p = await proxy(t, { pluginConfig: dailyPolicy(100000), upstream: up.url });
  const res = await post(p.url, CHAT);
  assert.equal(res.statusCode, 200);
  const ended = await new Promise<string>((resolve) => {
    res.on("data", () => {});
    res.on("end", () => resolve("end"));
    res.on("error", () => resolve("error"));
    res.on("aborted", () => resolve("aborted"));
  });
  assert.notEqual(ended, "end", "the client must not take a cut stream for a complete one");
  await until(() => p.logs.length === 1, 5000, "the log line");
  assert.equal(p.logs[0].record.reset, true);
  assert.equal(p.metric("tokenlimit.streams_aborted"), 1);
});
