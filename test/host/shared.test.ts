// Shared data and shared queues across worker VMs with the same vm_id (cpp-host
// shared_data.cc / shared_queue.cc): a global CAS counter, cas 0 always wins, a stale cas is
// CAS_MISMATCH, a missing key is created; queue notifications go to the registering VM.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WasmResult as R, type GuestProbe } from "../../host-test/index.ts";
import { probeHost, REQ, hc, inRoot, text } from "./helpers.ts";

function get(g: GuestProbe, key: string): [number, string, number] {
  const [k, kl] = g.put(key);
  const vp = g.slot(4);
  const vs = g.slot(4);
  const cas = g.slot(4);
  const st = hc(g, "proxy_get_shared_data", k, kl, vp, vs, cas);
  return [st, st === 0 ? g.resultText(vp, vs) : "", g.u32(cas)];
}

function set(g: GuestProbe, key: string, value: string, cas: number): number {
  const [k, kl] = g.put(key);
  const [v, vl] = g.put(value);
  return hc(g, "proxy_set_shared_data", k, kl, v, vl, cas);
}

test("shared data across two worker VMs with compare-and-swap", async () => {
  const host = await probeHost({ workers: 2, vmId: "tl" });
  const log: unknown[] = [];
  inRoot(host, (g) => {
    log.push(get(g, "counter")); // missing
    log.push(set(g, "counter", "1", 0)); // cas 0: unconditional
    log.push(get(g, "counter"));
  }, 0);
  inRoot(host, (g) => {
    const [, v, cas] = get(g, "counter");
    log.push(v, set(g, "counter", "2", cas)); // worker 1 wins the race
  }, 1);
  inRoot(host, (g) => {
    log.push(set(g, "counter", "3", 1)); // worker 0 with its stale cas
    const [, v, cas] = get(g, "counter");
    log.push(v, cas, set(g, "counter", "3", cas), set(g, "other", "x", 12345), set(g, "counter", "4", 0));
  }, 0);
  assert.deepEqual(log, [
    [R.NotFound, "", 0],
    R.Ok,
    [R.Ok, "1", 1],
    "1", R.Ok,
    R.CasMismatch,
    "2", 2, R.Ok, R.Ok, R.Ok,
  ]);
  // The CAS counter is global: counter got 1, 2, 3, then other 4, then counter 5.
  assert.deepEqual(host.sharedData.entries().map((e) => [e.key, e.text, e.cas]), [["counter", "4", 5], ["other", "x", 4]]);
  assert.equal(host.sharedData.get("counter", "another-vm"), undefined);
});

test("tests can seed shared data with the same CAS rules", async () => {
  const host = await probeHost();
  assert.equal(host.sharedData.set("k", "v"), R.Ok);
  assert.equal(host.sharedData.set("k", "w", 99), R.CasMismatch);
  let seen: unknown;
  inRoot(host, (g) => (seen = get(g, "k")));
  assert.deepEqual(seen, [R.Ok, "v", 1]);
});

test("shared queues: register, resolve, enqueue from another VM, on_queue_ready on the registering VM, dequeue", async () => {
  const host = await probeHost({ workers: 2 });
  let token = 0;
  const events: string[] = [];
  inRoot(host, (g) => {
    const slot = g.slot(4);
    assert.equal(hc(g, "proxy_register_shared_queue", ...g.put("usage"), slot), R.Ok);
    token = g.u32(slot);
  }, 0);
  host.probe("proxy_on_queue_ready", (g) => {
    events.push(`${g.vm} ready ${g.args.join(",")}`);
    for (;;) {
      const p = g.slot(4);
      const s = g.slot(4);
      const st = hc(g, "proxy_dequeue_shared_queue", g.args[1], p, s);
      events.push(st === R.Ok ? `got ${g.resultText(p, s)}` : `status ${st}`);
      if (st !== R.Ok) break;
    }
  });
  inRoot(host, (g) => {
    const slot = g.slot(4);
    assert.equal(hc(g, "proxy_resolve_shared_queue", ...g.put(""), ...g.put("usage"), slot), R.Ok);
    assert.equal(g.u32(slot), token);
    assert.equal(hc(g, "proxy_resolve_shared_queue", ...g.put(""), ...g.put("nope"), slot), R.NotFound);
    assert.equal(hc(g, "proxy_enqueue_shared_queue", token, ...g.put("42 tokens")), R.Ok);
    assert.equal(hc(g, "proxy_enqueue_shared_queue", 999, ...g.put("x")), R.NotFound);
    assert.equal(hc(g, "proxy_dequeue_shared_queue", 999, g.slot(4), g.slot(4)), R.NotFound);
    events.push("enqueued");
  }, 1);
  assert.deepEqual(events, ["enqueued", "worker 0 ready 1,1", "got 42 tokens", `status ${R.Empty}`]);
  assert.equal(token, 1);
});

test("a stream context registers queues for its root; the last registration receives notifications", async () => {
  const host = await probeHost({ workers: 2 });
  const ready: string[] = [];
  host.probe("proxy_on_queue_ready", (g) => ready.push(`${g.vm}:${g.args[0]}`));
  host.probe("proxy_on_request_headers", (g) => {
    const slot = g.slot(4);
    hc(g, "proxy_register_shared_queue", ...g.put("q"), slot);
  });
  host.newStream({ worker: 0 }).sendRequestHeaders(REQ);
  host.newStream({ worker: 1 }).sendRequestHeaders(REQ);
  inRoot(host, (g) => hc(g, "proxy_enqueue_shared_queue", 1, ...g.put("x")), 0);
  assert.deepEqual(ready, ["worker 1:1"]);
  assert.equal(text(host.queueItems("q")[0]), "x");
});
