// `usage`: how token usage is read from responses. A provider preset knows where each
// API reports usage; `paths` overrides single fields of the preset or, with provider
// "custom", says everything. Kuadrant's `dataExtraction.response.totalTokens` maps
// onto `paths.total`.

import { Value, Kind } from "../cel/value";
import { pathKey, pathIndex } from "../json/path";
import { ConfigReader, describe, MAX_SAFE_INTEGER } from "./reader";
import { parsePath } from "../usage/paths";

export enum UsageProvider { Auto = 0, OpenAI = 1, OpenAIResponses = 2, Anthropic = 3, Gemini = 4, Custom = 5, Ollama = 6 }
/** The names as written in the configuration, indexed by UsageProvider. */
export const USAGE_PROVIDER_NAMES: Array<string> = ["auto", "openai", "openai-responses", "anthropic", "gemini", "custom", "ollama"];

/** The configuration name of `p` ("auto", "openai", ..., the usage presets' names). */
export function usageProviderName(p: UsageProvider): string {
  const i = <i32>p;
  return i >= 0 && i < USAGE_PROVIDER_NAMES.length ? unchecked(USAGE_PROVIDER_NAMES[i]) : "auto";
}

/** What to charge when a completed response reports no usage. */
export enum OnMissingUsage { Reservation = 0, Estimate = 1, Zero = 2 }
export const ON_MISSING_USAGE_NAMES: Array<string> = ["reservation", "estimate", "zero"];

/** A path into the response JSON, as written and as keys from the root. */
export class UsagePath {
  constructor(
    /** As written: `usage.total_tokens` or `/usage/total_tokens`. */
    public text: string,
    /** Object keys (or array indexes, in decimal) from the root: ["usage", "total_tokens"]. */
    public segments: Array<string>,
  ) {}
}

/** Paths per token kind; null = the provider preset's (or none for "custom"). */
export class UsagePaths {
  total: UsagePath | null = null;
  input: UsagePath | null = null;
  output: UsagePath | null = null;
  cached: UsagePath | null = null;
  reasoning: UsagePath | null = null;

  isEmpty(): bool {
    return this.total === null && this.input === null && this.output === null &&
      this.cached === null && this.reasoning === null;
  }
}

export class UsageConfig {
  provider: UsageProvider = UsageProvider.Auto;
  paths: UsagePaths = new UsagePaths();
  onMissing: OnMissingUsage = OnMissingUsage.Reservation;
  /** Charge what 5xx responses report (default: a 5xx without usage charges nothing). */
  charge5xx: bool = false;
  /** Add stream_options.include_usage to OpenAI-compatible streaming requests. */
  includeStreamUsage: bool = true;
  /**
   * Send `accept-encoding: identity` upstream so that response bodies can be read (the
   * name is kept from when the header was removed, which RFC 9110 reads as "any coding").
   */
  removeAcceptEncoding: bool = true;
  /**
   * Tokens charged for a `101` upgrade (a WebSocket or Realtime API session): its traffic
   * is not HTTP any more, so no usage can be read from it.
   */
  upgradeTokens: i64 = DEFAULT_UPGRADE_TOKENS;
  /**
   * Responses read at once per worker VM, at most. Each holds a usage reader (about 2 KB
   * of Wasm memory, which never shrinks once grown); a response beyond this is not read
   * and is charged as one without usage (`onMissing`), counted in a metric.
   */
  maxConcurrentReads: i32 = 10000;
}

/** `usage.upgradeTokens` by default: the default admission.maxReservation, the most one request reserves. */
export const DEFAULT_UPGRADE_TOKENS: i64 = 32000;

const USAGE_FIELDS: Array<string> = [
  "provider", "paths", "onMissing", "charge5xx", "includeStreamUsage", "removeAcceptEncoding", "upgradeTokens", "maxConcurrentReads",
];
const PATH_FIELDS: Array<string> = ["total", "input", "output", "cached", "reasoning"];
const PATH_HINT = "expected a dotted path like usage.total_tokens or a JSON pointer like /usage/total_tokens";

