// Provider presets: where each API reports usage, in a plain JSON body and in its event
// stream, and which strings are generated text. Chosen by name or recognised from the
// request path; custom paths cover anything else.

import { UsagePaths } from "./paths";

/** Usage paths for one API: one set for JSON bodies, one for event-stream data. */
export class Preset {
  name: string;
  json: UsagePaths;
  sse: UsagePaths;
  /** The "field=path" lines the two sets were compiled from. */
  jsonSpecs: string[];
  sseSpecs: string[];

  constructor(name: string, json: UsagePaths, sse: UsagePaths, jsonSpecs: string[], sseSpecs: string[]) {
    this.name = name;
    this.json = json;
    this.sse = sse;
    this.jsonSpecs = jsonSpecs;
    this.sseSpecs = sseSpecs;
  }
}

/** A preset, or why it could not be built. */
export class PresetBuild {
  preset: Preset | null = null;
  error: string = "";
}

/**
 * Compiles a preset from "field=path" lines (fields as in `fieldByName`, paths dotted or
 * JSON pointers), for JSON bodies and for event-stream data. Allocates (configuration time).
 */
export function buildPreset(name: string, jsonSpecs: string[], sseSpecs: string[]): PresetBuild {
  const r = new PresetBuild();
  const json = new UsagePaths();
  let err = addSpecs(json, jsonSpecs);
  if (err.length == 0) {
    const sse = new UsagePaths();
    err = addSpecs(sse, sseSpecs);
    if (err.length == 0) r.preset = new Preset(name, json, sse, jsonSpecs, sseSpecs);
  }
  r.error = err;
  return r;
}

function failed(error: string): PresetBuild {
  const b = new PresetBuild();
  b.error = error;
  return b;
}

/** A "custom" preset: the same "field=path" lines for JSON bodies and stream events. */
export function customPreset(specs: string[]): PresetBuild {
  return buildPreset("custom", specs, specs);
}

/**
 * `base` with the fields named in `overrides` ("field=path" lines) read from those paths
 * instead of the preset's (in JSON bodies and stream events alike); the other fields keep
 * the preset's paths.
 */
export function presetWithOverrides(base: Preset, overrides: string[]): PresetBuild {
  if (overrides.length == 0) {
    const r = new PresetBuild();
    r.preset = base;
    return r;
  }
  return buildPreset(base.name, withOverrides(base.jsonSpecs, overrides), withOverrides(base.sseSpecs, overrides));
}

function specField(line: string): string {
  const eq = line.indexOf("=");
  return eq < 0 ? line : line.substring(0, eq);
}

function withOverrides(specs: string[], overrides: string[]): string[] {
  const out = new Array<string>(0);
  for (let i = 0; i < specs.length; i++) {
    const line = unchecked(specs[i]);
    const field = specField(line);
    let overridden = false;
    for (let j = 0; j < overrides.length; j++) {
      if (specField(unchecked(overrides[j])) == field) { overridden = true; break; }
    }
    if (!overridden) out.push(line);
  }
  for (let j = 0; j < overrides.length; j++) out.push(unchecked(overrides[j]));
  return out;
}

