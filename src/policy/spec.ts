// The `spec` of a TokenRateLimitPolicy as the filter receives it. What the spec may hold
// and what its values mean is the filter's to say: `tokenlimit validate` gives it the
// configuration built here and reports what it answers (filter-check.ts), so the command
// and the filter can never disagree.

/** The JSON object the filter receives as its plugin configuration. */
export type PluginConfig = Record<string, unknown>;

/**
 * The plugin configuration for a spec: the spec as written without `targetRef` (which
 * names where Kuadrant attaches the policy; the filter applies to the traffic it is
 * configured on). Keys keep their order; values are copied.
 */
export function toPluginConfig(spec: Record<string, unknown>): PluginConfig {
  const out: PluginConfig = {};
  for (const [key, value] of Object.entries(spec)) {
    if (key !== "targetRef") out[key] = structuredClone(value);
  }
  return out;
}
