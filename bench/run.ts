// `npm run bench`: runs every bench/*.bench.ts and prints its lines. Each benchmark
// measures ratios side by side in one run (interleaved rounds, medians), because
// absolute times on a shared machine do not compare across runs.
import { readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const files = readdirSync(here).filter((f) => f.endsWith(".bench.ts") && (!only || f.includes(only))).sort();
if (files.length === 0) {
  console.error(`no benchmark matches ${JSON.stringify(only)}`);
  process.exit(1);
}
let failures = 0;
for (const file of files) {
  try {
    const mod = await import(pathToFileURL(join(here, file)).href);
    const lines: string[] = await mod.run();
    for (const line of lines) console.log(line);
  } catch (err) {
    failures++;
    console.error(`${file}: ${(err as Error).stack ?? err}`);
  }
}
process.exit(failures ? 1 : 0);
