// Configurations with random damage: a value of the wrong type, a removed or unknown
// field, a mutated byte. Reading never traps, and a config comes back exactly when
// there are no errors. Seeds are fixed, so runs repeat.
import { parseConfig } from "../config/plugin";
import { parseJson } from "../json/parse";
import { stringifyJson } from "../json/stringify";
import { Value, MapValue, Kind } from "../cel/value";

const FULL = "{\"limits\":{\"free\":{\"rates\":[{\"limit\":20000,\"window\":\"24h\"},{\"limit\":1000,\"window\":\"1m\"}],\"when\":[{\"predicate\":\"request.path == \\\"/v1/chat/completions\\\"\"}],\"counters\":[{\"expression\":\"auth.identity.userid\"}],\"tokens\":\"output\"}}," +
  "\"when\":[{\"predicate\":\"true\"}],\"targetRef\":{\"kind\":\"HTTPRoute\",\"name\":\"x\"}," +
  "\"identity\":{\"source\":\"jwt\",\"jwt\":{\"header\":\"authorization\",\"prefix\":\"Bearer \"},\"jwtAuthn\":{\"metadataNamespace\":\"envoy.filters.http.jwt_authn\",\"payloadKey\":\"\"},\"headers\":{\"user\":\"x-auth-user\",\"groups\":\"x-auth-groups\"},\"userIdClaim\":\"sub\",\"groupsClaim\":\"groups\",\"groupsAnnotation\":\"kuadrant.io/groups\"}," +
  "\"usage\":{\"provider\":\"custom\",\"paths\":{\"total\":\"usage.total_tokens\",\"input\":\"/usage/prompt_tokens\"},\"onMissing\":\"estimate\",\"charge5xx\":false,\"includeStreamUsage\":true,\"removeAcceptEncoding\":true}," +
  "\"cost\":{\"weights\":{\"input\":1,\"output\":4,\"cached\":0,\"reasoning\":0}}," +
  "\"admission\":{\"mode\":\"reserve\",\"defaultReservation\":1000,\"maxReservation\":32000,\"readRequestBody\":true,\"maxRequestBodyBytes\":1048576}," +
  "\"onCounterError\":\"skip\",\"failureMode\":\"allow\",\"dryRun\":false," +
  "\"response\":{\"status\":429,\"headers\":{\"limit\":\"x-ratelimit-limit-tokens\",\"remaining\":\"x-ratelimit-remaining-tokens\",\"reset\":\"x-ratelimit-reset-tokens\",\"retryAfter\":\"retry-after\"},\"admittedHeaders\":true,\"message\":\"Rate limit reached for tokens\"}," +
  "\"counters\":{\"backend\":\"local\",\"keyPrefix\":\"tokenlimit\"}}";

let seed: u64 = 0x2545f4914f6cdd1d;
function rand(): u32 {
  seed ^= seed >> 12; seed ^= seed << 25; seed ^= seed >> 27;
  return <u32>((seed * 0x2545f4914f6cdd1d) >> 32);
}
function below(n: i32): i32 { return <i32>(rand() % <u32>n); }

function randomValue(): Value {
  switch (below(10)) {
    case 0: return Value.null();
    case 1: return Value.bool(below(2) == 0);
    case 2: return Value.int(<i64>below(2000) - 1000);
    case 3: return Value.double(<f64>below(100000) / 7.0 - 100.0);
    case 4: return Value.string(["", "1h", "24h", "x", "reserve", "local", "usage.total_tokens", "/a/b", "a b"][below(9)]);
    case 5: return Value.list([Value.int(1)]);
    case 6: return Value.list([]);
    case 7: return Value.map(new MapValue());
    case 8: return Value.int(i64.MAX_VALUE);
    default: return Value.double(1e300);
  }
}

/** All objects and arrays inside `v`, to pick a place to damage. */
function containers(v: Value, out: Array<Value>): void {
  if (v.kind == Kind.Map || v.kind == Kind.List) out.push(v);
  const map = v.map;
  if (map !== null) for (let i = 0; i < map.values.length; i++) containers(map.values[i], out);
  const list = v.list;
  if (list !== null) for (let i = 0; i < list.length; i++) containers(list[i], out);
}

function damage(root: Value): void {
  const all = new Array<Value>();
  containers(root, all);
  const target = all[below(all.length)];
  const map = target.map;
  const list = target.list;
  if (map !== null && map.keys.length > 0) {
    const k = below(map.keys.length);
    const op = below(3);
    if (op == 0) map.values[k] = randomValue();
    else if (op == 1) { map.keys.splice(k, 1); map.values.splice(k, 1); }
    else map.push(Value.string("zz" + below(3).toString()), randomValue());
  } else if (list !== null && list.length > 0) {
    const k = below(list.length);
    if (below(2) == 0) list[k] = randomValue(); else list.splice(k, 1);
  }
}

/** Reads `text`; -1 when the result breaks its contract, else the number of errors. */
function check(text: string): i32 {
  const r = parseConfig(text);
  if ((r.config === null) != (r.errors.length > 0)) return -1;
  for (let i = 0; i < r.errors.length; i++) {
    const line = r.errors[i];
    if (line.indexOf(": ") <= 0 || line.includes("\n")) return -1;
  }
  return r.errors.length;
}

describe("config fuzz", () => {
  it("reads the full configuration without errors", () => {
    const r = parseConfig(FULL);
    expect(r.errors.join("\n")).toBe("");
    expect(r.warnings.length).toBe(1);
  });
  it("never traps on 1200 configurations with damaged values", () => {
    let bad = 0, rejected = 0;
    for (let t = 0; t < 1200; t++) {
      const root = parseJson(FULL).value;
      if (root === null) { bad++; continue; }
      const n = 1 + below(3);
      for (let k = 0; k < n; k++) damage(root);
      const text = stringifyJson(root);
      const n2 = check(text);
      if (n2 < 0) bad++;
      if (n2 > 0) rejected++;
    }
    expect(bad).toBe(0);
    expect(rejected).toBeGreaterThan(300);
  });
  it("never traps on 1200 byte-level mutations", () => {
    let bad = 0;
    const src = String.UTF8.encode(FULL);
    for (let t = 0; t < 1200; t++) {
      const buf = src.slice(0);
      const n = 1 + below(4);
      for (let k = 0; k < n; k++) store<u8>(changetype<usize>(buf) + <usize>below(buf.byteLength), <u8>rand());
      const text = String.UTF8.decode(buf.slice(0, below(buf.byteLength + 1)));
      if (check(text) < 0) bad++;
    }
    expect(bad).toBe(0);
  });
});
