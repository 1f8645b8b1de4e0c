import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { render, validate } from "../../src/commands.ts";
import { echoModule } from "./wat.ts";
import { EXAMPLE_JSON, FILTER } from "./fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLE_FILE = join(ROOT, "envoy/kuadrant/tokenratelimitpolicy.yaml");
const EXAMPLE = readFileSync(EXAMPLE_FILE, "utf8");
const TMP = mkdtempSync(join(tmpdir(), "tokenlimit-cli-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

const policy = (name: string, target = "kind: Gateway, name: gw") => `apiVersion: kuadrant.io/v1alpha1
kind: TokenRateLimitPolicy
metadata: { name: ${name}, namespace: ns }
spec:
  targetRef: { group: gateway.networking.k8s.io, ${target} }
  limits:
    ${name}:
      rates: [{ limit: 10, window: 1m }]
`;
const TWO = `${policy("a")}---\n${policy("b")}`;
const BAD = `${policy("a").replace("limit: 10", "limit: -1")}---\n${policy("b").replace("window: 1m", "window: 1y")}`;

/** Runs the CLI as a user would, from the repository root. */
function cli(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: ROOT, encoding: "utf8", input });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tmpFile(name: string, content: string | Uint8Array): string {
  const path = join(TMP, name);
  writeFileSync(path, content);
  return path;
}

/** What validate prints for BAD: one heading per policy, then its problems. */
const BAD_REPORT = "p.yaml: policy ns/a:\n" +
  "  8:17: spec.limits.a.rates[0].limit: expected a positive integer, got -1\n" +
  "p.yaml: policy ns/b:\n" +
  '  17:28: spec.limits.b.rates[0].window: invalid duration "1y" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)\n';

test("render prints the plugin configuration by default", async () => {
  assert.deepEqual(await render("p.yaml", EXAMPLE, FILTER), { code: 0, stdout: EXAMPLE_JSON, stderr: "" });
});

test("render refuses what validate refuses, with the same report and nothing on stdout", async () => {
  assert.deepEqual(await render("p.yaml", BAD, FILTER, { format: "envoy" }), { code: 1, stdout: "", stderr: BAD_REPORT });
});

test("render keeps Kuadrant's warnings for validate", async () => {
  const out = await render("p.yaml", policy("a").replace("window: 1m", "window: 1d"), FILTER);
  assert.deepEqual({ code: out.code, stderr: out.stderr }, { code: 0, stderr: "" });
  assert.deepEqual(JSON.parse(out.stdout), { limits: { a: { rates: [{ limit: 10, window: "1d" }] } } });
});

test("render needs --name to choose among several policies", async () => {
  assert.deepEqual(await render("p.yaml", TWO, FILTER), { code: 1, stdout: "", stderr: "p.yaml: 2 policies found (ns/a, ns/b); choose one with --name\n" });
  assert.deepEqual(JSON.parse((await render("p.yaml", TWO, FILTER, { name: "b" })).stdout), { limits: { b: { rates: [{ limit: 10, window: "1m" }] } } });
  assert.equal((await render("p.yaml", TWO, FILTER, { name: "ns/a" })).code, 0);
  assert.deepEqual(await render("p.yaml", TWO, FILTER, { name: "c" }), { code: 1, stdout: "", stderr: "p.yaml: no policy named c (found ns/a, ns/b)\n" });
});

test("render --format istio warns when the module URL is the placeholder", async () => {
  const out = await render("p.yaml", EXAMPLE, FILTER, { format: "istio" });
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "warning: no --wasm-url given; the WasmPlugin pulls the placeholder oci://registry.example.com/tokenlimit:0.1.0\n");
  assert.equal(parse(out.stdout).spec.url, "oci://registry.example.com/tokenlimit:0.1.0");
});

