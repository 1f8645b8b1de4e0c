// What `tokenlimit serve` runs without --policy or --upstream: the README's example policy,
// applied to both chat completions and Anthropic's /v1/messages, in front of the built-in
// mock upstream.

/** The paths the default policy limits. */
export const DEFAULT_PATHS = ["/v1/chat/completions", "/v1/messages"];

const pathPredicate = `request.url_path in [${DEFAULT_PATHS.map((p) => JSON.stringify(p)).join(", ")}]`;

function limit(group: string, tokensPerDay: number): object {
  return {
    rates: [{ limit: tokensPerDay, window: "24h" }],
    when: [
      { predicate: pathPredicate },
      { predicate: `request.auth.identity.metadata.annotations["kuadrant.io/groups"].split(",").exists(g, g == "${group}")` },
    ],
    counters: [{ expression: "auth.identity.userid" }],
  };
}

/** The example policy (free 20,000 tokens a day, gold 200,000, per user) on both APIs. */
export const DEFAULT_POLICY = { limits: { free: limit("free", 20000), gold: limit("gold", 200000) } };
