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
import { EXAMPLE_JSON } from "./fixtures.ts";

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

test("render prints the plugin configuration by default", () => {
  assert.deepEqual(render("p.yaml", EXAMPLE), { code: 0, stdout: EXAMPLE_JSON, stderr: "" });
});

test("render prints every problem and nothing else when the policy is invalid", () => {
  assert.deepEqual(render("p.yaml", BAD, { format: "envoy" }), {
    code: 1,
    stdout: "",
    stderr: "p.yaml:8:17: spec.limits.a.rates[0].limit: expected a positive integer, got -1\n" +
      'p.yaml:17:28: spec.limits.b.rates[0].window: expected a duration such as 30s, 1m, 24h, 1h30m, 500ms or 1d, got "1y"\n',
  });
});

test("render needs --name to choose among several policies", () => {
  assert.deepEqual(render("p.yaml", TWO), { code: 1, stdout: "", stderr: "p.yaml: 2 policies found (ns/a, ns/b); choose one with --name\n" });
  assert.deepEqual(JSON.parse(render("p.yaml", TWO, { name: "b" }).stdout), { limits: { b: { rates: [{ limit: 10, window: "1m" }] } } });
  assert.equal(render("p.yaml", TWO, { name: "ns/a" }).code, 0);
  assert.deepEqual(render("p.yaml", TWO, { name: "c" }), { code: 1, stdout: "", stderr: "p.yaml: no policy named c (found ns/a, ns/b)\n" });
});

test("render --format istio warns when the module URL is the placeholder", () => {
  const out = render("p.yaml", EXAMPLE, { format: "istio" });
  assert.equal(out.code, 0);
  assert.equal(out.stderr, "warning: no --wasm-url given; the WasmPlugin pulls the placeholder oci://registry.example.com/tokenlimit:0.1.0\n");
  assert.equal(parse(out.stdout).spec.url, "oci://registry.example.com/tokenlimit:0.1.0");
});

test("render --format istio explains what is missing for an HTTPRoute policy", () => {
  const route = policy("a", "kind: HTTPRoute, name: chat");
  assert.deepEqual(render("p.yaml", route, { format: "istio", wasmUrl: "oci://r/t:1" }), {
    code: 1,
    stdout: "",
    stderr: "p.yaml: the policy targets HTTPRoute chat; a WasmPlugin runs on a gateway: pass --gateway NAME\n",
  });
  assert.equal(render("p.yaml", route, { format: "istio", wasmUrl: "oci://r/t:1", gateway: "gw" }).code, 0);
});

test("validate reports each valid policy on stdout", async () => {
  assert.deepEqual(await validate("p.yaml", TWO), { code: 0, stdout: "p.yaml: valid: ns/a, ns/b\n", stderr: "" });
});

test("validate reports every problem of every document, one per line", async () => {
  assert.deepEqual(await validate("p.yaml", BAD), {
    code: 1,
    stdout: "",
    stderr: "p.yaml:8:17: spec.limits.a.rates[0].limit: expected a positive integer, got -1\n" +
      'p.yaml:17:28: spec.limits.b.rates[0].window: expected a duration such as 30s, 1m, 24h, 1h30m, 500ms or 1d, got "1y"\n',
  });
});

test("validate --wasm reports the filter's own errors for each policy", async () => {
  const bytes = await echoModule({ level: 4, accept: false });
  assert.deepEqual(await validate("p.yaml", TWO, { wasm: { bytes, name: "f.wasm" } }), {
    code: 1,
    stdout: "",
    stderr: 'p.yaml: ns/a: f.wasm: error: {"limits":{"a":{"rates":[{"limit":10,"window":"1m"}]}}}\n' +
      'p.yaml: ns/b: f.wasm: error: {"limits":{"b":{"rates":[{"limit":10,"window":"1m"}]}}}\n',
  });
});

test("validate --wasm passes with the filter's warnings on stderr", async () => {
  const bytes = await echoModule({ level: 3, accept: true });
  assert.deepEqual(await validate("p.yaml", "limits: { a: { rates: [{ limit: 1, window: 1s }] } }", { wasm: { bytes, name: "f.wasm" } }), {
    code: 0,
    stdout: "p.yaml: valid: (unnamed) (accepted by f.wasm)\n",
    stderr: 'p.yaml: f.wasm: warn: {"limits":{"a":{"rates":[{"limit":1,"window":"1s"}]}}}\n',
  });
});

test("validate --wasm reports a rejection without log lines, and a trap", async () => {
  const silent = await echoModule({ level: 1, accept: false });
  assert.deepEqual(await validate("p.yaml", policy("a"), { wasm: { bytes: silent, name: "f.wasm" } }), {
    code: 1, stdout: "", stderr: "p.yaml: ns/a: f.wasm: configuration rejected\n",
  });
  const trap = await echoModule({ level: 1, accept: true, trap: true });
  assert.deepEqual(await validate("p.yaml", policy("a"), { wasm: { bytes: trap, name: "f.wasm" } }), {
    code: 1, stdout: "", stderr: "p.yaml: ns/a: f.wasm: Function: proxy_on_configure failed: Uncaught RuntimeError: unreachable\n",
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

test("cli: validate exits 1 with one problem per line on stderr", () => {
  const file = tmpFile("bad.yaml", BAD);
  assert.deepEqual(cli(["validate", file]), {
    code: 1,
    stdout: "",
    stderr: `${file}:8:17: spec.limits.a.rates[0].limit: expected a positive integer, got -1\n` +
      `${file}:17:28: spec.limits.b.rates[0].window: expected a duration such as 30s, 1m, 24h, 1h30m, 500ms or 1d, got "1y"\n`,
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
});

test("cli: usage errors exit 1 and point at --help", () => {
  assert.deepEqual(cli(["render", EXAMPLE_FILE, "--format", "yaml"]), {
    code: 1,
    stdout: "",
    stderr: "error: option '--format <format>' argument 'yaml' is invalid. Allowed choices are plugin-config, envoy, istio.\n(tokenlimit --help for usage)\n",
  });
  assert.deepEqual(cli(["validate"]), { code: 1, stdout: "", stderr: "error: missing required argument 'policy'\n(tokenlimit --help for usage)\n" });
});

test("cli: the tokenlimit launcher runs from any directory", () => {
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const r = spawnSync(process.execPath, [join(ROOT, "src/tokenlimit.mjs"), "--version"], { cwd: TMP, encoding: "utf8" });
  assert.deepEqual({ code: r.status, stdout: r.stdout, stderr: r.stderr }, { code: 0, stdout: `${version}\n`, stderr: "" });
});
