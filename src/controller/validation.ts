// The filter as the only validator: configurations are judged by the compiled .wasm
// (src/policy/filter-check.ts), and verdicts are remembered by configuration text so a
// resync does not load the module again for what it already judged.
import { type FilterVerdict, checkWithFilter } from "../policy/filter-check.ts";
import { type Plan, type Snapshot, reconcile } from "./reconcile.ts";
import type { PluginOptions } from "./wasmplugin.ts";

export class FilterVerdicts {
  private readonly verdicts = new Map<string, FilterVerdict>();

  /** `wasm`: the module's bytes; `capacity`: verdicts kept (oldest forgotten first). */
  constructor(private readonly wasm: Uint8Array, private readonly capacity = 1000) {}

  /** The verdict on `config`, if already judged. */
  readonly check = (config: string): FilterVerdict | undefined => this.verdicts.get(config);

  /** Judges every configuration of `configs` not judged yet, one after another. */
  async judge(configs: string[]): Promise<void> {
    for (const config of configs) {
      if (this.verdicts.has(config)) continue;
      const verdict = await checkWithFilter(this.wasm, config);
      this.verdicts.set(config, verdict);
      if (this.verdicts.size > this.capacity) this.verdicts.delete(this.verdicts.keys().next().value as string);
    }
  }

  get size(): number {
    return this.verdicts.size;
  }
}

/**
 * Reconciles, having the filter judge whatever the plan asks for first. A plan asks at
 * most twice (policies alone, then each gateway's combined configuration).
 */
export async function plan(snapshot: Snapshot, options: PluginOptions, verdicts: FilterVerdicts, now: string): Promise<Plan> {
  for (let round = 0; ; round++) {
    const p = reconcile(snapshot, options, verdicts.check, now);
    if (p.unchecked.length === 0 || round === 3) return p;
    await verdicts.judge(p.unchecked);
  }
}
