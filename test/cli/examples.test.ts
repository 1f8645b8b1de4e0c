// The deployable examples in envoy/ must parse and must carry exactly the rendering of
// the policy they are made from, so that they cannot drift from it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { loadPolicies } from "../../src/policy/manifest.ts";
import { PLACEHOLDER_WASM_URL, envoyWasmFilter, renderEnvoyRateLimit, renderLimitador, wasmPlugin } from "../../src/policy/render.ts";
import { checkPolicies, isValid } from "../../src/policy/check.ts";
import { FILTER } from "./fixtures.ts";

const ENVOY_DIR = fileURLToPath(new URL("../../envoy/", import.meta.url));
const read = (path: string) => readFileSync(join(ENVOY_DIR, path), "utf8");
const policy = () => {
  const { policies, problems } = loadPolicies(read("kuadrant/tokenratelimitpolicy.yaml"));
  assert.deepEqual(problems, []);
  return policies[0];
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return yamlFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}

/** A filter entry with its JSON configuration parsed, so that formatting does not count. */
function withParsedConfiguration(filter: any): any {
  const copy = structuredClone(filter);
  const configuration = copy.typed_config.config.configuration;
  configuration.value = JSON.parse(configuration.value);
  return copy;
}

test("every YAML file in envoy/ parses without errors or warnings", () => {
  const files = yamlFiles(ENVOY_DIR);
  assert.ok(files.length >= 4, `found ${files.length}`);
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
      assert.deepEqual([...doc.errors, ...doc.warnings].map((e) => e.message), [], relative(ENVOY_DIR, file));
    }
  }
});

test("the example policy is valid", () => {
  assert.equal(policy().name, "llm-budgets");
});

test("envoy.yaml runs jwt_authn, then the rendered tokenlimit filter, then the router", () => {
  const envoy = parse(read("envoy.yaml"));
  const [listener] = envoy.static_resources.listeners;
  assert.equal(listener.address.socket_address.port_value, 10000);
  const hcm = listener.filter_chains[0].filters[0];
  assert.equal(hcm.name, "envoy.filters.network.http_connection_manager");
  const filters = hcm.typed_config.http_filters;
  assert.deepEqual(filters.map((f: any) => f.name), ["envoy.filters.http.jwt_authn", "envoy.filters.http.wasm", "envoy.filters.http.router"]);
  assert.equal(filters[0].typed_config.providers.idp.payload_in_metadata, "payload");
  assert.deepEqual(withParsedConfiguration(filters[1]), withParsedConfiguration(envoyWasmFilter(policy())));
});

test("envoy.yaml routes to the llm cluster that it defines", () => {
  const envoy = parse(read("envoy.yaml"));
  const hcm = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
  assert.equal(hcm.route_config.virtual_hosts[0].routes[0].route.cluster, "llm");
  const [cluster] = envoy.static_resources.clusters;
  assert.equal(cluster.name, "llm");
  assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address, { address: "127.0.0.1", port_value: 8000 });
});

test("istio/wasmplugin.yaml is the rendered WasmPlugin", () => {
  assert.deepEqual(parse(read("istio/wasmplugin.yaml")), wasmPlugin(policy(), { wasmUrl: PLACEHOLDER_WASM_URL }));
});

test("istio/requestauthentication.yaml selects the same gateway pods as the WasmPlugin", () => {
  const plugin = parse(read("istio/wasmplugin.yaml"));
  const docs = parseAllDocuments(read("istio/requestauthentication.yaml")).map((d) => d.toJS());
  assert.deepEqual(docs.map((d) => d.kind), ["RequestAuthentication", "AuthorizationPolicy"]);
  for (const doc of docs) {
    assert.equal(doc.metadata.namespace, plugin.metadata.namespace);
    assert.deepEqual(doc.spec.selector, plugin.spec.selector);
  }
});

// Global counters: the policies that count in a rate-limit service, the engines' limits
// rendered from them, the clusters they call.

