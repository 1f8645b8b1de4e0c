// Asks the filter itself whether it accepts a plugin configuration: the module runs in
// host-test, the simulated Envoy host (import checks, canary VM, on_configure), so
// `validate --wasm` refuses exactly what Envoy would refuse.
import { Host } from "../../host-test/index.ts";
import type { Path } from "./errors.ts";

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

/** One line the filter logged about a configuration, with the JSON path it names if any. */
export interface FilterFinding {
  /** The path into the configuration, e.g. `["limits", "free", "rates", 0, "window"]`. */
  path?: Path;
  message: string;
  warning: boolean;
}

/** How the filter starts the lines it logs about a configuration (assembly/filter/root.ts). */
const ERROR_PREFIX = "tokenlimit: invalid configuration: ";
const WARNING_PREFIX = "tokenlimit: configuration: ";

/**
 * The filter's log lines (`level: message`, as in `FilterVerdict.logs`) as findings. A
 * line about the configuration names its JSON path (`limits.free.rates[0].window: ...`,
 * `limits["gpt-4.1"].when[0].predicate: ...`, `(root): ...`); the path is split off so
 * that the command can point at the line it comes from. Any other line is kept whole.
 */
export function filterFindings(logs: readonly string[]): FilterFinding[] {
  return logs.map((log) => {
    const colon = log.indexOf(": ");
    const level = colon < 0 ? "" : log.slice(0, colon);
    const text = colon < 0 ? log : log.slice(colon + 2);
    const warning = level === "warn";
    for (const prefix of [ERROR_PREFIX, WARNING_PREFIX]) {
      if (!text.startsWith(prefix)) continue;
      const split = splitPath(text.slice(prefix.length));
      if (split !== undefined) return { path: split.path, message: split.message, warning };
      return { message: text.slice(prefix.length), warning };
    }
    return { message: text, warning };
  });
}

/** A key (`a`, `.a`), an index (`[0]`) or a quoted key (`["a.b"]`) of the filter's paths. */
const PATH_PART = /(?:^|\.)([A-Za-z0-9_-]+)|\[([0-9]+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** `path: message` split at the end of the path, or undefined when the text does not start with one. */
export function splitPath(text: string): { path: Path; message: string } | undefined {
  if (text.startsWith("(root): ")) return { path: [], message: text.slice("(root): ".length) };
  const path: (string | number)[] = [];
  PATH_PART.lastIndex = 0;
  while (PATH_PART.lastIndex < text.length) {
    if (path.length > 0 && text.startsWith(": ", PATH_PART.lastIndex)) {
      return { path, message: text.slice(PATH_PART.lastIndex + 2) };
    }
    const m = PATH_PART.exec(text);
    if (m === null) return undefined;
    if (m[1] !== undefined) path.push(m[1]);
    else if (m[2] !== undefined) path.push(Number(m[2]));
    else {
      try {
        path.push(JSON.parse(m[3]) as string);
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
