// The simulated clock (proxy_get_current_time_nanoseconds, WASI clock_time_get), tick
// timers as Envoy re-arms them, and metrics with Envoy's ids, rules and Prometheus output.
import { test } from "node:test";
import assert from "node:assert/strict";
import { WasmResult as R, type GuestProbe } from "../../host-test/index.ts";
import { probeHost, REQ, hc, inRoot } from "./helpers.ts";

const T0 = Date.UTC(2026, 0, 1);

test("proxy_get_current_time_nanoseconds and WASI clock_time_get follow the simulated clock", async () => {
  const host = await probeHost();
  const read = () => {
    let r: Array<number | bigint> = [];
    inRoot(host, (g) => {
      const a = g.slot(8);
      const b = g.slot(8);
      const c = g.slot(8);
      r = [hc(g, "proxy_get_current_time_nanoseconds", a), g.u64(a), g.call("w_clock_time_get", 0, 1n, b), g.u64(b), g.call("w_clock_time_get", 1, 0n, c), g.u64(c), g.call("w_clock_time_get", 2, 0n, c)];
    });
    return r;
  };
  const first = read();
  assert.deepEqual(first.slice(0, 4), [R.Ok, BigInt(T0) * 1_000_000n, 0, BigInt(T0) * 1_000_000n]);
  assert.equal(first[6], 58); // process/thread CPU clocks: ENOTSUP
  host.clock.advance(1500);
  const second = read();
  assert.equal(second[1], BigInt(T0 + 1500) * 1_000_000n);
  assert.equal((second[5] as bigint) - (first[5] as bigint), 1_500_000_000n);
  host.clock.set(T0); // the wall clock jumps back; the monotonic clock does not
  const third = read();
  assert.equal(third[1], BigInt(T0) * 1_000_000n);
  assert.equal(third[5], second[5]);
  assert.equal(host.clock.now(), T0);
});

test("ticks: every worker's root gets on_tick each period as time advances; a new period re-arms; 0 stops", async () => {
  const setPeriod = (ms: number) => (g: GuestProbe) => hc(g, "proxy_set_tick_period_milliseconds", ms);
  const host = await probeHost({ workers: 2, probes: [{ fn: "proxy_on_configure", handler: setPeriod(100) }] });
  const ticks: string[] = [];
  host.probe("proxy_on_tick", (g) => ticks.push(`${g.vm}@${host.clock.now() - T0}`));
  host.clock.advance(250);
  assert.deepEqual(ticks, ["worker 0@100", "worker 1@100", "worker 0@200", "worker 1@200"]);
  // The canary's timer died with the canary.
  ticks.length = 0;
  host.probe("proxy_on_tick", setPeriod(30), { vm: "worker 1", once: true });
  host.clock.advance(100); // t=350: worker 0 @300, worker 1 @300 then every 30 ms
  assert.deepEqual(ticks, ["worker 0@300", "worker 1@300", "worker 1@330"]);
  inRoot(host, setPeriod(0), 0); // (inRoot runs inside an on_tick of its own)
  inRoot(host, setPeriod(0), 1);
  ticks.length = 0;
  host.clock.advance(1000);
  assert.deepEqual(ticks, []);
});

test("a stream context sets its root's tick period", async () => {
  const host = await probeHost();
  host.probe("proxy_on_request_headers", (g) => hc(g, "proxy_set_tick_period_milliseconds", 10));
  host.newStream().sendRequestHeaders(REQ);
  host.clock.advance(10);
  assert.deepEqual(host.calls.filter((c) => c.fn === "proxy_on_tick").map((c) => c.args), [[1]]);
});

function define(g: GuestProbe, type: number, name: string): [number, number] {
  const id = g.slot(4);
  const st = hc(g, "proxy_define_metric", type, ...g.put(name), id);
  return [st, g.u32(id)];
}

test("metrics: ids by type, counters only grow, gauges set and move, histograms record; BAD_ARGUMENT and NOT_FOUND as Envoy", async () => {
  const host = await probeHost({ workers: 2 });
  const r: unknown[] = [];
  for (const w of [0, 1]) {
    inRoot(host, (g) => {
      const [, c] = define(g, 0, "tl.requests");
      const [, c2] = define(g, 0, "tl_rq_429");
      const [, gauge] = define(g, 1, "tl.remaining");
      const [, h] = define(g, 2, "tl.cost");
      if (w === 0) r.push([c, c2, gauge, h], define(g, 3, "bad")[0]);
      const v = g.slot(8);
      r.push(
        hc(g, "proxy_increment_metric", c, 1n), hc(g, "proxy_increment_metric", c, 0n), hc(g, "proxy_increment_metric", c, -1n),
        hc(g, "proxy_record_metric", c, 5n), hc(g, "proxy_increment_metric", c2, 2n),
        hc(g, "proxy_record_metric", gauge, 100n), hc(g, "proxy_increment_metric", gauge, -30n),
        hc(g, "proxy_record_metric", h, 3n), hc(g, "proxy_record_metric", h, 700n), hc(g, "proxy_increment_metric", h, 1n),
        hc(g, "proxy_get_metric", c, v), g.u64(v), hc(g, "proxy_get_metric", h, v), hc(g, "proxy_get_metric", 400, v), hc(g, "proxy_record_metric", 401, 1n),
      );
    }, w);
  }
  assert.deepEqual(r.slice(0, 2), [[4, 8, 5, 6], R.BadArgument]);
  const { Ok, BadArgument: BA, NotFound: NF } = R;
  assert.deepEqual(r.slice(2, 17), [Ok, BA, BA, Ok, Ok, Ok, Ok, Ok, Ok, BA, Ok, 6n, BA, NF, NF]);
  // The second worker's VM has its own ids but the same stats: counters add up, the gauge is shared.
  assert.equal(r[2 + 15 + 11], 12n);
  assert.equal(host.metric("tl.requests"), 12);
  assert.equal(host.metric("tl.remaining"), 70);
  assert.deepEqual(host.histogram("tl.cost"), [3, 700, 3, 700]);
  assert.equal(host.prometheus(), [
    "# TYPE tl_requests counter",
    "tl_requests{} 12",
    "# TYPE tl_rq counter",
    'tl_rq{envoy_response_code="429"} 4',
    "# TYPE tl_remaining gauge",
    "tl_remaining{} 70",
    "# TYPE tl_cost histogram",
    'tl_cost_bucket{le="0.5"} 0',
    'tl_cost_bucket{le="1"} 0',
    'tl_cost_bucket{le="5"} 2',
    ...[10, 25, 50, 100, 250, 500].map((b) => `tl_cost_bucket{le="${b}"} 2`),
    ...[1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000].map((b) => `tl_cost_bucket{le="${b}"} 4`),
    'tl_cost_bucket{le="+Inf"} 4',
    "tl_cost_sum{} 1406",
    "tl_cost_count{} 4",
    "",
  ].join("\n"));
});

test("metric names starting with a digit are left out of the Prometheus output", async () => {
  const host = await probeHost();
  inRoot(host, (g) => {
    const [, id] = define(g, 0, "9lives");
    hc(g, "proxy_increment_metric", id, 1n);
  });
  assert.equal(host.metric("9lives"), 1);
  assert.equal(host.prometheus(), "");
});
