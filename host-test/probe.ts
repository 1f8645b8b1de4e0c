// Probes: a test hook that runs at the start of a guest callback, inside that callback's
// context, before the guest's own code. A probe can call the module's exports (e.g. a
// test module's forwarders to hostcalls) exactly as the guest would at that moment: same
// current context, same header maps and buffers reachable. Used with test modules that
// reserve guest memory [1024, 32768) as scratch space.
import type { GuestMemory } from "./memory.ts";
import type { GuestProbe, ProbeHandler } from "./types.ts";

/** What a probe needs of the VM it runs in. */
export interface ProbeTarget {
  readonly name: string;
  readonly memory: GuestMemory;
  readonly exports: Record<string, (...a: Array<number | bigint>) => unknown>;
}

export interface ProbeRegistration {
  fn: string;
  vm?: string;
  once: boolean;
  handler: ProbeHandler;
}

const SCRATCH_BASE = 1024;
const SCRATCH_END = 32768;

/** Runs the probes registered for `fn` on `vm`. */
export function runProbes(vm: ProbeTarget, fn: string, args: number[], probes: ProbeRegistration[]): void {
  for (const p of [...probes]) {
    if (p.fn !== fn || (p.vm !== undefined && p.vm !== vm.name)) continue;
    if (p.once) probes.splice(probes.indexOf(p), 1);
    let next = SCRATCH_BASE;
    const slot = (n = 8): number => {
      const ptr = next;
      next = (next + n + 7) & ~7;
      if (next > SCRATCH_END) throw new Error("probe scratch memory exhausted");
      vm.memory.write(ptr, new Uint8Array(n));
      return ptr;
    };
    const bytes = (ptr: number, len: number): Uint8Array => vm.memory.read(ptr, len) ?? new Uint8Array(0);
    const g: GuestProbe = {
      fn,
      args,
      vm: vm.name,
      call: (name, ...a) => {
        const f = vm.exports[name];
        if (!f) throw new Error(`probe: the module has no export ${name}`);
        const r = f(...a);
        return typeof r === "number" ? r >>> 0 : 0;
      },
      put: (data) => {
        const b = typeof data === "string" ? new TextEncoder().encode(data) : data;
        const ptr = slot(Math.max(b.length, 1));
        vm.memory.write(ptr, b);
        return [ptr, b.length];
      },
      slot,
      u32: (ptr) => vm.memory.getU32(ptr) ?? 0,
      setU32: (ptr, value) => void vm.memory.setU32(ptr, value),
      u64: (ptr) => {
        const b = bytes(ptr, 8);
        return b.length === 8 ? new DataView(b.buffer).getBigUint64(0, true) : 0n;
      },
      bytes,
      result: (ps, ss) => bytes(vm.memory.getU32(ps) ?? 0, vm.memory.getU32(ss) ?? 0),
      resultText: (ps, ss) => new TextDecoder().decode(bytes(vm.memory.getU32(ps) ?? 0, vm.memory.getU32(ss) ?? 0)),
    };
    p.handler(g);
  }
}