// "field=path" lines; built-in specs are checked by the unit tests.
const OPENAI_USAGE: string[] = [
  "input=usage.prompt_tokens",
  "output=usage.completion_tokens",
  "total=usage.total_tokens",
  "cached=usage.prompt_tokens_details.cached_tokens",
  "reasoning=usage.completion_tokens_details.reasoning_tokens",
];
const OPENAI_JSON_TEXT: string[] = [
  "text=choices.*.message.content",
  "text=choices.*.message.reasoning_content",
  "text=choices.*.message.tool_calls.*.function.arguments",
  "text=choices.*.text",
];
const OPENAI_SSE_TEXT: string[] = [
  "text=choices.*.delta.content",
  "text=choices.*.delta.reasoning_content",
  "text=choices.*.delta.tool_calls.*.function.arguments",
  "text=choices.*.text",
];
const RESPONSES_JSON: string[] = [
  "input=usage.input_tokens",
  "output=usage.output_tokens",
  "total=usage.total_tokens",
  "cached=usage.input_tokens_details.cached_tokens",
  "reasoning=usage.output_tokens_details.reasoning_tokens",
  "text=output.*.content.*.text",
  "text=output.*.arguments",
];
// Streaming: usage arrives in response.completed (or .incomplete / .failed) as
// response.usage; earlier events carry "usage": null. Text arrives in *.delta events.
const RESPONSES_SSE: string[] = [
  "input=response.usage.input_tokens",
  "output=response.usage.output_tokens",
  "total=response.usage.total_tokens",
  "cached=response.usage.input_tokens_details.cached_tokens",
  "reasoning=response.usage.output_tokens_details.reasoning_tokens",
  "text=delta",
];
const ANTHROPIC_JSON: string[] = [
  "input=usage.input_tokens",
  "output=usage.output_tokens",
  "cached=usage.cache_read_input_tokens",
  "cacheWrite=usage.cache_creation_input_tokens",
  "text=content.*.text",
  "text=content.*.thinking",
];
// Streaming: message_start carries message.usage (input; its output_tokens is a
// placeholder, usually 1, and is not read, so that a stream cut before message_delta
// reports no output and the caller falls back to the text estimate); message_delta
// carries usage with cumulative counts, so the last one wins.
const ANTHROPIC_SSE: string[] = [
  "input=message.usage.input_tokens",
  "cached=message.usage.cache_read_input_tokens",
  "cacheWrite=message.usage.cache_creation_input_tokens",
  "input=usage.input_tokens",
  "output=usage.output_tokens",
  "cached=usage.cache_read_input_tokens",
  "cacheWrite=usage.cache_creation_input_tokens",
  "text=delta.text",
  "text=delta.thinking",
  "text=delta.partial_json",
];
// Every chunk carries usageMetadata (cumulative); `*.` covers the JSON-array form of
// streamGenerateContent without alt=sse, where the last chunk wins.
const GEMINI: string[] = [
  "input=usageMetadata.promptTokenCount",
  "output=usageMetadata.candidatesTokenCount",
  "total=usageMetadata.totalTokenCount",
  "cached=usageMetadata.cachedContentTokenCount",
  "reasoning=usageMetadata.thoughtsTokenCount",
  "text=candidates.*.content.parts.*.text",
  "input=*.usageMetadata.promptTokenCount",
  "output=*.usageMetadata.candidatesTokenCount",
  "total=*.usageMetadata.totalTokenCount",
  "cached=*.usageMetadata.cachedContentTokenCount",
  "reasoning=*.usageMetadata.thoughtsTokenCount",
  "text=*.candidates.*.content.parts.*.text",
];
// Ollama's native API (/api/chat, /api/generate): the final object (or NDJSON line) has
// prompt_eval_count and eval_count.
const OLLAMA: string[] = [
  "input=prompt_eval_count",
  "output=eval_count",
  "text=message.content",
  "text=response",
];

/**
 * Compiles "field=path" lines into `paths`. Returns "" or the first error, naming the
 * line. Allocates (configuration time).
 */
export function addSpecs(paths: UsagePaths, specs: string[]): string {
  for (let i = 0; i < specs.length; i++) {
    const line = unchecked(specs[i]);
    const eq = line.indexOf("=");
    if (eq <= 0) return "expected field=path in '" + line + "'";
    const err = paths.add(line.substring(0, eq), line.substring(eq + 1));
    if (err.length > 0) return err + " (in '" + line + "')";
  }
  return "";
}

function concat(a: string[], b: string[] = [], c: string[] = [], d: string[] = [], e: string[] = []): string[] {
  return a.concat(b).concat(c).concat(d).concat(e);
}

// Built-in specs are valid (the unit tests check every preset); if one were not, the
// preset would read nothing rather than trap.
function builtIn(name: string, jsonSpecs: string[], sseSpecs: string[]): Preset {
  const b = buildPreset(name, jsonSpecs, sseSpecs);
  const p = b.preset;
  if (p != null) return p;
  return new Preset(name, new UsagePaths(), new UsagePaths(), [], []);
}

let openaiPreset: Preset | null = null;
let responsesPreset: Preset | null = null;
let anthropicPreset: Preset | null = null;
let geminiPreset: Preset | null = null;
let ollamaPreset: Preset | null = null;
let anyPreset: Preset | null = null;

function openai(): Preset {
  let p = openaiPreset;
  if (p == null) {
    p = builtIn("openai", concat(OPENAI_USAGE, OPENAI_JSON_TEXT), concat(OPENAI_USAGE, OPENAI_SSE_TEXT));
    openaiPreset = p;
  }
  return p;
}

function responses(): Preset {
  let p = responsesPreset;
  if (p == null) {
    p = builtIn("openai-responses", RESPONSES_JSON, RESPONSES_SSE);
    responsesPreset = p;
  }
  return p;
}

function anthropic(): Preset {
  let p = anthropicPreset;
  if (p == null) {
    p = builtIn("anthropic", ANTHROPIC_JSON, ANTHROPIC_SSE);
    anthropicPreset = p;
  }
  return p;
}

function gemini(): Preset {
  let p = geminiPreset;
  if (p == null) {
    p = builtIn("gemini", GEMINI, GEMINI);
    geminiPreset = p;
  }
  return p;
}

