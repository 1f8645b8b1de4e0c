import { readFileSync } from "node:fs";
import type { FilterModule } from "../../src/policy/check.ts";

// The example policy rendered as plugin configuration, written out by hand: what
// `render` must print for envoy/kuadrant/tokenratelimitpolicy.yaml.
export const EXAMPLE_JSON = `{
  "limits": {
    "free": {
      "rates": [{"limit": 20000, "window": "24h"}],
      "when": [
        {"predicate": "request.url_path == \\"/v1/chat/completions\\""},
        {"predicate": "request.auth.identity.metadata.annotations[\\"kuadrant.io/groups\\"].split(\\",\\").exists(g, g == \\"free\\")"}
      ],
      "counters": [{"expression": "auth.identity.userid"}]
    },
    "gold": {
      "rates": [{"limit": 200000, "window": "24h"}],
      "when": [
        {"predicate": "request.url_path == \\"/v1/chat/completions\\""},
        {"predicate": "request.auth.identity.metadata.annotations[\\"kuadrant.io/groups\\"].split(\\",\\").exists(g, g == \\"gold\\")"}
      ],
      "counters": [{"expression": "auth.identity.userid"}]
    }
  }
}
`;

/** The built filter, as the command gives it to `validate` and `render` by default. */
export const FILTER: FilterModule = {
  bytes: readFileSync(new URL("../../build/tokenlimit.wasm", import.meta.url)),
  name: "tokenlimit.wasm",
};
