// WASI as Envoy provides it (cpp-host src/exports.cc wasi_unstable_*), under both
// `wasi_snapshot_preview1` and `wasi_unstable`. There is no file system: stdout/stderr
// writes become info/error logs, most other calls return fixed errno values. `proc_exit`
// only logs (at trace, Envoy's Context::error) and returns; it does not trap. random_get
// is deterministic here so runs repeat.
import type { Hostcall } from "./vm.ts";

const ESUCCESS = 0;
const EBADF = 8;
const EFAULT = 21;
const EINVAL = 28;
const ENOENT = 44;
const ENOSYS = 52;
const ENOTSUP = 58;
const RANDOM_GET_MAX = 64 * 1024;

export const WASI_HOSTCALLS: Record<string, Hostcall> = {
  fd_write(vm, fd: number, iovs: number, iovsLen: number, nwrittenPtr: number) {
    const level = fd === 1 ? 2 : fd === 2 ? 4 : -1;
    if (level < 0) return EBADF;
    const parts: Uint8Array[] = [];
    for (let i = 0; i < iovsLen; i++) {
      const iov = vm.memory.read(iovs + i * 8, 8);
      if (!iov) return EFAULT;
      const dv = new DataView(iov.buffer);
      const buf = dv.getUint32(0, true);
      const len = dv.getUint32(4, true);
      if (len !== 0) {
        const data = vm.memory.read(buf, len);
        if (!data) return EFAULT;
        parts.push(data);
      }
    }
    let s = Buffer.concat(parts).toString("utf8");
    const written = parts.reduce((n, p) => n + p.length, 0);
    if (written) {
      if (s.endsWith("\n")) s = s.slice(0, -1);
      const ctx = vm.contextOrEffective();
      vm.core.log(level, s, vm.name, ctx.id, ctx.logPrefix(), "wasm");
    }
    return vm.memory.setU32(nwrittenPtr, written) ? ESUCCESS : EFAULT;
  },
  fd_read: () => ENOSYS,
  fd_seek(vm) {
    vm.core.log(0, "wasi_unstable fd_seek", vm.name, vm.contextOrEffective().id, "", "host");
    return ESUCCESS;
  },
  fd_close(vm) {
    vm.core.log(0, "wasi_unstable fd_close", vm.name, vm.contextOrEffective().id, "", "host");
    return ESUCCESS;
  },
  fd_fdstat_get(vm, fd: number, statOut: number) {
    if (fd !== 1 && fd !== 2) return EBADF;
    const stat = new Uint8Array(24);
    new DataView(stat.buffer).setBigUint64(8, 64n, true); // fs_rights_base = FD_WRITE
    vm.memory.write(statOut, stat); // cpp-host ignores a failed write here
    return ESUCCESS;
  },
  fd_fdstat_set_flags: () => ENOSYS,
  environ_get(vm, environPtr: number, environBuf: number) {
    for (const [k, v] of Object.entries(vm.core.env)) {
      if (!vm.memory.setU32(environPtr, environBuf)) return EFAULT;
      const data = Buffer.from(`${k}=${v}\0`, "utf8");
      if (!vm.memory.write(environBuf, data)) return EFAULT;
      environBuf += data.length;
      environPtr += 4;
    }
    return ESUCCESS;
  },
  environ_sizes_get(vm, countPtr: number, sizePtr: number) {
    const envs = Object.entries(vm.core.env);
    if (!vm.memory.setU32(countPtr, envs.length)) return EFAULT;
    const size = envs.reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v) + 2, 0);
    return vm.memory.setU32(sizePtr, size) ? ESUCCESS : EFAULT;
  },
  args_get: () => ESUCCESS,
  args_sizes_get(vm, argcPtr: number, bufSizePtr: number) {
    if (!vm.memory.setU32(argcPtr, 0)) return EFAULT;
    return vm.memory.setU32(bufSizePtr, 0) ? ESUCCESS : EFAULT;
  },
  clock_time_get(vm, id: number, _precision: bigint, resultPtr: number) {
    let t: bigint;
    if (id === 0) t = vm.core.scheduler.nowNanos();
    else if (id === 1) t = vm.core.scheduler.monotonicNanos();
    else return ENOTSUP;
    return vm.memory.setU64(resultPtr, t) ? ESUCCESS : EFAULT;
  },
  random_get(vm, bufPtr: number, len: number) {
    if (len > RANDOM_GET_MAX) return EINVAL;
    if (len === 0) return ESUCCESS;
    return vm.memory.write(bufPtr, vm.core.random.bytes(len)) ? ESUCCESS : EFAULT;
  },
  sched_yield: () => ESUCCESS,
  poll_oneoff: () => ENOSYS,
  proc_exit(vm) {
    vm.core.log(0, "wasi_unstable proc_exit", vm.name, vm.contextOrEffective().id, "", "host");
  },
  path_open: () => ENOENT,
  fd_prestat_get: () => EBADF,
  fd_prestat_dir_name: () => ENOSYS,
};
