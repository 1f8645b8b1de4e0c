// host-test is as strict as Envoy about what reaches a filter, so that a test never blames
// the filter for a request Envoy would have refused before it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Host } from "../../host-test/index.ts";
import { EXAMPLE_POLICY, jwtFor } from "../../fixtures/llm.ts";
import { filterHost } from "../filter/helpers.ts";

test("a request without :authority is answered 400 missing_host_header by the connection manager, and no filter sees it", async () => {
  const host = await filterHost({ trace: true });
  const before = host.callNames("worker 0").length;
  const r = host.exchange({ request: { headers: { ":method": "POST", ":path": "/v1/chat/completions", ":scheme": "https" }, body: "{}" } });
  assert.equal(r.status, 400);
  assert.equal(r.localResponse?.details, "missing_host_header");
  assert.equal(r.upstreamRequest, null);
  assert.deepEqual(host.callNames("worker 0").slice(before), [], "no on_context_create, no callback, no on_log");
  assert.deepEqual(host.traps, []);
});

test("a request without :path, or with an empty one, is answered 404 missing_path_rejected, and no filter sees it", async () => {
  const host = await filterHost({ trace: true });
  const requests: Array<Record<string, string>> = [{ ":method": "GET", ":authority": "llm" }, { ":method": "GET", ":authority": "llm", ":path": "" }];
  for (const headers of requests) {
    const r = host.exchange({ request: { headers } });
    assert.equal(r.status, 404);
    assert.equal(r.localResponse?.details, "missing_path_rejected");
  }
  assert.ok(!host.callNames("worker 0").includes("proxy_on_request_headers"));
});

test("a CONNECT request without :path reaches the filter", async () => {
  const host = await filterHost({ trace: true });
  host.exchange({ request: { headers: { ":method": "CONNECT", ":authority": "llm:443" } } });
  assert.ok(host.callNames("worker 0").includes("proxy_on_request_headers"));
});

test("two authorization headers reach the filter joined with a comma, as Envoy's inline header does", async () => {
  // No identity source: the joined header is not judged here, only carried.
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: { ...EXAMPLE_POLICY, identity: { source: "none" } }, trace: false });
  let seen: string | undefined;
  const r = host.exchange({
    request: {
      headers: [[":method", "POST"], [":path", "/v1/chat/completions"], [":authority", "llm"],
        ["authorization", `Bearer ${jwtFor("alice", ["free"])}`], ["authorization", `Bearer ${jwtFor("bob", ["gold"])}`]],
    },
    response: (req) => {
      seen = req.headers["authorization"];
      return { headers: { ":status": "200" } };
    },
  });
  assert.equal(r.status, 200);
  assert.equal(seen, `Bearer ${jwtFor("alice", ["free"])},Bearer ${jwtFor("bob", ["gold"])}`);
  const pairs = r.upstreamRequest!.headerPairs.filter(([k]) => k === "authorization");
  assert.equal(pairs.length, 1, "one entry, not two");
});

test("a joined authorization header decodes to no identity: a limit counting users refuses it", async () => {
  const policy = { limits: { per_user: { rates: [{ limit: 1000, window: "1h" }], counters: [{ expression: "auth.identity.userid" }] } } };
  const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: policy, trace: false });
  const r = host.exchange({
    request: {
      headers: [[":method", "POST"], [":path", "/v1/chat/completions"], [":authority", "llm"],
        ["authorization", `Bearer ${jwtFor("alice", [])}`], ["authorization", `Bearer ${jwtFor("bob", [])}`]],
    },
  });
  assert.equal(r.status, 403);
  assert.equal(r.upstreamRequest, null);
});
