// `npm start`: the README's policy enforced by build/tokenlimit.wasm in the simulated
// Envoy host. A free user spends the 20,000-token daily budget 100 tokens at a time and
// is refused with 429; a gold user is still admitted; at 00:00 UTC the budget resets.
import { Host } from "../host-test/index.ts";
import { EXAMPLE_POLICY, chatHeaders, CHAT_REQUEST, CHAT_RESPONSE, JSON_RESPONSE_HEADERS } from "../fixtures/llm.ts";

const start = Date.UTC(2026, 10, 29, 9, 0, 0);
const host = await Host.create({ wasm: "build/tokenlimit.wasm", pluginConfig: EXAMPLE_POLICY, now: start, trace: false });

function chat(user: string, groups: string[]) {
  return host.exchange({
    request: { headers: chatHeaders(user, groups), body: CHAT_REQUEST },
    response: { headers: JSON_RESPONSE_HEADERS, body: CHAT_RESPONSE },
  });
}

const show = (h: Record<string, string>) =>
  ["x-ratelimit-limit-tokens", "x-ratelimit-remaining-tokens", "x-ratelimit-reset-tokens", "retry-after"]
    .filter((k) => h[k] !== undefined).map((k) => `${k}: ${h[k]}`).join(", ");

console.log("policy: free 20000 tokens/24h, gold 200000 tokens/24h, per auth.identity.userid");
console.log("each chat completion reports usage.total_tokens = 100\n");

let admitted = 0;
let r = chat("alice", ["free"]);
console.log(`alice (free) request 1 -> ${r.status} (${show(r.headers)})`);
while (r.status === 200) {
  admitted++;
  r = chat("alice", ["free"]);
}
console.log(`alice (free) admitted ${admitted} requests = ${admitted * 100} tokens, then:`);
console.log(`alice (free) request ${admitted + 1} -> ${r.status} (${show(r.headers)})`);
console.log(`  body: ${r.body}`);

const gold = chat("bob", ["gold"]);
console.log(`\nbob (gold) -> ${gold.status} (${show(gold.headers)})`);

host.clock.set(Date.UTC(2026, 10, 30, 0, 0, 0));
const next = chat("alice", ["free"]);
console.log(`\nat 00:00 UTC the window resets: alice (free) -> ${next.status} (${show(next.headers)})`);

console.log(`\nmetrics:\n${host.prometheus().split("\n").filter((l) => l.includes("tokenlimit") && !l.startsWith("#")).join("\n")}`);
const ok = admitted === 200 && r.status === 429 && gold.status === 200 && next.status === 200;
host.close();
process.exit(ok ? 0 : 1);
