// Leader election on a Lease in the test API server: two replicas, one clock the test moves.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ApiError, type KubeClient, kubeClient } from "../../src/controller/kube.ts";
import { LeaderElector, decide } from "../../src/controller/leader.ts";
import { ManualClock } from "../support/clock.ts";
import { kubeConfigFor } from "../support/kube-api/client.ts";
import { RESOURCES } from "../support/kube-api/resources.ts";
import { KubeApiServer } from "../support/kube-api/server.ts";

const T0 = Date.UTC(2026, 11, 4, 12);
const LEASES = RESOURCES.find((t) => t.plural === "leases")!;

async function replicas(t: { after: (fn: () => Promise<void>) => void }) {
  const server = new KubeApiServer();
  const url = await server.start();
  t.after(() => server.stop());
  const clock = new ManualClock(T0);
  const client = kubeClient(kubeConfigFor(url));
  const changes: string[] = [];
  // Replica a's link to the API server can be cut (a network partition).
  const link = { a: true };
  const unreachable = () => Promise.reject(new ApiError(0, "connect ECONNREFUSED"));
  const clientOf = (identity: string): KubeClient => identity !== "a" ? client : {
    ...client,
    get: (...args) => (link.a ? client.get(...args) : unreachable()),
    replace: (...args) => (link.a ? client.replace(...args) : unreachable()),
  };
  const elector = (identity: string) => new LeaderElector(clientOf(identity), { namespace: "tokenlimit-system", name: "tokenlimit-controller", identity }, clock,
    (leading) => changes.push(`${identity} ${leading ? "leads" : "stops"}`));
  const lease = () => server.store.get(LEASES, "tokenlimit-system", "tokenlimit-controller").spec;
  return { server, clock, a: elector("a"), b: elector("b"), lease, changes, link };
}

test("the first replica takes the Lease; the second waits while it is renewed", async (t) => {
  const r = await replicas(t);
  await r.a.step();
  await r.b.step();
  assert.deepEqual(r.lease(), {
    holderIdentity: "a", leaseDurationSeconds: 15, leaseTransitions: 0,
    acquireTime: "2026-12-04T12:00:00.000000Z", renewTime: "2026-12-04T12:00:00.000000Z",
  });
  assert.deepEqual([r.a.isLeader(), r.b.isLeader()], [true, false]);
  for (let i = 0; i < 10; i++) {
    r.clock.advance(2_000);
    await r.a.step();
    await r.b.step();
    assert.deepEqual([r.a.isLeader(), r.b.isLeader()], [true, false]);
  }
  assert.equal(r.lease().renewTime, "2026-12-04T12:00:20.000000Z");
  assert.deepEqual(r.changes, ["a leads"]);
});

test("two replicas asking at the same moment: exactly one leads, the other's write is refused with 409", async (t) => {
  const r = await replicas(t);
  await Promise.all([r.a.step(), r.b.step()]);
  assert.equal([r.a.isLeader(), r.b.isLeader()].filter(Boolean).length, 1);
  const creates = r.server.requests.filter((q) => q.method === "POST").length;
  assert.equal(creates, 2);
});

test("a leader that cannot renew stops leading at the renew deadline (10 s), before the lease expires (15 s) and the other takes over", async (t) => {
  const r = await replicas(t);
  await r.a.step();
  r.link.a = false;
  const timeline: string[] = [];
  for (let s = 2; s <= 16; s += 2) {
    r.clock.advance(2_000);
    await r.a.step();
    await r.b.step();
    timeline.push(`${s}s a=${r.a.isLeader()} b=${r.b.isLeader()}`);
  }
  assert.deepEqual(timeline, [
    "2s a=true b=false", "4s a=true b=false", "6s a=true b=false", "8s a=true b=false",
    "10s a=false b=false", "12s a=false b=false", "14s a=false b=false", "16s a=false b=true",
  ]);
  assert.equal(r.lease().holderIdentity, "b");
  assert.equal(r.lease().leaseTransitions, 1);
});

test("a leader that stops gracefully releases the Lease: the other replica takes over at its next attempt", async (t) => {
  const r = await replicas(t);
  await r.a.step();
  await r.a.stop();
  assert.equal(r.lease().holderIdentity, "");
  await r.b.step();
  assert.deepEqual([r.a.isLeader(), r.b.isLeader()], [false, true]);
  assert.deepEqual(r.changes, ["a leads", "a stops", "b leads"]);
});

test("decide: create when absent, renew one's own, wait for a live holder, take over an expired or released lease", () => {
  const at = (s: number) => T0 + s * 1000;
  const held = (holder: string, renewed: number) => ({
    apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { name: "l" },
    spec: { holderIdentity: holder, leaseDurationSeconds: 15, renewTime: new Date(at(renewed)).toISOString(), leaseTransitions: 3 },
  });
  assert.equal(decide(undefined, "a", at(0), 15_000).action, "create");
  assert.equal(decide(held("a", 0), "a", at(30), 15_000).action, "renew");
  assert.deepEqual(decide(held("b", 0), "a", at(14.999), 15_000), { action: "wait", holder: "b" });
  assert.deepEqual(decide(held("b", 0), "a", at(15), 15_000), {
    action: "takeover",
    spec: { holderIdentity: "a", leaseDurationSeconds: 15, acquireTime: "2026-12-04T12:00:15.000000Z", renewTime: "2026-12-04T12:00:15.000000Z", leaseTransitions: 4 },
  });
  assert.equal(decide(held("", 0), "a", at(1), 15_000).action, "takeover");
});
