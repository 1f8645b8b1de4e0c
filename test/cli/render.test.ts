import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import { type Policy, loadPolicies } from "../../src/policy/manifest.ts";
import { renderEnvoy, renderIstio, renderPluginConfig } from "../../src/policy/render.ts";
import { EXAMPLE_POLICY } from "../../fixtures/llm.ts";
import { EXAMPLE_JSON } from "./fixtures.ts";

const EXAMPLE = readFileSync(new URL("../../envoy/kuadrant/tokenratelimitpolicy.yaml", import.meta.url), "utf8");
const example = (): Policy => loadPolicies(EXAMPLE).policies[0];


function text(r: { text: string } | { error: string }): string {
  assert.ok("text" in r, "error" in r ? r.error : "");
  return r.text;
}

test("the example policy renders to exactly this plugin configuration", () => {
  const json = renderPluginConfig(example());
  assert.equal(json, EXAMPLE_JSON);
  assert.deepEqual(JSON.parse(json), EXAMPLE_POLICY);
});

test("the Envoy rendering is one http_filters entry for the Wasm filter, failing closed", () => {
  const out = text(renderEnvoy(example()));
  const docs = parseAllDocuments(out);
  assert.equal(docs.length, 1);
  const filters = parse(out);
  assert.equal(filters.length, 1);
  const [filter] = filters;
  assert.equal(filter.name, "envoy.filters.http.wasm");
  assert.equal(filter.typed_config["@type"], "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm");
  const config = filter.typed_config.config;
  assert.deepEqual(Object.keys(config), ["name", "root_id", "vm_config", "configuration", "fail_open"]);
  assert.equal(config.name, "tokenlimit");
  assert.equal(config.root_id, "tokenlimit");
  assert.deepEqual(config.vm_config, {
    vm_id: "tokenlimit",
    runtime: "envoy.wasm.runtime.v8",
    code: { local: { filename: "/etc/envoy/tokenlimit.wasm" } },
  });
  assert.equal(config.configuration["@type"], "type.googleapis.com/google.protobuf.StringValue");
  assert.equal(config.configuration.value, EXAMPLE_JSON);
  assert.equal(config.fail_open, false);
});

test("the Envoy rendering says where the filter goes", () => {
  assert.match(text(renderEnvoy(example())), /^# tokenlimit for gateway-system\/llm-budgets: add to http_connection_manager\.http_filters,\n# after envoy\.filters\.http\.jwt_authn and before envoy\.filters\.http\.router\.\n/);
});

test("the Envoy rendering takes the module path as a path or a file:// URL", () => {
  const filename = (url: string) => parse(text(renderEnvoy(example(), url)))[0].typed_config.config.vm_config.code.local.filename;
  assert.equal(filename("/opt/wasm/tl.wasm"), "/opt/wasm/tl.wasm");
  assert.equal(filename("file:///opt/wasm/tl.wasm"), "/opt/wasm/tl.wasm");
  assert.deepEqual(renderEnvoy(example(), "oci://r.io/tl:1"), {
    error: '--wasm-url for Envoy must be an absolute path or a file:// URL, got "oci://r.io/tl:1"',
  });
  assert.deepEqual(renderEnvoy(example(), "build/tokenlimit.wasm"), {
    error: '--wasm-url for Envoy must be an absolute path or a file:// URL, got "build/tokenlimit.wasm"',
  });
});

test("the Istio rendering is a WasmPlugin on the target gateway's pods, after authn and authz, failing closed", () => {
  const manifest = parse(text(renderIstio(example(), { wasmUrl: "oci://ghcr.io/acme/tokenlimit:0.1.0" })));
  assert.deepEqual(manifest, {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: { name: "llm-budgets", namespace: "gateway-system", labels: { "app.kubernetes.io/name": "tokenlimit" } },
    spec: {
      selector: { matchLabels: { "gateway.networking.k8s.io/gateway-name": "llm-gateway" } },
      url: "oci://ghcr.io/acme/tokenlimit:0.1.0",
      pluginName: "tokenlimit",
      phase: "STATS",
      failStrategy: "FAIL_CLOSE",
      pluginConfig: EXAMPLE_POLICY,
    },
  });
});

test("the Istio rendering takes the namespace and gateway from options over the policy", () => {
  const manifest = parse(text(renderIstio(example(), { namespace: "edge", gateway: "public-gw" })));
  assert.equal(manifest.metadata.namespace, "edge");
  assert.deepEqual(manifest.spec.selector, { matchLabels: { "gateway.networking.k8s.io/gateway-name": "public-gw" } });
  assert.equal(manifest.spec.url, "oci://registry.example.com/tokenlimit:0.1.0");
});

test("a bare spec renders to a WasmPlugin named tokenlimit without a namespace", () => {
  const [policy] = loadPolicies("limits: { a: { rates: [{ limit: 1, window: 1s }] } }").policies;
  const manifest = parse(text(renderIstio(policy, { gateway: "gw" })));
  assert.deepEqual(manifest.metadata, { name: "tokenlimit", labels: { "app.kubernetes.io/name": "tokenlimit" } });
  assert.deepEqual(manifest.spec.pluginConfig, { limits: { a: { rates: [{ limit: 1, window: "1s" }] } } });
});

test("the Istio rendering needs a gateway when the policy does not target one", () => {
  const [route] = loadPolicies("targetRef: { kind: HTTPRoute, name: chat }\nlimits: { a: { rates: [{ limit: 1, window: 1s }] } }").policies;
  assert.deepEqual(renderIstio(route), { error: "the policy targets HTTPRoute chat; a WasmPlugin runs on a gateway: pass --gateway NAME" });
  const [bare] = loadPolicies("limits: { a: { rates: [{ limit: 1, window: 1s }] } }").policies;
  assert.deepEqual(renderIstio(bare), { error: "the policy has no targetRef; a WasmPlugin runs on a gateway: pass --gateway NAME" });
  assert.equal(parse(text(renderIstio(route, { gateway: "gw" }))).spec.selector.matchLabels["gateway.networking.k8s.io/gateway-name"], "gw");
});

test("the Istio rendering takes oci, https, http and file URLs, and bare image references", () => {
  for (const url of ["oci://r.io/tl:1", "https://x.io/tl.wasm", "http://x/tl.wasm", "file:///var/tl.wasm", "r.io/tl:1"]) {
    assert.equal(parse(text(renderIstio(example(), { wasmUrl: url }))).spec.url, url);
  }
  assert.deepEqual(renderIstio(example(), { wasmUrl: "s3://b/tl.wasm" }), {
    error: '--wasm-url must be an oci://, https://, http:// or file:// URL, got "s3://b/tl.wasm"',
  });
});

test("extension fields reach every rendering unchanged", () => {
  const [policy] = loadPolicies("dryRun: true\nlimits: { a: { rates: [{ limit: 1, window: 1s }] } }\nresponse: { status: 429 }").policies;
  const expected = { dryRun: true, limits: { a: { rates: [{ limit: 1, window: "1s" }] } }, response: { status: 429 } };
  assert.deepEqual(JSON.parse(renderPluginConfig(policy)), expected);
  assert.deepEqual(JSON.parse(parse(text(renderEnvoy(policy)))[0].typed_config.config.configuration.value), expected);
  assert.deepEqual(parse(text(renderIstio(policy, { gateway: "gw" }))).spec.pluginConfig, expected);
});
