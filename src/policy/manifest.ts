// Reads TokenRateLimitPolicy manifests from YAML (or JSON) text. A file may hold a whole
// custom resource, several documents separated by `---`, a `kind: List` (what
// `kubectl get -o yaml` prints), or just a spec. Documents of other kinds (a Gateway,
// an HTTPRoute) are skipped, so a policy can be rendered from the file it ships in.
import { type Document, LineCounter, isMap, isScalar, isSeq, parseAllDocuments } from "yaml";
import { type Path, type PolicyError, describe, formatPath, isMapping, looksLike } from "./errors.ts";
import { kuadrantWarnings, targetRefErrors } from "./kuadrant.ts";
import { type PluginConfig, toPluginConfig } from "./spec.ts";

export const POLICY_KIND = "TokenRateLimitPolicy";
export const API_VERSIONS = ["kuadrant.io/v1alpha1", "kuadrant.io/v1"];

/** A policy found in the text, as far as the manifest goes: the filter checks the rest. */
export interface Policy {
  /** metadata.name / metadata.namespace, when the document is a custom resource. */
  name?: string;
  namespace?: string;
  /** spec.targetRef as written (validated), when present. */
  targetRef?: { group?: string; kind: string; name: string; sectionName?: string };
  /** What the filter receives: the spec without targetRef (see toPluginConfig). */
  config: PluginConfig;
}

/** Where a problem is: its line and column (1-based) when known, and its YAML path. */
export interface Location {
  line?: number;
  col?: number;
  /** The YAML path, e.g. `spec.limits.free.rates[0].window`; empty for the whole file. */
  path: string;
}

/** A problem located in the text. A warning does not make the policy invalid. */
export interface Problem extends Location {
  message: string;
  warning?: boolean;
}

/** One TokenRateLimitPolicy (a manifest or a bare spec) and what the manifest says about it. */
export interface PolicyDocument {
  /** How messages name it: `namespace/name`, `name`, or `(unnamed)`. */
  label: string;
  /** Present when the spec is a mapping, i.e. something the filter can be given. */
  policy?: Policy;
  /**
   * What the command checks itself (kind, apiVersion, metadata, spec, targetRef), and
   * where Kuadrant's CRD would refuse the manifest (warnings).
   */
  problems: Problem[];
  /** Where a path inside the spec (as the filter names it) is in the text. */
  locate(path: Path): Location;
}

export interface LoadResult {
  /** The policies of the documents without errors (the filter has not seen them yet). */
  policies: Policy[];
  /** Problems of the file (YAML syntax, no policy found), then every document's. */
  problems: Problem[];
  /** Every TokenRateLimitPolicy found, valid or not, in the order of the text. */
  documents: PolicyDocument[];
}

/**
 * Finds every TokenRateLimitPolicy in `text` and checks what the filter cannot: YAML
 * syntax, kind, apiVersion, metadata, spec and targetRef, and what Kuadrant's CRD would
 * refuse (as warnings). Every problem comes with its line and column. Text without any
 * policy is a problem. Never throws.
 */
export function loadPolicies(text: string): LoadResult {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  const result: LoadResult = { policies: [], problems: [], documents: [] };
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
    const locate = (path: Path): Location => {
      const offset = offsetOf(doc, path);
      return { ...(offset === undefined ? {} : at(offset)), path: formatPath(path) };
    };
    collect(value, [], { locate, skipped, documents: result.documents, errors: result.problems });
  }
  for (const d of result.documents) {
    result.problems.push(...d.problems);
    if (d.policy !== undefined && !d.problems.some((p) => !p.warning)) result.policies.push(d.policy);
  }
  if (result.documents.length === 0 && result.problems.length === 0) {
    const others = skipped.length > 0 ? ` (found ${skipped.join(", ")})` : "";
    result.problems.push({ path: "", message: `no ${POLICY_KIND} found${others}` });
  }
  return result;
}

