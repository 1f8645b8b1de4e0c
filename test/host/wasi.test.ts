// WASI as Envoy provides it: stdout/stderr become info/error logs, no file system, fixed
// errno values, environment variables from the VM config, bounded random_get.
import { test } from "node:test";
import assert from "node:assert/strict";
import { type GuestProbe } from "../../host-test/index.ts";
import { probeHost, inRoot } from "./helpers.ts";

function iov(g: GuestProbe, ...parts: string[]): number {
  const vec = g.slot(8 * parts.length);
  parts.forEach((p, i) => {
    const [ptr, len] = g.put(p);
    g.setU32(vec + 8 * i, ptr);
    g.setU32(vec + 8 * i + 4, len);
  });
  return vec;
}

test("fd_write to stdout logs at info, to stderr at error, one trailing newline dropped; other fds are EBADF", async () => {
  const host = await probeHost();
  const r: number[] = [];
  inRoot(host, (g) => {
    const n = g.slot(4);
    r.push(g.call("w_fd_write", 1, iov(g, "hello ", "world\n"), 2, n), g.u32(n));
    r.push(g.call("wu_fd_write", 2, iov(g, "oops\n\n"), 1, n));
    r.push(g.call("w_fd_write", 3, iov(g, "x"), 1, n));
    r.push(g.call("w_fd_write", 1, 0xfffffff0, 1, n));
  });
  assert.deepEqual(r, [0, 12, 0, 8, 21]);
  assert.deepEqual(host.logs("info"), ["hello world"]);
  assert.deepEqual(host.logs("error"), ["oops\n"]);
});

test("environment variables come from the configuration; args are empty", async () => {
  const host = await probeHost({ env: { REGION: "eu", TIER: "gold" } });
  let r: unknown[] = [];
  inRoot(host, (g) => {
    const count = g.slot(4);
    const size = g.slot(4);
    g.call("w_environ_sizes_get", count, size);
    const ptrs = g.slot(8);
    const buf = g.slot(64);
    const st = g.call("w_environ_get", ptrs, buf);
    const argc = g.slot(4);
    const argvSize = g.slot(4);
    r = [g.u32(count), g.u32(size), st, new TextDecoder().decode(g.bytes(buf, g.u32(size))), g.u32(ptrs + 4) - g.u32(ptrs), g.call("w_args_sizes_get", argc, argvSize), g.u32(argc), g.call("w_args_get", 0, 0)];
  });
  assert.deepEqual(r, [2, 20, 0, "REGION=eu\0TIER=gold\0", 10, 0, 0, 0]);
});

test("no file system: fd_read ENOSYS, path_open ENOENT, prestat EBADF/ENOSYS, fd_seek and fd_close succeed; poll_oneoff ENOSYS; sched_yield OK", async () => {
  const host = await probeHost();
  let r: number[] = [];
  inRoot(host, (g) => {
    const s = g.slot(24);
    r = [
      g.call("w_fd_read", 0, s, 1, s), g.call("w_path_open", 3, 0, s, 1, 0, 0n, 0n, 0, s), g.call("w_fd_prestat_get", 3, s),
      g.call("w_fd_prestat_dir_name", 3, s, 1), g.call("w_fd_seek", 1, 0n, 0, s), g.call("w_fd_close", 1),
      g.call("w_poll_oneoff", s, s, 1, s), g.call("w_sched_yield"), g.call("w_fd_fdstat_get", 1, s), g.call("w_fd_fdstat_get", 5, s),
      g.call("w_fd_fdstat_set_flags", 1, 0),
    ];
  });
  assert.deepEqual(r, [52, 44, 8, 52, 0, 0, 52, 0, 0, 8, 52]);
});

test("random_get fills up to 64 KiB (deterministically here); more is EINVAL", async () => {
  const host = await probeHost();
  let r: unknown[] = [];
  inRoot(host, (g) => {
    const buf = g.slot(16);
    r = [g.call("w_random_get", buf, 16), g.bytes(buf, 16).some((b) => b !== 0), g.call("w_random_get", buf, 65537), g.call("w_random_get", 0xfffffff0, 32)];
  });
  assert.deepEqual(r, [0, true, 28, 21]);
});
