// `npm pack` / `npm publish` run this first: the package ships compiled JavaScript
// (dist/, from src/ and what it imports, e.g. host-test/) and the release filter
// (build/tokenlimit.wasm), so that the installed `tokenlimit` needs neither tsx nor
// TypeScript. The filter is rebuilt only when it is missing or older than its sources.
import { spawnSync } from "node:child_process";
import { chmodSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

process.chdir(join(dirname(fileURLToPath(import.meta.url)), ".."));

const WASM = "build/tokenlimit.wasm";

/** The newest modification time of the files under `path`. */
function newest(path) {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}

function run(args) {
  const r = spawnSync(process.execPath, args, { stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

let built = 0;
try { built = statSync(WASM).mtimeMs; } catch {}
if (built < Math.max(...["assembly", "compat", "asconfig.json"].map(newest))) run(["scripts/build.mjs", "--only", "release"]);

rmSync("dist", { recursive: true, force: true });
run(["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"]);
chmodSync("dist/src/cli.js", 0o755);
