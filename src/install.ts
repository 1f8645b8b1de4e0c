// Where the package is: the directory of tokenlimit's package.json, found from this
// module whether it runs from src/ in a checkout (through tsx) or from dist/src/ in an
// installed package, so that the command finds its version and the compiled filter.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "tokenlimit";

/** The package's root directory. Throws only if the package.json is gone (a broken install). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === PACKAGE_NAME) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`${PACKAGE_NAME}: cannot find its package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string }).version;
}

/** The compiled filter that ships with the package (`build/tokenlimit.wasm`). */
export function bundledFilter(): string {
  return join(packageRoot(), "build", "tokenlimit.wasm");
}