/** Reads `usage` (absent: all defaults). */
export function readUsage(r: ConfigReader, v: Value | null, path: string): UsageConfig {
  const out = new UsageConfig();
  if (v !== null) {
    const obj = r.object(v, path, USAGE_FIELDS);
    if (obj !== null) {
      out.provider = <UsageProvider>r.oneOf(obj, "provider", path, USAGE_PROVIDER_NAMES, UsageProvider.Auto);
      const paths = r.member(obj, "paths");
      if (paths !== null) readPaths(r, paths, pathKey(path, "paths"), out.paths);
      out.onMissing = <OnMissingUsage>r.oneOf(obj, "onMissing", path, ON_MISSING_USAGE_NAMES, OnMissingUsage.Reservation);
      out.charge5xx = r.boolean(obj, "charge5xx", path, out.charge5xx);
      out.includeStreamUsage = r.boolean(obj, "includeStreamUsage", path, out.includeStreamUsage);
      out.removeAcceptEncoding = r.boolean(obj, "removeAcceptEncoding", path, out.removeAcceptEncoding);
      out.upgradeTokens = r.integer(obj, "upgradeTokens", path, out.upgradeTokens, 0, MAX_SAFE_INTEGER);
      out.maxConcurrentReads = <i32>r.integer(obj, "maxConcurrentReads", path, out.maxConcurrentReads, 1, 1_000_000);
    }
  }
  return out;
}

/** After `dataExtraction` is applied: a custom provider needs at least one path. */
export function checkUsage(r: ConfigReader, usage: UsageConfig, path: string): void {
  if (usage.provider == UsageProvider.Custom && usage.paths.isEmpty()) {
    r.error(pathKey(path, "paths"), "required when usage.provider is \"custom\" (set at least one of: " + PATH_FIELDS.join(", ") + ")");
  }
}

function readPaths(r: ConfigReader, v: Value, path: string, out: UsagePaths): void {
  const obj = r.object(v, path, PATH_FIELDS);
  if (obj === null) return;
  out.total = readPath(r, obj.getString("total"), pathKey(path, "total"));
  out.input = readPath(r, obj.getString("input"), pathKey(path, "input"));
  out.output = readPath(r, obj.getString("output"), pathKey(path, "output"));
  out.cached = readPath(r, obj.getString("cached"), pathKey(path, "cached"));
  out.reasoning = readPath(r, obj.getString("reasoning"), pathKey(path, "reasoning"));
}

function readPath(r: ConfigReader, v: Value | null, path: string): UsagePath | null {
  if (v === null || v.kind == Kind.Null) return null;
  if (v.kind != Kind.String) {
    r.error(path, PATH_HINT + ", got " + describe(v));
    return null;
  }
  const parsed = parseUsagePath(v.str);
  if (parsed === null) r.error(path, PATH_HINT + ", got " + describe(v));
  return parsed;
}

/**
 * Kuadrant's `dataExtraction` ({"response": {"totalTokens": ["/usage/total_tokens"]}}):
 * its pointer becomes `paths.total`. Only one pointer is supported (Kuadrant tries a
 * list in order); `usage.paths.total` and `dataExtraction` may not both be set.
 */
export function readDataExtraction(r: ConfigReader, v: Value | null, path: string, usage: UsageConfig): void {
  if (v === null) return;
  const obj = r.object(v, path, ["response"]);
  if (obj === null) return;
  const response = r.member(obj, "response");
  if (response === null) return;
  const responsePath = pathKey(path, "response");
  const resp = r.object(response, responsePath, ["totalTokens"]);
  if (resp === null) return;
  const list = r.array(resp, "totalTokens", responsePath);
  if (list === null) return;
  const listPath = pathKey(responsePath, "totalTokens");
  if (list.length != 1) {
    r.error(listPath, "expected exactly one JSON pointer (this filter reads one path; for several, use usage.provider), got " + list.length.toString());
    return;
  }
  if (usage.paths.total !== null) {
    r.error(listPath, "conflicts with usage.paths.total (set only one)");
    return;
  }
  const item = unchecked(list[0]);
  const itemPath = pathIndex(listPath, 0);
  if (item.kind != Kind.String || !item.str.startsWith("/")) {
    r.error(itemPath, "expected a JSON pointer like /usage/total_tokens, got " + describe(item));
    return;
  }
  usage.paths.total = readPath(r, item, itemPath);
}

/**
 * Parses `usage.total_tokens` (dotted, optionally `$.`-prefixed) or `/usage/total_tokens`
 * (RFC 6901 pointer, with ~0 and ~1 escapes) by the usage scanner's own rules
 * (`parsePath`). Null when malformed; an empty key, which the scanner would accept in a
 * pointer, is refused here too, as it is nearly always a typo.
 */
export function parseUsagePath(text: string): UsagePath | null {
  const parsed = parsePath(text);
  if (parsed.error.length > 0) return null;
  const segments = parsed.segments;
  for (let i = 0; i < segments.length; i++) {
    if (unchecked(segments[i]).length == 0) return null;
  }
  return new UsagePath(text, segments);
}
