// Checks a file of policies in one pass: what the manifest says (manifest.ts: YAML, kind,
// apiVersion, metadata, targetRef, Kuadrant's CRD) and what the filter says about each
// spec (filter-check.ts), every problem located at its line and column in the file.
import { filterFindings, checkWithFilter } from "./filter-check.ts";
import type { Path } from "./errors.ts";
import { type Location, type Policy, type Problem, formatProblem, loadPolicies } from "./manifest.ts";

/** The compiled filter, and how messages name it. */
export interface FilterModule {
  bytes: Uint8Array;
  name: string;
}

/** One policy of the file and its problems, in the order of the text. */
export interface PolicyReport {
  label: string;
  /** Present when the filter could be given the spec (it may still have refused it). */
  policy?: Policy;
  problems: Problem[];
  /** Where a path of the spec (as the filter names it) is in the text. */
  locate: (path: Path) => Location;
}

export interface CheckResult {
  /** Problems that belong to no policy: YAML syntax, no policy found, a document that is not one. */
  problems: Problem[];
  policies: PolicyReport[];
}

/**
 * Checks every policy in `text`: the manifest, then its spec, which `filter` is configured
 * with as Envoy would. Never throws: a filter that cannot be loaded or traps is a problem
 * of each policy.
 */
export async function checkPolicies(text: string, filter: FilterModule): Promise<CheckResult> {
  const loaded = loadPolicies(text);
  const own = new Set(loaded.documents.flatMap((d) => d.problems));
  const result: CheckResult = { problems: loaded.problems.filter((p) => !own.has(p)), policies: [] };
  for (const document of loaded.documents) {
    const problems = [...document.problems];
    const policy = document.policy;
    if (policy !== undefined) {
      const verdict = await checkWithFilter(filter.bytes, JSON.stringify(policy.config));
      const findings = filterFindings(verdict.logs);
      for (const f of findings) {
        problems.push({
          ...(f.path === undefined ? { path: "" } : document.locate(f.path)),
          message: f.path === undefined ? `${filter.name}: ${f.message}` : f.message,
          ...(f.warning ? { warning: true } : {}),
        });
      }
      if (verdict.failure !== undefined) problems.push({ path: "", message: `${filter.name}: ${verdict.failure}` });
      else if (!verdict.accepted && findings.every((f) => f.warning)) {
        problems.push({ path: "", message: `${filter.name}: configuration rejected` });
      }
    }
    result.policies.push({ label: document.label, ...(policy === undefined ? {} : { policy }), problems: tidy(problems), locate: document.locate });
  }
  return result;
}

/** True when nothing but warnings was found. */
export function isValid(result: CheckResult): boolean {
  return [...result.problems, ...result.policies.flatMap((p) => p.problems)].every((p) => p.warning);
}

/** `problems` of one policy, located in the text, as `formatReport` writes them. */
export function formatPolicyProblems(file: string, policy: PolicyReport, problems: { path: Path; message: string }[]): string[] {
  return formatReport(file, { problems: [], policies: [{ ...policy, problems: problems.map((p) => ({ ...policy.locate(p.path), message: p.message })) }] });
}

/**
 * The report as lines: problems of the file as `file:line:col: message`, then for each
 * policy with problems `file: policy <label>:` and one indented `line:col: path: message`
 * line per problem, so that a long file name is not repeated on every line.
 */
export function formatReport(file: string, result: CheckResult): string[] {
  const lines = result.problems.map((p) => formatProblem(file, p));
  for (const policy of result.policies) {
    if (policy.problems.length === 0) continue;
    lines.push(`${file}: policy ${policy.label}:`);
    for (const p of policy.problems) {
      const where = p.line === undefined ? "" : `${p.line}:${p.col}: `;
      const what = p.path === "" ? p.message : `${p.path}: ${p.message}`;
      lines.push(`  ${where}${p.warning ? "warning: " : ""}${what}`);
    }
  }
  return lines;
}

/**
 * In the order of the text (problems without a place first), without warnings about a
 * field that is in error: Kuadrant's opinion of a window the filter refuses is noise.
 */
function tidy(problems: Problem[]): Problem[] {
  const errors = problems.filter((p) => !p.warning).map((p) => p.path);
  const under = (path: string, parent: string) =>
    path === parent || path.startsWith(parent + ".") || path.startsWith(parent + "[");
  return problems
    .filter((p) => !p.warning || !errors.some((e) => e !== "" && under(p.path, e)))
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.col ?? 0) - (b.p.col ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}