test("render --format istio explains what is missing for an HTTPRoute policy", async () => {
  const route = policy("a", "kind: HTTPRoute, name: chat");
  assert.deepEqual(await render("p.yaml", route, FILTER, { format: "istio", wasmUrl: "oci://r/t:1" }), {
    code: 1,
    stdout: "",
    stderr: "p.yaml: the policy targets HTTPRoute chat; a WasmPlugin runs on a gateway: pass --gateway NAME\n",
  });
  assert.equal((await render("p.yaml", route, FILTER, { format: "istio", wasmUrl: "oci://r/t:1", gateway: "gw" })).code, 0);
});

test("validate reports each valid policy on stdout", async () => {
  assert.deepEqual(await validate("p.yaml", TWO, FILTER), { code: 0, stdout: "p.yaml: valid: ns/a, ns/b (accepted by tokenlimit.wasm)\n", stderr: "" });
});

test("validate reports every problem of every document under a heading per policy", async () => {
  assert.deepEqual(await validate("p.yaml", BAD, FILTER), { code: 1, stdout: "", stderr: BAD_REPORT });
});

test("validate --wasm reports the filter's own lines for each policy", async () => {
  const f = { bytes: await echoModule({ level: 4, accept: false }), name: "f.wasm" };
  assert.deepEqual(await validate("p.yaml", TWO, f), {
    code: 1,
    stdout: "",
    stderr: 'p.yaml: policy ns/a:\n  f.wasm: {"limits":{"a":{"rates":[{"limit":10,"window":"1m"}]}}}\n' +
      'p.yaml: policy ns/b:\n  f.wasm: {"limits":{"b":{"rates":[{"limit":10,"window":"1m"}]}}}\n',
  });
});

test("validate --wasm passes with the filter's warnings on stderr", async () => {
  const f = { bytes: await echoModule({ level: 3, accept: true }), name: "f.wasm" };
  assert.deepEqual(await validate("p.yaml", "limits: { a: { rates: [{ limit: 1, window: 1s }] } }", f), {
    code: 0,
    stdout: "p.yaml: valid: (unnamed) (accepted by f.wasm)\n",
    stderr: 'p.yaml: policy (unnamed):\n  warning: f.wasm: {"limits":{"a":{"rates":[{"limit":1,"window":"1s"}]}}}\n',
  });
});

test("validate --wasm reports a rejection without log lines, and a trap", async () => {
  const silent = { bytes: await echoModule({ level: 1, accept: false }), name: "f.wasm" };
  assert.deepEqual(await validate("p.yaml", policy("a"), silent), {
    code: 1, stdout: "", stderr: "p.yaml: policy ns/a:\n  f.wasm: configuration rejected\n",
  });
  const trap = { bytes: await echoModule({ level: 1, accept: true, trap: true }), name: "f.wasm" };
  assert.deepEqual(await validate("p.yaml", policy("a"), trap), {
    code: 1, stdout: "", stderr: "p.yaml: policy ns/a:\n  f.wasm: Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable\n",
  });
});

// End to end: the real command line, a real process, real files.

test("cli: render prints the example's plugin configuration", () => {
  assert.deepEqual(cli(["render", "envoy/kuadrant/tokenratelimitpolicy.yaml"]), { code: 0, stdout: EXAMPLE_JSON, stderr: "" });
});

test("cli: render --format istio with options prints a WasmPlugin", () => {
  const file = tmpFile("route.yaml", policy("a", "kind: HTTPRoute, name: chat"));
  const out = cli(["render", file, "--format", "istio", "--wasm-url", "file:///var/tl.wasm", "--namespace", "edge", "--gateway", "gw"]);
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "");
  const manifest = parse(out.stdout);
  assert.equal(manifest.metadata.namespace, "edge");
  assert.equal(manifest.spec.url, "file:///var/tl.wasm");
  assert.deepEqual(manifest.spec.selector.matchLabels, { "gateway.networking.k8s.io/gateway-name": "gw" });
});

test("cli: render --format envoy reads the policy from stdin", () => {
  const out = cli(["render", "-", "--format", "envoy"], EXAMPLE);
  assert.equal(out.code, 0);
  assert.equal(parse(out.stdout)[0].typed_config.config.configuration.value, EXAMPLE_JSON);
});

