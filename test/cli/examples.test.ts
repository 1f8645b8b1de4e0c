// The deployable examples in envoy/ must parse and must carry exactly the rendering of
// envoy/kuadrant/tokenratelimitpolicy.yaml, so that they cannot drift from the policy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import { loadPolicies } from "../../src/policy/manifest.ts";
import { PLACEHOLDER_WASM_URL, envoyWasmFilter, wasmPlugin } from "../../src/policy/render.ts";

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
