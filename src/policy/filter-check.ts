// Asks the filter itself whether it accepts a plugin configuration: the module runs in
// host-test, the simulated Envoy host (import checks, canary VM, on_configure), so
// `validate --wasm` refuses exactly what Envoy would refuse.
import { Host } from "../../host-test/index.ts";

const SHOWN = new Set(["warn", "error", "critical"]);

/** What the filter said about a configuration. */
export interface FilterVerdict {
  accepted: boolean;
  /** Its log lines at warn and above, as `level: message`. */
  logs: string[];
  /** Set when the module could not be loaded or trapped; `accepted` is then false. */
  failure?: string;
}

/**
 * Loads `wasm` as Envoy would and configures it with `configuration`. Never throws: a
 * module Envoy would refuse, or one that traps, gives a verdict with `failure` set.
 */
export async function checkWithFilter(wasm: Uint8Array, configuration: string): Promise<FilterVerdict> {
  let host: Host;
  try {
    host = await Host.create({ wasm, pluginConfig: configuration, logLevel: "warn", trace: false });
  } catch (e) {
    return { accepted: false, logs: [], failure: (e as Error).message };
  }
  // The filter's own lines, from the first VM that configured (the canary): the workers
  // would say the same again, and the host's lines only repeat `accepted`.
  const vm = host.logEntries.find((e) => e.source === "wasm")?.vm;
  const logs = host.logEntries.filter((e) => e.source === "wasm" && e.vm === vm && SHOWN.has(e.level))
    .map((e) => `${e.level}: ${e.message}`);
  const trap = host.traps[0];
  host.close();
  if (trap !== undefined) return { accepted: false, logs, failure: trap.message };
  return { accepted: host.accepted, logs };
}
