// Fails when filter code in assembly/ (outside tests and test-only entries) contains a
// way to trap on purpose: `throw`, `unreachable()` or `abort(`. Errors in the Wasm are
// values; a trap kills the VM and every request on that worker.
// Comments and string literals are ignored.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const root = process.argv[2] ?? "assembly";
const PATTERNS = [
  [/\bthrow\b/, "throw"],
  [/\bunreachable\s*\(/, "unreachable()"],
  [/(?<![\w.])abort\s*\(/, "abort("],
];

function files(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name === "__tests__" || name === "testing") continue;
      files(p, out);
    } else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Replaces comments and string contents with spaces, keeping line numbers. */
function stripCommentsAndStrings(src) {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const c = src[i], n = src[i + 1];
    if (c === "/" && n === "/") {
      while (i < src.length && src[i] !== "\n") { out += " "; i++; }
    } else if (c === "/" && n === "*") {
      while (i < src.length && !(src[i] === "*" && src[i + 1] === "/")) { out += src[i] === "\n" ? "\n" : " "; i++; }
      out += "  "; i += 2;
    } else if (c === '"' || c === "'" || c === "`") {
      out += c; i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === "\\") { out += "  "; i += 2; continue; }
        out += src[i] === "\n" ? "\n" : " "; i++;
      }
      out += c; i++;
    } else { out += c; i++; }
  }
  return out;
}

let problems = 0;
for (const file of files(root)) {
  const lines = stripCommentsAndStrings(readFileSync(file, "utf8")).split("\n");
  lines.forEach((line, idx) => {
    for (const [re, what] of PATTERNS) {
      if (re.test(line)) {
        problems++;
        console.error(`${file}:${idx + 1}: ${what} in filter code (return an error value instead)`);
      }
    }
  });
}
if (problems) {
  console.error(`check-traps: ${problems} trap path(s) found`);
  process.exit(1);
}
console.log("check-traps: no trap paths in assembly/");
