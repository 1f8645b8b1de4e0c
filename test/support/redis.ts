// A real Redis for tests: `redis-server` (Debian's package; .ci/run installs it) on a free
// loopback port, nothing persisted (no RDB snapshots, no AOF; its working directory is a
// temporary one removed at stop). It can be stopped and started again on the same port,
// empty, as a restarted Redis would be.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, type AddressInfo } from "node:net";

export interface RedisServer {
  readonly host: "127.0.0.1";
  readonly port: number;
  /** `redis://127.0.0.1:port`. */
  readonly url: string;
  /** Whether it is running. */
  readonly running: boolean;
  /** Stops it (SIGTERM, then SIGKILL after 5 s); its data is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts `redis-server` on a free loopback port (or `port`); rejects with its output when it cannot start. */
export async function startRedis(port?: number): Promise<RedisServer> {
  const p = port ?? await freePort();
  let child: ChildProcess | null = null;
  let dir = "";

  const launch = async (): Promise<void> => {
    dir = mkdtempSync(join(tmpdir(), "tokenlimit-redis-"));
    const args = ["--port", String(p), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "notice", "--databases", "1"];
    const proc = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    let out = "";
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        proc.kill("SIGKILL");
        reject(new Error(`redis-server did not start within 10 s:\n${out}`));
      }, 10_000);
      const onData = (b: Buffer) => {
        out += b.toString();
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on("data", onData);
      proc.stderr!.on("data", onData);
      proc.once("error", (e) => {
        clearTimeout(timer);
        reject(new Error(`redis-server could not be run (is the redis-server package installed?): ${e.message}`));
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code} before it was ready:\n${out}`));
      });
    });
    // Drain its output so it never blocks on a full pipe.
    proc.stdout!.resume();
    proc.stderr!.resume();
  };

  const stop = async (): Promise<void> => {
    const proc = child;
    child = null;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = "";
  };

  await launch();
  return {
    host: "127.0.0.1",
    port: p,
    url: `redis://127.0.0.1:${p}`,
    get running() { return child !== null; },
    stop,
    start: async () => {
      if (child) return;
      await launch();
    },
  };
}
