// The `serve` command and its parts: arguments, policy files, clusters connected to real
// sockets, the built-in upstream's usage.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseCluster } from "../../src/serve/clusters.ts";
import { parseListen, startServe } from "../../src/serve/server.ts";
import { mockUsage } from "../../src/serve/mock-upstream.ts";
import { loadServePolicy } from "../../src/serve/command.ts";
import { DEFAULT_POLICY } from "../../src/serve/defaults.ts";
import { EXAMPLE_POLICY } from "../../fixtures/llm.ts";
import { WASM, upstream, until } from "./helpers.ts";
import { startRawGrpcServer } from "../support/grpc.ts";

test("--cluster and --listen take host:port and say what is wrong otherwise", () => {
  assert.deepEqual(parseCluster("ratelimit=127.0.0.1:8081"), { name: "ratelimit", host: "127.0.0.1", port: 8081 });
  assert.deepEqual(parseCluster("alerts=[::1]:9000"), { name: "alerts", host: "::1", port: 9000 });
  assert.throws(() => parseCluster("ratelimit"), /--cluster ratelimit: expected name=host:port/);
  assert.throws(() => parseCluster("a=b:70000"), /expected name=host:port/);
  assert.deepEqual(parseListen(":8080"), { host: "127.0.0.1", port: 8080 });
  assert.deepEqual(parseListen("[::1]:0"), { host: "::1", port: 0 });
  assert.throws(() => parseListen("8080"), /--listen 8080: expected host:port/);
});

test("the built-in upstream's usage depends only on the request", () => {
  assert.deepEqual(mockUsage({ messages: [{ role: "user", content: "Hello!" }], max_tokens: 50 }), { prompt: 2, completion: 50 });
  assert.deepEqual(mockUsage({ messages: [{ role: "user", content: [{ type: "text", text: "12345678" }] }] }), { prompt: 2, completion: 85 });
  assert.deepEqual(mockUsage({ max_completion_tokens: 7 }), { prompt: 1, completion: 7 });
});

test("the default policy is the example policy on both chat completions and /v1/messages", () => {
  const bothPaths = 'request.url_path in ["/v1/chat/completions", "/v1/messages"]';
  const expected = JSON.parse(JSON.stringify(EXAMPLE_POLICY).replaceAll(JSON.stringify('request.url_path == "/v1/chat/completions"'), JSON.stringify(bothPaths))) as unknown;
  assert.deepEqual(DEFAULT_POLICY, expected);
});

test("a policy file is checked by the filter first; its problems are reported at their line", async () => {
  const wasm = readFileSync(WASM);
  const bad = "limits:\n  free:\n    rates: [{ limit: 10, window: 1w }]\n";
  const r = await loadServePolicy("p.yaml", bad, wasm);
  assert.ok("error" in r);
  assert.match(r.error, /3:\d+: .*limits\.free\.rates\[0\]\.window: invalid duration "1w"/);
  const good = await loadServePolicy("p.yaml", "limits:\n  free:\n    rates: [{ limit: 10, window: 1m }]\n", wasm);
  assert.deepEqual(good, { config: { limits: { free: { rates: [{ limit: 10, window: "1m" }] } } } });
});

test("--cluster: the filter's HTTP calls reach a real service, and its answer reaches the filter", async (t) => {
  const seen: string[] = [];
  const svc = await upstream(t, (req, res) => {
    let body = "";
    req.on("data", (b: Buffer) => { body += b; });
    req.on("end", () => {
      seen.push(`${req.method} ${req.url} ${req.headers.host} ${body}`);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("quota-ok");
    });
  });
  const logs: string[] = [];
  // A test module whose root context calls cluster "quota" (GET /quota) in on_configure.
  const serving = await startServe({
    wasm: "build/modules/as_calls.wasm", pluginConfig: "http", upstream: svc.url, listen: "127.0.0.1:0",
    clusters: [parseCluster(`quota=${new URL(svc.url).host}`)], onLog: (e) => logs.push(e.message),
  });
  t.after(() => serving.close());
  await until(() => logs.filter((l) => l.startsWith("http response")).length >= 1, 5000, "the call's response");
  assert.ok(seen.includes("GET /quota quota q"), seen.join("; "));
  assert.ok(logs.some((l) => /^http response \d+ 200 quota-ok$/.test(l)), logs.join("; "));
});

test("--cluster: the filter's gRPC calls reach a real gRPC service over HTTP/2, and its answer reaches the filter", async (t) => {
  const seen: string[] = [];
  const svc = await startRawGrpcServer({
    "envoy.service.ratelimit.v3.RateLimitService": {
      ShouldRateLimit: (call, cb) => {
        seen.push(`${call.getPath()} ${call.getHost()} ${call.request.toString("latin1")}`);
        cb(null, Buffer.from("rls-ok"));
      },
    },
  });
  t.after(() => svc.stop());
  const quota = await upstream(t, (_req, res) => res.end());
  const logs: string[] = [];
  // The same test module, calling cluster "ratelimit" over gRPC in on_configure.
  const serving = await startServe({
    wasm: "build/modules/as_calls.wasm", pluginConfig: "grpc", upstream: quota.url, listen: "127.0.0.1:0",
    clusters: [parseCluster(`ratelimit=${svc.address}`)], onLog: (e) => logs.push(e.message),
  });
  t.after(() => serving.close());
  await until(() => logs.some((l) => l.startsWith("grpc receive")), 5000, "the call's answer");
  assert.deepEqual(seen, ["/envoy.service.ratelimit.v3.RateLimitService/ShouldRateLimit ratelimit req"]);
  assert.ok(logs.includes("grpc receive 5 rls-ok"), logs.join("; "));
});

test("tokenlimit serve: starts on the embedded default, proxies, serves metrics, and stops on SIGTERM", async (t) => {
  const child = spawn(process.execPath, ["src/tokenlimit.mjs", "serve", "--listen", "127.0.0.1:0", "--workers", "2"], { stdio: ["ignore", "pipe", "pipe"] });
  t.after(() => { if (child.exitCode === null) child.kill("SIGKILL"); });
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (b: Buffer) => { stderr += b; });
  child.stdout.on("data", (b: Buffer) => { stdout += b; });
  await until(() => /listening on (http:\/\/\S+),/.test(stderr), 20000, "the listening line");
  const url = /listening on (http:\/\/\S+),/.exec(stderr)![1];
  assert.match(stderr, /2 worker\(s\)/);
  assert.match(stderr, /built-in mock/);
  const r = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"messages":[]}' });
  assert.equal(r.status, 200);
  await r.text();
  const metrics = await (await fetch(`${url}/stats/prometheus`)).text();
  assert.match(metrics, /^tokenlimit_requests_admitted\{\} 0$/m, "no limit applies to a caller without identity groups");
  await until(() => /caller=127\.0\.0\.1:\d+ POST \/v1\/chat\/completions 200 limits=- tokens=0/.test(stdout), 5000, "the log line");
  child.kill("SIGTERM");
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  assert.equal(code, 0);
});

test("tokenlimit serve refuses a policy the filter refuses, and says where", async () => {
  const child = spawn(process.execPath, ["src/tokenlimit.mjs", "serve", "--policy", "-", "--listen", "127.0.0.1:0"], { stdio: ["pipe", "pipe", "pipe"] });
  child.stdin.end("limits:\n  free:\n    rates: [{ limit: -1, window: 1m }]\n");
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => { stderr += b; });
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  assert.equal(code, 1);
  assert.match(stderr, /3:\d+: .*limits\.free\.rates\[0\]\.limit/);
});
