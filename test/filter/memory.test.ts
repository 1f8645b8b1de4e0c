// The filter's heap is collected at safe points (assembly/filter/collector.ts): memory
// stays flat under steady traffic, limited or not, and a burst of open streams gives its
// memory back to the heap for the next one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { filterHost, chat, NINE_AM } from "./helpers.ts";

const DAY_MS = 86_400_000;

test("memory stays flat over thousands of limited requests from many users", async () => {
  const host = await filterHost({ now: NINE_AM });
  // 64 users keep the identity cache and the pools turning over as well.
  const run = (i: number) => {
    if (i % 100 === 0) host.clock.advance(DAY_MS);
    const r = chat(host, `user-${i % 64}`, [i % 2 === 0 ? "free" : "gold"]);
    assert.equal(r.status, 200);
  };
  for (let i = 0; i < 1500; i++) run(i);
  const warmed = host.memoryBytes(0);
  for (let i = 1500; i < 4500; i++) run(i);
  assert.equal(host.memoryBytes(0), warmed);
  assert.ok(warmed <= 2 * 1024 * 1024, `a worker VM holds ${warmed} bytes`);
  assert.equal(host.metric("tokenlimit.requests_admitted"), 4500);
  assert.deepEqual(host.traps, []);
});

test("memory stays flat over requests no limit applies to", async () => {
  const host = await filterHost();
  const run = () => assert.equal(chat(host, "alice", ["free"], { path: "/v1/models" }).status, 200);
  for (let i = 0; i < 3000; i++) run();
  const warmed = host.memoryBytes(0);
  for (let i = 0; i < 3000; i++) run();
  assert.equal(host.memoryBytes(0), warmed);
  assert.equal(host.metric("tokenlimit.requests_admitted"), 0);
});
