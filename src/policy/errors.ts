// Problems found in a policy, as values: where (a path into the YAML) and what was
// expected. The CLI turns the path into `file:line:col` with the YAML source map.

/** A path into a document: mapping keys and sequence indexes, from the document root. */
export type Path = readonly (string | number)[];

/** One problem with a policy. `path` names the offending field; `message` says what was expected. */
export interface PolicyError {
  path: Path;
  message: string;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Formats a path the way a reader would type it: `spec.limits.free.rates[0].window`.
 * Keys that are not plain identifiers are quoted: `spec.limits["gpt-4.1"]`.
 * The empty path formats as the empty string.
 */
export function formatPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else if (PLAIN_KEY.test(part)) out += out === "" ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Describes a value for an error message: `a list`, `"1w"`, `0`, `an empty value`. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return JSON.stringify(value);
  return String(value);
}

/** True for a YAML mapping turned into JS (a plain object, not a list). */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The unknown-field message: names the closest known field when the key looks like a
 * typo of one (case or up to two edits), else lists the fields that are allowed.
 */
export function unknownField(key: string, allowed: readonly string[]): string {
  const near = allowed.find((a) => a.toLowerCase() === key.toLowerCase()) ?? allowed.find((a) => looksLike(key, a));
  if (near !== undefined) return `unknown field; did you mean ${near}?`;
  return `unknown field; expected one of ${allowed.join(", ")}`;
}

/** True when `text` is probably a misspelling of `word`: same letters ignoring case, or at most two edits. */
export function looksLike(text: string, word: string): boolean {
  return text.toLowerCase() === word.toLowerCase() || editDistance(word, text) <= Math.min(2, word.length - 1);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}