function ollama(): Preset {
  let p = ollamaPreset;
  if (p == null) {
    p = builtIn("ollama", OLLAMA, OLLAMA);
    ollamaPreset = p;
  }
  return p;
}

// Every provider's paths at once, for paths no preset recognises. They do not collide:
// a body only ever matches its own provider's paths.
function any(): Preset {
  let p = anyPreset;
  if (p == null) {
    p = builtIn("any",
      concat(OPENAI_USAGE, OPENAI_JSON_TEXT, RESPONSES_JSON, ANTHROPIC_JSON, concat(GEMINI, OLLAMA)),
      concat(OPENAI_USAGE, OPENAI_SSE_TEXT, RESPONSES_SSE, ANTHROPIC_SSE, GEMINI));
    anyPreset = p;
  }
  return p;
}

/** Names `presetByName` knows (and "auto", which `presetFor` resolves by path). */
export const PRESET_NAMES: string[] = ["openai", "openai-responses", "anthropic", "gemini", "ollama", "any"];

/**
 * The preset called `name` ("openai" also covers OpenAI-compatible servers such as vLLM,
 * Ollama's /v1 API and llm-d), or null. Presets are built once and shared.
 */
export function presetByName(name: string): Preset | null {
  if (name == "openai") return openai();
  if (name == "openai-responses") return responses();
  if (name == "anthropic") return anthropic();
  if (name == "gemini") return gemini();
  if (name == "ollama") return ollama();
  if (name == "any") return any();
  return null;
}

/**
 * The preset for a request path (query string ignored):
 *   .../chat/completions, .../completions, .../embeddings          -> openai
 *   .../responses, .../responses/{id}                               -> openai-responses
 *   .../messages                                                    -> anthropic
 *   ...:generateContent, ...:streamGenerateContent                  -> gemini
 *   /api/chat, /api/generate, /api/embed, /api/embeddings           -> ollama
 *   anything else                                                   -> any
 */
export function presetForPath(path: string): Preset {
  let p = path;
  const q = p.indexOf("?");
  if (q >= 0) p = p.substring(0, q);
  while (p.length > 1 && p.endsWith("/")) p = p.substring(0, p.length - 1);
  if (p.endsWith(":generateContent") || p.endsWith(":streamGenerateContent")) return gemini();
  if (p.endsWith("/chat/completions") || p.endsWith("/completions") || p.endsWith("/embeddings")) {
    return p == "/api/embeddings" ? ollama() : openai();
  }
  if (p.endsWith("/responses") || p.lastIndexOf("/responses/") >= 0) return responses();
  if (p.endsWith("/messages")) return anthropic();
  if (p == "/api/chat" || p == "/api/generate" || p == "/api/embed") return ollama();
  return any();
}

/**
 * Resolves a configured preset name against a request path: "auto" (or "") picks by
 * path (`presetForPath`), any other name as `presetByName` (null if unknown).
 */
export function presetFor(name: string, path: string): Preset | null {
  if (name == "auto" || name.length == 0) return presetForPath(path);
  return presetByName(name);
}

/**
 * Picks the preset for each request from configuration, built once at configure time:
 * `provider` is "auto" (by request path), a preset name, or "custom" (only `overrides`);
 * `overrides` are "field=path" lines replacing the preset's paths for those fields.
 * Check `error` after constructing. `forPath` allocates only the first time it meets
 * each preset.
 */
export class PresetResolver {
  error: string = "";
  private provider: string;
  private overrides: string[];
  private fixed: Preset | null = null;
  private cache: Map<string, Preset> = new Map<string, Preset>();

  constructor(provider: string, overrides: string[] = []) {
    this.provider = provider;
    this.overrides = overrides;
    let b: PresetBuild;
    if (provider == "custom") {
      b = overrides.length == 0 ? failed("provider \"custom\" needs at least one path") : customPreset(overrides);
    } else if (provider == "auto" || provider.length == 0) {
      // Checked once here so that errors surface at configure time; built per preset later.
      b = presetWithOverrides(any(), overrides);
      b.preset = null;
    } else {
      const base = presetByName(provider);
      b = base == null ? failed("unknown usage provider '" + provider + "'") : presetWithOverrides(base, overrides);
    }
    this.fixed = b.preset;
    this.error = b.error;
  }

  /** The preset for a request path (never null; the "any" preset if construction failed). */
  forPath(path: string): Preset {
    const f = this.fixed;
    if (f != null) return f;
    const base = presetForPath(path);
    if (this.error.length > 0 || this.overrides.length == 0) return this.error.length > 0 ? any() : base;
    if (this.cache.has(base.name)) return this.cache.get(base.name);
    const b = presetWithOverrides(base, this.overrides);
    const p = b.preset;
    const out = p != null ? p : base;
    this.cache.set(base.name, out);
    return out;
  }
}