test("cli: render --format limitador and envoy-ratelimit print the engines' files of envoy/global/", () => {
  const limits = cli(["render", "envoy/global/limitador-policy.yaml", "--format", "limitador"]);
  assert.deepEqual([limits.code, limits.stderr], [0, ""]);
  assert.deepEqual(parse(limits.stdout), parse(readFileSync(join(ROOT, "envoy/global/limits.yaml"), "utf8")));
  const rls = cli(["render", "envoy/global/ratelimit-policy.yaml", "--format", "envoy-ratelimit"]);
  assert.deepEqual([rls.code, rls.stderr], [0, ""]);
  assert.deepEqual(parse(rls.stdout), parse(readFileSync(join(ROOT, "envoy/global/ratelimit-config.yaml"), "utf8")));
  const wrong = cli(["render", "envoy/global/ratelimit-policy.yaml", "--format", "limitador"]);
  assert.deepEqual(wrong, {
    code: 1, stdout: "",
    stderr: "envoy/global/ratelimit-policy.yaml: policy gateway-system/llm-budgets:\n" +
      '  27:5: spec.counters.backend: --format limitador is for counters.backend "limitador", not "envoy-rls"\n',
  });
});

test("cli: validate runs the built filter by default and exits 1 with the report on stderr", () => {
  const file = tmpFile("bad.yaml", BAD);
  assert.deepEqual(cli(["validate", file]), { code: 1, stdout: "", stderr: BAD_REPORT.replaceAll("p.yaml", file) });
});

test("cli: validate exits 0 on the example policy", () => {
  assert.deepEqual(cli(["validate", "envoy/kuadrant/tokenratelimitpolicy.yaml"]), {
    code: 0, stdout: "envoy/kuadrant/tokenratelimitpolicy.yaml: valid: gateway-system/llm-budgets (accepted by tokenlimit.wasm)\n", stderr: "",
  });
});

test("cli: validate --wasm exits 0 when the filter accepts", async () => {
  const wasm = tmpFile("accept.wasm", await echoModule({ level: 2, accept: true }));
  const file = tmpFile("two.yaml", TWO);
  assert.deepEqual(cli(["validate", file, "--wasm", wasm]), { code: 0, stdout: `${file}: valid: ns/a, ns/b (accepted by ${wasm})\n`, stderr: "" });
});

test("cli: unreadable files are named", () => {
  assert.deepEqual(cli(["validate", "missing.yaml"]), { code: 1, stdout: "", stderr: "missing.yaml: cannot read: no such file\n" });
  assert.deepEqual(cli(["render", "envoy"]), { code: 1, stdout: "", stderr: "envoy: cannot read: is a directory\n" });
  assert.deepEqual(cli(["validate", EXAMPLE_FILE, "--wasm", "nope.wasm"]), { code: 1, stdout: "", stderr: "nope.wasm: cannot read: no such file\n" });
  assert.deepEqual(cli(["render", EXAMPLE_FILE, "--wasm", "nope.wasm"]), { code: 1, stdout: "", stderr: "nope.wasm: cannot read: no such file\n" });
});

test("cli: usage errors exit 1 and point at --help", () => {
  assert.deepEqual(cli(["render", EXAMPLE_FILE, "--format", "yaml"]), {
    code: 1,
    stdout: "",
    stderr: "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are plugin-config, envoy, istio, limitador, envoy-ratelimit.\n(tokenlimit --help for usage)\n",
  });
  assert.deepEqual(cli(["validate"]), { code: 1, stdout: "", stderr: "error: missing required argument 'policy'\n(tokenlimit --help for usage)\n" });
});

test("cli: the tokenlimit launcher runs from any directory", () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const r = spawnSync(process.execPath, [join(ROOT, "src/tokenlimit.mjs"), "--version"], { cwd: TMP, encoding: "utf8" });
  assert.deepEqual({ code: r.status, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: `${version}\n`, stderr: "" });
});
