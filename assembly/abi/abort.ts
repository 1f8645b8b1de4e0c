// The abort handler (`--use abort=abort_proc_exit`): Envoy provides no `env.abort`.
// It logs the reason at critical level, then asks WASI to exit; the trap that follows
// marks the VM failed. Filter code never calls it: errors are values.
import { proxy_log, proc_exit } from "./imports";
import { LogLevel } from "./status";

// @ts-ignore: decorator
@global
export function abort_proc_exit(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "tokenlimit: fatal";
  if (message !== null) text += ": " + message;
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  proxy_log(LogLevel.Critical, changetype<usize>(bytes), <usize>bytes.byteLength);
  proc_exit(255);
}
