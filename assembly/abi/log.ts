// Logging. Callers check `logEnabled(level)` before building a message so that strings
// for a level the proxy drops are never built.
import { proxy_log, proxy_get_log_level } from "./imports";
import { WasmResult, LogLevel } from "./status";
import { u32Slot } from "./memory";

let cachedLevel: i32 = LogLevel.Info;

/** Reads the proxy's current log level (ABI 0.2.1); keeps the last known one on failure. */
export function refreshLogLevel(): i32 {
  const slot = u32Slot();
  if (proxy_get_log_level(slot) == WasmResult.Ok) cachedLevel = load<i32>(slot);
  return cachedLevel;
}

/** True when a message at `level` would be kept by the proxy. */
export function logEnabled(level: i32): bool {
  return level >= cachedLevel;
}

/** Logs a UTF-16 string at `level`; allocates the UTF-8 copy. */
export function log(level: i32, message: string): void {
  if (level < cachedLevel) return;
  const bytes = String.UTF8.encode(message);
  proxy_log(level, changetype<usize>(bytes), <usize>bytes.byteLength);
}

export function logDebug(message: string): void { log(LogLevel.Debug, message); }
export function logInfo(message: string): void { log(LogLevel.Info, message); }
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
export function logError(message: string): void { log(LogLevel.Error, message); }
