// The real kubectl against the test API server, with the controller running: the
// stand-in speaks enough Kubernetes for an unmodified client to create, get, apply and
// delete a TokenRateLimitPolicy, and the controller reacts to each step.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Controller } from "../../src/controller/controller.ts";
import { kubeClient } from "../../src/controller/kube.ts";
import { Metrics } from "../../src/controller/metrics.ts";
import { FilterVerdicts } from "../../src/controller/validation.ts";
import { ManualClock } from "../support/clock.ts";
import { kubeConfigFor, kubeconfigYaml, until } from "../support/kube-api/client.ts";
import { RESOURCES } from "../support/kube-api/resources.ts";
import { KubeApiServer } from "../support/kube-api/server.ts";
import { OPTIONS } from "./objects.ts";

const GATEWAY = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: llm-gateway, namespace: gateway-system }
spec:
  gatewayClassName: istio
  listeners: [{ name: http, port: 80, protocol: HTTP }]
`;

test("kubectl creates, gets, applies and deletes a TokenRateLimitPolicy; the controller follows each step", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tokenlimit-kubectl-"));
  const server = new KubeApiServer();
  const url = await server.start();
  const controller = new Controller({
    client: kubeClient(kubeConfigFor(url)), plugin: OPTIONS, verdicts: new FilterVerdicts(readFileSync("build/tokenlimit.wasm")),
    clock: new ManualClock(Date.UTC(2026, 11, 4, 12)), metrics: new Metrics(), isLeader: () => true,
  });
  t.after(async () => {
    controller.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(join(dir, "kubeconfig"), kubeconfigYaml(url, "gateway-system"));
  const policyFile = join(dir, "policy.yaml");
  const policy = readFileSync("envoy/kuadrant/tokenratelimitpolicy.yaml", "utf8");
  writeFileSync(policyFile, policy);
  writeFileSync(join(dir, "gateway.yaml"), GATEWAY);
  const kubectl = (...args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile("kubectl", ["--kubeconfig", join(dir, "kubeconfig"), "--cache-dir", join(dir, "cache"), ...args],
      { env: { PATH: process.env.PATH, HOME: dir }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
  });
  const plugins = () => server.store.list(RESOURCES.find((r) => r.plural === "wasmplugins")!, "gateway-system");
  controller.start();

  assert.deepEqual(await kubectl("create", "-f", join(dir, "gateway.yaml"), "--validate=false"),
    { code: 0, stdout: "gateway.gateway.networking.k8s.io/llm-gateway created\n", stderr: "" });
  assert.deepEqual(await kubectl("create", "-f", policyFile, "--save-config", "--validate=false"),
    { code: 0, stdout: "tokenratelimitpolicy.kuadrant.io/llm-budgets created\n", stderr: "" });
  await until(() => plugins().length === 1, "the WasmPlugin");
  await until(() => server.store.list(RESOURCES[0], "gateway-system")[0].status !== undefined, "the status");

  assert.deepEqual(await kubectl("get", "tokenratelimitpolicy", "llm-budgets", "-o",
    "jsonpath={range .status.conditions[*]}{.type}={.status}/{.reason} {end}"),
  { code: 0, stdout: "Accepted=True/Accepted Enforced=True/Enforced ", stderr: "" });
  assert.deepEqual(await kubectl("get", "wasmplugins", "-o", "jsonpath={.items[*].metadata.name} {.items[0].spec.pluginConfig.limits.gateway-system\\.llm-budgets\\.free.rates[0].limit}"),
    { code: 0, stdout: "tokenlimit-llm-gateway 20000", stderr: "" });

  // A new budget: apply sends a JSON merge patch of what changed.
  writeFileSync(policyFile, policy.replace("limit: 20000", "limit: 30000"));
  assert.deepEqual(await kubectl("apply", "-f", policyFile, "--validate=false"),
    { code: 0, stdout: "tokenratelimitpolicy.kuadrant.io/llm-budgets configured\n", stderr: "" });
  assert.deepEqual(await kubectl("apply", "-f", policyFile, "--validate=false"),
    { code: 0, stdout: "tokenratelimitpolicy.kuadrant.io/llm-budgets unchanged\n", stderr: "" });
  assert.ok(server.requests.some((r) => r.method === "PATCH" && r.contentType === "application/merge-patch+json" &&
    r.path.startsWith("/apis/kuadrant.io/v1alpha1/namespaces/gateway-system/tokenratelimitpolicies/llm-budgets?")));
  await until(() => JSON.stringify(plugins()[0]?.spec.pluginConfig).includes('"limit":30000'), "the new limit in the WasmPlugin");
  await until(() => server.store.list(RESOURCES[0], "gateway-system")[0].status?.observedGeneration === 2, "the new generation observed");
  assert.deepEqual(await kubectl("get", "tokenratelimitpolicy", "llm-budgets", "-o", "jsonpath={.metadata.generation} {.status.observedGeneration}"),
    { code: 0, stdout: "2 2", stderr: "" });

  assert.deepEqual(await kubectl("delete", "-f", policyFile),
    { code: 0, stdout: 'tokenratelimitpolicy.kuadrant.io "llm-budgets" deleted\n', stderr: "" });
  assert.deepEqual(await kubectl("get", "tokenratelimitpolicy", "llm-budgets"),
    { code: 1, stdout: "", stderr: 'Error from server (NotFound): tokenratelimitpolicies.kuadrant.io "llm-budgets" not found\n' });
  await until(() => plugins().length === 0, "the WasmPlugin to go");
  assert.deepEqual(await kubectl("get", "wasmplugins"), { code: 0, stdout: "", stderr: "No resources found in gateway-system namespace.\n" });
});