/** The one policy of an example file, checked by the built filter. */
async function checkedPolicy(path: string) {
  const checked = await checkPolicies(read(path), FILTER);
  assert.ok(isValid(checked), JSON.stringify(checked.policies.map((p) => p.problems)));
  return checked.policies[0].policy!;
}

/** The YAML of a rendering, or a failed assertion with its error. */
function renderedYaml(r: { text: string } | { problems: unknown[] }): unknown {
  assert.ok("text" in r, JSON.stringify(r));
  return parse(r.text);
}

const HTTP2 = {
  "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
    "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
    explicit_http_config: { http2_protocol_options: {} },
  },
};

test("global/limits.yaml and global/ratelimit-config.yaml are the engines' renderings of their policies", async () => {
  const limitador = await checkedPolicy("global/limitador-policy.yaml");
  assert.equal((limitador.config.counters as any).backend, "limitador");
  assert.deepEqual(parse(read("global/limits.yaml")), renderedYaml(renderLimitador(limitador)));
  const rls = await checkedPolicy("global/ratelimit-policy.yaml");
  assert.equal((rls.config.counters as any).backend, "envoy-rls");
  assert.deepEqual(parse(read("global/ratelimit-config.yaml")), renderedYaml(renderEnvoyRateLimit(rls)));
  // The same budgets as the local example: only where they are counted differs.
  assert.deepEqual(limitador.config.limits, policy().config.limits);
  assert.deepEqual(rls.config.limits, policy().config.limits);
});

test("global/clusters.yaml has the cluster each global policy calls, speaking HTTP/2", async () => {
  const clusters = parse(read("global/clusters.yaml"));
  for (const [file, port] of [["global/limitador-policy.yaml", 8081], ["global/ratelimit-policy.yaml", 8091]] as const) {
    const name = ((await checkedPolicy(file)).config.counters as any).service.cluster;
    const cluster = clusters.find((c: any) => c.name === name);
    assert.ok(cluster, `${file}: cluster ${name} in global/clusters.yaml`);
    assert.deepEqual(cluster.typed_extension_protocol_options, HTTP2, name);
    assert.equal(cluster.load_assignment.cluster_name, name);
    assert.equal(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, port);
  }
});

test("istio/wasmplugin-global.yaml is the rendered WasmPlugin; istio/limitador.yaml holds its limits and is the Limitador it calls", async () => {
  const global = await checkedPolicy("kuadrant/tokenratelimitpolicy-global.yaml");
  assert.deepEqual(parse(read("istio/wasmplugin-global.yaml")), wasmPlugin(global, { wasmUrl: PLACEHOLDER_WASM_URL }));
  assert.deepEqual(global.config.limits, policy().config.limits);
  const limitador = parse(read("istio/limitador.yaml"));
  assert.equal(limitador.kind, "Limitador");
  assert.deepEqual(limitador.spec.limits, renderedYaml(renderLimitador(global)));
  // limitador-operator names the Service limitador-<name>; Istio names its cluster outbound|<port>||<host>.
  const service = (global.config.counters as any).service;
  assert.equal(service.cluster, `outbound|8081||limitador-${limitador.metadata.name}.${limitador.metadata.namespace}.svc.cluster.local`);
  assert.notEqual(limitador.metadata.name, "limitador", "not Kuadrant's Limitador, whose limits Kuadrant rewrites");
  assert.deepEqual(limitador.spec.limits.map((l: any) => l.namespace), ["tokenlimit", "tokenlimit"]);
});

test("istio/serviceentry-limitador.yaml gives an outside Limitador a gRPC port, so Istio speaks HTTP/2 to it", () => {
  const entry = parse(read("istio/serviceentry-limitador.yaml"));
  assert.equal(entry.kind, "ServiceEntry");
  assert.deepEqual(entry.spec.ports, [{ number: 8081, name: "grpc", protocol: "GRPC" }]);
  assert.match(read("istio/serviceentry-limitador.yaml"), new RegExp(`outbound\\|8081\\|\\|${entry.spec.hosts[0].replace(/\./g, "\\.")}\n`));
});
