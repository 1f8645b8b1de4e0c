// The package as users get it: `npm pack`, then an install with production dependencies
// only, in a prefix outside the checkout, gives a `tokenlimit` command that runs on Node
// alone (no tsx, no TypeScript) and finds the filter it ships.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EXAMPLE_JSON } from "./fixtures.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), "tokenlimit-package-"));
after(() => rmSync(TMP, { recursive: true, force: true }));

/**
 * The environment of the commands: nothing that would load tsx into them, and no
 * node_modules/.bin on the PATH (`npm test` puts it first, and a dependency may bring
 * its own, older npm).
 */
const env = { ...process.env };
delete env.NODE_OPTIONS;
env.PATH = (env.PATH ?? "").split(delimiter).filter((dir) => !/[\\/]node_modules[\\/]\.bin$/.test(dir)).join(delimiter);

function run(command: string, args: string[], cwd: string) {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("npm pack and an install with --omit=dev give a working tokenlimit command", () => {
  // prepack compiles src/ (and host-test/) to dist/; --prefer-offline takes yaml and
  // commander from npm's cache when it has them, else from the registry.
  const pack = run("npm", ["pack", "--json", "--pack-destination", TMP], ROOT);
  assert.equal(pack.code, 0, pack.stderr);
  const [{ filename, files }] = JSON.parse(pack.stdout) as [{ filename: string; files: { path: string }[] }];
  const paths = files.map((f) => f.path);
  for (const shipped of ["package.json", "build/tokenlimit.wasm", "dist/src/cli.js", "dist/src/policy/filter-check.js", "dist/host-test/index.js"]) {
    assert.ok(paths.includes(shipped), `${shipped} is in the package`);
  }
  assert.deepEqual(paths.filter((p) => p.endsWith(".ts") || p.startsWith("src/") || p.startsWith("assembly/") || p.startsWith("test/")), []);

  const prefix = join(TMP, "prefix");
  const install = run("npm", ["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", "--prefix", prefix, join(TMP, filename)], TMP);
  assert.equal(install.code, 0, install.stderr);
  for (const dev of ["tsx", "typescript", "assemblyscript"]) assert.ok(!existsSync(join(prefix, "node_modules", dev)), `${dev} is not installed`);

  const tokenlimit = join(prefix, "node_modules", ".bin", "tokenlimit");
  const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  assert.deepEqual(run(tokenlimit, ["--version"], TMP), { code: 0, stdout: `${version}\n`, stderr: "" });

  // Every command of the checkout, whatever src/cli.ts registers, is there and loads.
  const help = run(tokenlimit, ["--help"], TMP);
  assert.deepEqual(help, { ...run(process.execPath, ["--import", "tsx", "src/cli.ts", "--help"], ROOT), code: 0 });
  const commands = [...help.stdout.split("Commands:")[1].matchAll(/^  ([a-z][a-z-]*)/gm)].map((m) => m[1]).filter((c) => c !== "help");
  assert.ok(commands.includes("render") && commands.includes("validate"), commands.join(", "));
  for (const command of commands) assert.equal(run(tokenlimit, [command, "--help"], TMP).code, 0, command);

  const example = join(TMP, "policy.yaml");
  writeFileSync(example, readFileSync(join(ROOT, "envoy/kuadrant/tokenratelimitpolicy.yaml")));
  assert.deepEqual(run(tokenlimit, ["render", "policy.yaml"], TMP), { code: 0, stdout: EXAMPLE_JSON, stderr: "" });
  assert.deepEqual(run(tokenlimit, ["validate", "policy.yaml"], TMP), {
    code: 0, stdout: "policy.yaml: valid: gateway-system/llm-budgets (accepted by tokenlimit.wasm)\n", stderr: "",
  });

  // The filter it ships does the checking: its own message, at the line of the window.
  writeFileSync(example, readFileSync(example, "utf8").replace("window: 24h", "window: 1w"));
  assert.deepEqual(run(tokenlimit, ["validate", "policy.yaml"], TMP), {
    code: 1,
    stdout: "",
    stderr: "policy.yaml: policy gateway-system/llm-budgets:\n" +
      '  13:31: spec.limits.free.rates[0].window: invalid duration "1w" (expected e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d)\n',
  });
});