/** `file:line:col: [warning: ]path: message`, leaving out the parts a problem does not have. */
export function formatProblem(file: string, p: Problem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col}`;
  const what = p.path === "" ? p.message : `${p.path}: ${p.message}`;
  return `${where}: ${p.warning ? "warning: " : ""}${what}`;
}

/** A short name for a policy in messages: `namespace/name`, `name`, or `(unnamed)`. */
export function policyLabel(p: Policy): string {
  return labelOf(p);
}

function labelOf(names: { name?: string; namespace?: string }): string {
  if (names.name === undefined) return "(unnamed)";
  return names.namespace === undefined ? names.name : `${names.namespace}/${names.name}`;
}

interface Collector {
  locate(path: Path): Location;
  skipped: string[];
  documents: PolicyDocument[];
  /** Problems that belong to no policy. */
  errors: Problem[];
}

function collect(value: unknown, at: Path, c: Collector): void {
  if (value === null || value === undefined) return; // an empty document, e.g. after a trailing `---`
  if (!isMapping(value)) {
    c.errors.push({ ...c.locate(at), message: `expected a ${POLICY_KIND} or its spec, got ${describe(value)}` });
    return;
  }
  const { kind, apiVersion } = value;
  if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(value.items)) {
    value.items.forEach((item, i) => collect(item, [...at, "items", i], c));
    return;
  }
  const typed = kind !== undefined || apiVersion !== undefined;
  // Other kinds are skipped, but not a misspelt policy kind, nor a Kuadrant document without one.
  const policyLike = kind === undefined
    ? typeof apiVersion === "string" && apiVersion.startsWith("kuadrant.io/")
    : typeof kind === "string" && looksLike(kind, POLICY_KIND);
  if (typed && !policyLike) {
    c.skipped.push(typeof kind === "string" ? kind : "a document without kind");
    return;
  }
  const manifest = typed || "spec" in value;
  const specAt = manifest ? [...at, "spec"] : at;
  const errors: PolicyError[] = [];
  const warnings: PolicyError[] = [];
  let metadata: Record<string, unknown> | undefined;
  if (manifest) {
    if (kind !== undefined && kind !== POLICY_KIND) {
      errors.push({ path: [...at, "kind"], message: `expected ${POLICY_KIND}, got ${describe(kind)}` });
    }
    if (apiVersion !== undefined && !API_VERSIONS.includes(apiVersion as string)) {
      errors.push({ path: [...at, "apiVersion"], message: `expected ${API_VERSIONS.join(" or ")}, got ${describe(apiVersion)}` });
    }
    if (value.metadata !== undefined && !isMapping(value.metadata)) {
      errors.push({ path: [...at, "metadata"], message: `expected a mapping, got ${describe(value.metadata)}` });
    } else if (value.metadata !== undefined) {
      metadata = value.metadata;
      for (const key of ["name", "namespace"]) {
        const v = metadata[key];
        if (v !== undefined && typeof v !== "string") {
          errors.push({ path: [...at, "metadata", key], message: `expected a string, got ${describe(v)}` });
        }
      }
    }
  }
  const spec = manifest ? value.spec : value;
  if (manifest && !("spec" in value)) errors.push({ path: specAt, message: "required" });
  else if (!isMapping(spec)) errors.push({ path: specAt, message: `expected a mapping, got ${describe(spec)}` });
  else {
    if ("targetRef" in spec) errors.push(...targetRefErrors(spec.targetRef, [...specAt, "targetRef"]));
    if (manifest) warnings.push(...kuadrantWarnings(spec, specAt));
  }

  const names = {
    name: typeof metadata?.name === "string" ? metadata.name : undefined,
    namespace: typeof metadata?.namespace === "string" ? metadata.namespace : undefined,
  };
  const problems: Problem[] = [
    ...errors.map((e) => ({ ...c.locate(e.path), message: e.message })),
    ...warnings.map((w) => ({ ...c.locate(w.path), message: w.message, warning: true })),
  ];
  const document: PolicyDocument = {
    label: labelOf(names),
    problems,
    locate: (path) => c.locate([...specAt, ...path]),
  };
  if (isMapping(spec)) document.policy = policyOf(spec, names);
  c.documents.push(document);
}

function policyOf(spec: Record<string, unknown>, names: { name?: string; namespace?: string }): Policy {
  const policy: Policy = { config: toPluginConfig(spec) };
  if (names.name !== undefined) policy.name = names.name;
  if (names.namespace !== undefined) policy.namespace = names.namespace;
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
