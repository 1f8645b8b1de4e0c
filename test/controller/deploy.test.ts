// deploy/: what `kubectl apply -k` would install, RBAC that grants exactly what the
// controller uses, and a Deployment whose arguments the controller accepts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { Controller } from "../../src/controller/controller.ts";
import { kubeClient } from "../../src/controller/kube.ts";
import { LeaderElector } from "../../src/controller/leader.ts";
import { Metrics } from "../../src/controller/metrics.ts";
import { FilterVerdicts } from "../../src/controller/validation.ts";
import { ManualClock } from "../support/clock.ts";
import { kubeConfigFor, until } from "../support/kube-api/client.ts";
import { RESOURCES } from "../support/kube-api/resources.ts";
import { KubeApiServer } from "../support/kube-api/server.ts";
import { OPTIONS, daily, onGateway } from "./objects.ts";

const run = promisify(execFile);
type Doc = { kind: string; metadata: { name: string; namespace?: string }; rules?: Rule[]; spec?: any };
type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

async function rendered(dir: string): Promise<Doc[]> {
  const { stdout } = await run("kubectl", ["kustomize", dir]);
  return parseAllDocuments(stdout).map((d) => d.toJS() as Doc);
}

test("kubectl apply -k deploy/ installs the CRD and the controller; deploy/controller the controller alone", async () => {
  const names = (docs: Doc[]) => docs.map((d) => `${d.kind} ${d.metadata.namespace ? d.metadata.namespace + "/" : ""}${d.metadata.name}`);
  const controller = [
    "ServiceAccount tokenlimit-system/tokenlimit-controller",
    "Role tokenlimit-system/tokenlimit-controller-leader-election",
    "ClusterRole tokenlimit-controller",
    "RoleBinding tokenlimit-system/tokenlimit-controller-leader-election",
    "ClusterRoleBinding tokenlimit-controller",
    "Deployment tokenlimit-system/tokenlimit-controller",
  ];
  assert.deepEqual(names(await rendered("deploy")), ["Namespace tokenlimit-system", "CustomResourceDefinition tokenratelimitpolicies.kuadrant.io", ...controller]);
  assert.deepEqual(names(await rendered("deploy/controller")), ["Namespace tokenlimit-system", ...controller]);
});

test("the RBAC grants exactly the verbs the controller and its leader election use, no more", async (t) => {
  const server = new KubeApiServer();
  const url = await server.start();
  const clock = new ManualClock(Date.UTC(2026, 11, 4, 12));
  const client = kubeClient(kubeConfigFor(url));
  const elector = new LeaderElector(client, { namespace: "tokenlimit-system", name: "tokenlimit-controller", identity: "a" }, clock);
  const controller = new Controller({
    client, plugin: OPTIONS, verdicts: new FilterVerdicts(readFileSync("build/tokenlimit.wasm")), clock, metrics: new Metrics(), isLeader: () => elector.isLeader(),
    limitador: { namespace: "kuadrant-system", name: "tokenlimit" },
  });
  t.after(async () => {
    controller.stop();
    await server.stop();
  });
  const type = (plural: string) => RESOURCES.find((r) => r.plural === plural)!;
  const plugins = () => server.store.list(type("wasmplugins"), "ns");
  await elector.step();
  await elector.step();
  controller.start();
  server.store.create(type("gateways"), "ns", { metadata: { name: "gw" }, spec: {} });
  server.store.create(type("limitadors"), "kuadrant-system", { metadata: { name: "tokenlimit" }, spec: { limits: [] } });
  const counters = { backend: "limitador", service: { cluster: "limitador" } };
  server.store.create(type("tokenratelimitpolicies"), "ns", { metadata: { name: "p" }, spec: { targetRef: onGateway("gw"), limits: { free: daily(1) }, counters } });
  await until(() => plugins().length === 1, "the WasmPlugin");
  await until(() => server.store.get(type("limitadors"), "kuadrant-system", "tokenlimit").spec.limits.length === 1, "the Limitador's limits");
  const p = server.store.get(type("tokenratelimitpolicies"), "ns", "p");
  server.store.update(type("tokenratelimitpolicies"), "ns", "p", { ...p, spec: { ...p.spec, limits: { free: daily(2) } } });
  await until(() => JSON.stringify(plugins()[0].spec).includes('"limit":2'), "the replaced WasmPlugin");
  server.store.delete(type("gateways"), "ns", "gw");
  await until(() => plugins().length === 0, "the WasmPlugin deleted");
  await controller.idle();

  // Each request as (namespace, group, resource, name, verb), as the API server's authorizer sees it.
  const used = new Set<string>();
  for (const r of server.requests) {
    const url = new URL(r.path, "http://x");
    const m = /^\/apis\/([^/]+)\/[^/]+(?:\/namespaces\/([^/]+))?\/([^/]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname);
    if (m === null) continue;
    const [, group, namespace, plural, name, sub] = m;
    const verb = r.method === "GET" ? (name ? "get" : url.searchParams.get("watch") ? "watch" : "list")
      : ({ POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<string, string>)[r.method];
    used.add(JSON.stringify([namespace ?? "", group, sub ? `${plural}/${sub}` : plural, name ?? "", verb]));
  }
  const docs = await rendered("deploy/controller");
  const cluster = docs.find((d) => d.kind === "ClusterRole")!.rules!;
  const leader = docs.find((d) => d.kind === "Role")!;
  const allows = (rules: Rule[], group: string, resource: string, name: string, verb: string) =>
    rules.some((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb) &&
      (rule.resourceNames === undefined || rule.resourceNames.includes(name)));
  const granted = new Set<string>();
  for (const u of used) {
    const [namespace, group, resource, name, verb] = JSON.parse(u) as string[];
    const ok = allows(cluster, group, resource, name, verb) || (namespace === leader.metadata.namespace && allows(leader.rules!, group, resource, name, verb));
    assert.ok(ok, `not granted: ${verb} ${group} ${resource} ${namespace}/${name}`);
    granted.add(`${group} ${resource} ${verb}`);
  }
  const rulesVerbs = [...cluster, ...leader.rules!].flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g} ${res} ${v}`))));
  assert.deepEqual([...new Set(rulesVerbs)].sort(), [...granted].sort());
});

test("the Deployment's arguments are options of `tokenlimit controller`", async () => {
  const deployment = (await rendered("deploy/controller")).find((d) => d.kind === "Deployment")!;
  const args: string[] = deployment.spec.template.spec.containers[0].args;
  const { stdout } = await run(process.execPath, ["src/tokenlimit.mjs", "controller", "--help"]);
  assert.equal(args[0], "controller");
  for (const arg of args.slice(1)) assert.ok(stdout.includes(`${arg.split("=")[0]} `), `${arg} is not an option:\n${stdout}`);
});
