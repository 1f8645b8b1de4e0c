// Reads TokenRateLimitPolicy manifests from YAML (or JSON) text. A file may hold a whole
// custom resource, several documents separated by `---`, a `kind: List` (what
// `kubectl get -o yaml` prints), or just a spec. Documents of other kinds (a Gateway,
// an HTTPRoute) are skipped, so a policy can be rendered from the file it ships in.
import { type Document, LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import { type Path, type PolicyError, describe, formatPath, isMapping, looksLike } from "./errors.ts";
import { type PluginConfig, toPluginConfig, validateSpec } from "./spec.ts";

export const POLICY_KIND = "TokenRateLimitPolicy";
export const API_VERSIONS = ["kuadrant.io/v1alpha1", "kuadrant.io/v1"];

/** A valid policy found in the text. */
export interface Policy {
  /** metadata.name / metadata.namespace, when the document is a custom resource. */
  name?: string;
  namespace?: string;
  /** spec.targetRef as written (validated), when present. */
  targetRef?: { group?: string; kind: string; name: string; sectionName?: string };
  /** What the filter receives: the spec without targetRef (see toPluginConfig). */
  config: PluginConfig;
}

/** A problem located in the text. Lines and columns are 1-based. */
export interface Problem {
  line?: number;
  col?: number;
  /** The YAML path, e.g. `spec.limits.free.rates[0].window`; empty for the whole file. */
  path: string;
  message: string;
}

export interface LoadResult {
  policies: Policy[];
  problems: Problem[];
}

/**
 * Finds every TokenRateLimitPolicy in `text` and checks it. Valid policies are returned
 * with their plugin configuration; every problem (YAML syntax, kind, apiVersion, spec
 * shape) is returned with its line and column. Text without any policy is a problem.
 * Never throws.
 */
export function loadPolicies(text: string): LoadResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const result: LoadResult = { policies: [], problems: [] };
  const skipped: string[] = [];
  const at = (offset: number) => lineCounter.linePos(offset);

  for (const doc of Array.isArray(docs) ? docs : []) {
    if (doc.errors.length > 0) {
      for (const e of doc.errors) result.problems.push({ ...at(e.pos[0]), path: "", message: `invalid YAML: ${e.message}` });
      continue;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (e) {
      // e.g. more alias expansions than yaml's limit (a "billion laughs" document)
      result.problems.push({ ...at(doc.range[0]), path: "", message: `invalid YAML: ${(e as Error).message}` });
      continue;
    }
    const errors: PolicyError[] = [];
    collect(value, [], result.policies, errors, skipped);
    for (const e of errors) {
      const offset = offsetOf(doc, e.path);
      result.problems.push({ ...(offset === undefined ? {} : at(offset)), path: formatPath(e.path), message: e.message });
    }
  }
  if (result.policies.length === 0 && result.problems.length === 0) {
    const others = skipped.length > 0 ? ` (found ${skipped.join(", ")})` : "";
    result.problems.push({ path: "", message: `no ${POLICY_KIND} found${others}` });
  }
  return result;
}

/** `file:line:col: path: message`, leaving out the parts a problem does not have. */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col}`;
  return p.path === "" ? `${where}: ${p.message}` : `${where}: ${p.path}: ${p.message}`;
}

/** A short name for a policy in messages: `namespace/name`, `name`, or `(unnamed)`. */
export function policyLabel(p: Policy): string {
  if (p.name === undefined) return "(unnamed)";
  return p.namespace === undefined ? p.name : `${p.namespace}/${p.name}`;
}

function collect(value: unknown, at: Path, out: Policy[], errors: PolicyError[], skipped: string[]): void {
  if (value === null || value === undefined) return; // an empty document, e.g. after a trailing `---`
  if (!isMapping(value)) {
    errors.push({ path: at, message: `expected a ${POLICY_KIND} or its spec, got ${describe(value)}` });
    return;
  }
  const { kind, apiVersion } = value;
  if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(value.items)) {
    value.items.forEach((item, i) => collect(item, [...at, "items", i], out, errors, skipped));
    return;
  }
  const typed = kind !== undefined || apiVersion !== undefined;
  // Other kinds are skipped, but not a misspelt policy kind, nor a Kuadrant document without one.
  const policyLike = kind === undefined
    ? typeof apiVersion === "string" && apiVersion.startsWith("kuadrant.io/")
    : typeof kind === "string" && looksLike(kind, POLICY_KIND);
  if (typed && !policyLike) {
    skipped.push(typeof kind === "string" ? kind : "a document without kind");
    return;
  }
  if (!typed && !("spec" in value)) {
    // Just a spec: the document is what the filter receives, plus an optional targetRef.
    const found = validateSpec(value, at);
    errors.push(...found);
    if (found.length === 0) out.push(policyOf(value, undefined));
    return;
  }
  const before = errors.length;
  if (kind !== undefined && kind !== POLICY_KIND) {
    errors.push({ path: [...at, "kind"], message: `expected ${POLICY_KIND}, got ${describe(kind)}` });
  }
  if (apiVersion !== undefined && !API_VERSIONS.includes(apiVersion as string)) {
    errors.push({ path: [...at, "apiVersion"], message: `expected ${API_VERSIONS.join(" or ")}, got ${describe(apiVersion)}` });
  }
  const metadata = value.metadata;
  if (metadata !== undefined && !isMapping(metadata)) {
    errors.push({ path: [...at, "metadata"], message: `expected a mapping, got ${describe(metadata)}` });
  } else if (metadata !== undefined) {
    for (const key of ["name", "namespace"]) {
      const v = metadata[key];
      if (v !== undefined && typeof v !== "string") {
        errors.push({ path: [...at, "metadata", key], message: `expected a string, got ${describe(v)}` });
      }
    }
  }
  if (!("spec" in value)) errors.push({ path: [...at, "spec"], message: "required" });
  else errors.push(...validateSpec(value.spec, [...at, "spec"]));
  if (errors.length === before) out.push(policyOf(value.spec as Record<string, unknown>, metadata as Record<string, string> | undefined));
}

function policyOf(spec: Record<string, unknown>, metadata: Record<string, string> | undefined): Policy {
  const policy: Policy = { config: toPluginConfig(spec) };
  if (metadata?.name !== undefined) policy.name = metadata.name;
  if (metadata?.namespace !== undefined) policy.namespace = metadata.namespace;
  if (spec.targetRef !== undefined) policy.targetRef = structuredClone(spec.targetRef) as Policy["targetRef"];
  return policy;
}

/**
 * Where a path points in the source: the key of the last mapping entry on the path (the
 * line where the field is written), or the sequence item. A path that does not exist
 * (a missing field) points at its nearest existing parent.
 */
function offsetOf(doc: Document, path: Path): number | undefined {
  for (let n = path.length; n > 0; n--) {
    const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
    const last = path[n - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last));
      const range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
      if (range) return range[0];
    } else if (isSeq(parent) && typeof last === "number") {
      const range = (parent.items[last] as { range?: [number, number, number] } | undefined)?.range;
      if (range) return range[0];
    }
  }
  return doc.contents?.range?.[0];
}
