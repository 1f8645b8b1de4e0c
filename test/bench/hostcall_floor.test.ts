// The benchmarks' hostcall floor (assembly/hostcall_floor.ts) stands for what the filter
// asks the proxy on the measured paths: it must make the same calls, in the same order,
// with the same keys and sizes, or the floor it prints means nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { LeanHost, PreparedScenario } from "../../bench/lean_host.ts";
import { scenarios, EXAMPLE_PLUGIN_CONFIG, START } from "../../bench/request_cost.bench.ts";

const latin1 = (m: Uint8Array, ptr: number, size: number): string => Buffer.from(m.subarray(ptr, ptr + size)).toString("latin1").replace(/\0/g, "/");

/** One hostcall as the proxy sees it: what is asked, of which key, with how many bytes. */
function describe(name: string, a: ReadonlyArray<number | bigint>, m: Uint8Array): string | null {
  const n = (i: number): number => Number(a[i]);
  switch (name) {
    case "proxy_get_property": return `get_property ${latin1(m, n(0), n(1))}`;
    case "proxy_set_property": return `set_property ${latin1(m, n(0), n(1))} value[${n(3)}]`;
    case "proxy_get_header_map_value": return `get_header ${n(0)} ${latin1(m, n(1), n(2))}`;
    case "proxy_replace_header_map_value": return `replace_header ${n(0)} ${latin1(m, n(1), n(2))} value[${n(4)}]`;
    case "proxy_remove_header_map_value": return `remove_header ${n(0)} ${latin1(m, n(1), n(2))}`;
    case "proxy_get_shared_data": return `get_shared_data key[${n(1)}]`;
    case "proxy_set_shared_data": return `set_shared_data key[${n(1)}] value[${n(3)}]`;
    case "proxy_get_buffer_bytes": return `get_buffer_bytes ${n(0)} ${n(1)}+${n(2)}`;
    case "proxy_increment_metric": return `increment_metric +${n(1)}`;
    case "proxy_get_current_time_nanoseconds": return "get_current_time";
    // The log level is read by both modules' shared glue at configuration only.
    default: return name;
  }
}

/** The hostcalls of the third exchange of `scenario` (the first ones create counters and caches). */
async function callsOf(wasm: string, pluginConfig: string, scenario: string): Promise<string[]> {
  let calls: string[] | null = null;
  const host = await LeanHost.create(wasm, {
    pluginConfig, now: START,
    onHostcall: (name, args, memory) => { const d = describe(name, args, memory); if (calls && d) calls.push(d); },
  });
  const s = new PreparedScenario(scenarios()[scenario]);
  assert.equal(host.exchange(s), 200);
  assert.equal(host.exchange(s), 200);
  calls = [];
  assert.equal(host.exchange(s), 200);
  return calls;
}

test("the hostcall floor asks the proxy exactly what the filter asks on the full path", async () => {
  const filter = await callsOf("build/tokenlimit.wasm", EXAMPLE_PLUGIN_CONFIG, "full");
  const floor = await callsOf("build/hostcall_floor.wasm", "full", "full");
  assert.ok(filter.length > 10, `the full path makes ${filter.length} hostcalls`);
  assert.deepEqual(floor, filter);
});

test("the unmatched hostcall floor asks the proxy exactly what the filter asks for a request no limit applies to", async () => {
  const filter = await callsOf("build/tokenlimit.wasm", EXAMPLE_PLUGIN_CONFIG, "unmatched");
  const floor = await callsOf("build/hostcall_floor.wasm", "unmatched", "unmatched");
  assert.ok(filter.length >= 1);
  assert.deepEqual(floor, filter);
});
