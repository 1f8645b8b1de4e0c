// Renders a policy for the places it can go: the filter's plugin configuration (JSON), an
// Envoy `envoy.filters.http.wasm` HTTP filter, an Istio WasmPlugin, and the limits of the
// rate-limit service that counts for it (Limitador, envoyproxy/ratelimit).
// The checked-in examples in envoy/ are exactly these renderings (a test keeps them so).
import { Document } from "yaml";
import { type Policy, policyLabel } from "./manifest.ts";
import type { PluginConfig } from "./spec.ts";
import { COUNTER_KEY_PREFIX, LIMIT_KEY, WINDOW_KEY, countersSettings } from "./descriptors.ts";
import { type EngineProblem, type EngineResult, envoyRateLimitConfig, limitadorLimits } from "./engines.ts";

/** root_id and vm_id; the filter accepts any root_id, so this is only a name. */
export const PLUGIN_NAME = "tokenlimit";
/** Where envoy/envoy.yaml and the Envoy rendering expect the module. */
export const DEFAULT_WASM_FILE = "/etc/envoy/tokenlimit.wasm";
/** The image the Istio rendering uses when no --wasm-url is given: replace it. */
export const PLACEHOLDER_WASM_URL = "oci://registry.example.com/tokenlimit:0.1.0";
/** The label Istio puts on the pods of a Gateway API gateway it deploys. */
export const GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name";

/** A rendering, or why it could not be made. */
export type Rendered = { text: string } | { error: string };

/** The plugin configuration as indented JSON, ending with a newline. */
export function renderPluginConfig(policy: Policy): string {
  return pluginConfigJson(policy.config);
}

function pluginConfigJson(config: PluginConfig): string {
  return readableJson(config, "") + "\n";
}

/**
 * JSON indented by two spaces, except that a list or object whose one-line form fits in
 * 100 columns, or that holds a single scalar, stays on one line:
 * `"rates": [{"limit": 20000, "window": "24h"}]` reads better in envoy.yaml than seven
 * lines of brackets.
 */
function readableJson(value: unknown, indent: string): string {
  const flat = oneLine(value);
  if (typeof value !== "object" || value === null || indent.length + flat.length <= 100) return flat;
  const entries = Object.entries(value);
  if (entries.length === 1 && (typeof entries[0][1] !== "object" || entries[0][1] === null)) return flat;
  const inner = indent + "  ";
  const items = Array.isArray(value)
    ? value.map((v) => inner + readableJson(v, inner))
    : entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${readableJson(v, inner)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${items.join(",\n")}\n${indent}${close}`;
}

function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(", ")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(", ")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The `envoy.filters.http.wasm` entry for `http_connection_manager.http_filters`.
 * `wasmFile` is the module's path on the Envoy host.
 */
export function envoyWasmFilter(policy: Policy, wasmFile: string = DEFAULT_WASM_FILE): Record<string, unknown> {
  return {
    name: "envoy.filters.http.wasm",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm",
      config: {
        name: PLUGIN_NAME,
        root_id: PLUGIN_NAME,
        vm_config: {
          vm_id: PLUGIN_NAME,
          runtime: "envoy.wasm.runtime.v8",
          code: { local: { filename: wasmFile } },
        },
        configuration: {
          "@type": "type.googleapis.com/google.protobuf.StringValue",
          value: pluginConfigJson(policy.config),
        },
        fail_open: false,
      },
    },
  };
}

/**
 * The Envoy filter as a one-item YAML list, ready to paste into `http_filters`.
 * `wasmUrl` may be a path or a `file://` URL: Envoy loads remote code only with a
 * sha256 and cannot pull OCI images, which is Istio's job.
 */
export function renderEnvoy(policy: Policy, wasmUrl?: string): Rendered {
  let file = DEFAULT_WASM_FILE;
  if (wasmUrl !== undefined) {
    file = wasmUrl.startsWith("file://") ? wasmUrl.slice("file://".length) : wasmUrl;
    if (!file.startsWith("/")) {
      return { error: `--wasm-url for Envoy must be an absolute path or a file:// URL, got ${JSON.stringify(wasmUrl)}` };
    }
  }
  const doc = new Document([envoyWasmFilter(policy, file)]);
  doc.commentBefore =
    ` tokenlimit for ${policyLabel(policy)}: add to http_connection_manager.http_filters,\n` +
    ` after envoy.filters.http.jwt_authn and before envoy.filters.http.router.`;
  return { text: doc.toString({ lineWidth: 0 }) };
}

/** WasmPlugin phases (extensions.istio.io/v1alpha1 PluginPhase): where in the filter chain it runs. */
export const ISTIO_PHASES = ["AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"] as const;
export type IstioPhase = (typeof ISTIO_PHASES)[number];
/** WasmPlugin failStrategy: what the proxy does when the module cannot be fetched or its VM fails. */
export const FAIL_STRATEGIES = ["FAIL_CLOSE", "FAIL_OPEN"] as const;
export type FailStrategy = (typeof FAIL_STRATEGIES)[number];

/** The group of Gateway API resources, for targetRefs. */
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";

export interface IstioOptions {
  /** The module: oci://, https://, http:// or file://. Defaults to PLACEHOLDER_WASM_URL. */
  wasmUrl?: string;
  /** Namespace of the WasmPlugin; defaults to the policy's. */
  namespace?: string;
  /** The gateway whose pods run the plugin; defaults to the policy's Gateway targetRef. */
  gateway?: string;
  /**
   * Pod labels for `selector.matchLabels` instead of a Gateway (classic ingress gateways,
   * e.g. `{ istio: "ingressgateway" }`). Excludes `gateway` and `targetRefs`.
   */
  selector?: Record<string, string>;
  /** Attach to the Gateway with `targetRefs` (Istio 1.22 and later) instead of its pods' label. */
  targetRefs?: boolean;
  /**
   * The checksum Istio verifies, 64 hex digits, `sha256:` optional. For an OCI image it is
   * the manifest digest, and the URL is pinned to it (`oci://...@sha256:...`); for an
   * http(s) or file URL it is the module's sha256. A URL already pinned must agree.
   */
  sha256?: string;
  /** The Secret (kubernetes.io/dockerconfigjson) Istio pulls the image with. */
  imagePullSecret?: string;
  /** Default FAIL_CLOSE. */
  failStrategy?: FailStrategy;
  /** Default STATS. */
  phase?: IstioPhase;
}

/** The URL's scheme in lower case, or undefined for a bare image reference. */
function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1].toLowerCase();
}

/** The module's URL (pinned when it is an image and a checksum is known) and the checksum, or why not. */
function pinnedSource(url: string, sha256: string | undefined): { url: string; sha256?: string } | { error: string } {
  let hex: string | undefined;
  if (sha256 !== undefined) {
    hex = /^(?:sha256:)?([0-9a-fA-F]{64})$/.exec(sha256)?.[1].toLowerCase();
    if (hex === undefined) return { error: `--sha256 must be 64 hex digits (sha256: optional), got ${JSON.stringify(sha256)}` };
  }
  const scheme = schemeOf(url);
  if (scheme !== undefined && scheme !== "oci") return hex === undefined ? { url } : { url, sha256: hex };
  const pinned = /@sha256:([0-9a-f]{64})$/.exec(url)?.[1];
  if (pinned !== undefined && hex !== undefined && pinned !== hex) {
    return { error: `--wasm-url is pinned to sha256:${pinned}, but the checksum given is sha256:${hex}` };
  }
  hex ??= pinned;
  if (hex === undefined) return { url };
  return { url: pinned === undefined ? `${url}@sha256:${hex}` : url, sha256: hex };
}

/** Where the plugin attaches: a label selector or targetRefs, or why it cannot be told. */
function attachment(policy: Policy, options: IstioOptions): Record<string, unknown> | { error: string } {
  const selector = options.selector;
  if (selector !== undefined && Object.keys(selector).length > 0) {
    if (options.gateway !== undefined || options.targetRefs) return { error: "--selector selects pods by label; it goes without --gateway and --target-refs" };
    return { selector: { matchLabels: { ...selector } } };
  }
  const ref = policy.targetRef;
  const gateway = options.gateway ?? (ref?.kind === "Gateway" ? ref.name : undefined);
  if (gateway === undefined) {
    const why = ref === undefined ? "the policy has no targetRef" : `the policy targets ${ref.kind} ${ref.name}`;
    return { error: `${why}; a WasmPlugin runs on a gateway: pass --gateway NAME` };
  }
  if (options.targetRefs) return { targetRefs: [{ group: GATEWAY_API_GROUP, kind: "Gateway", name: gateway }] };
  return { selector: { matchLabels: { [GATEWAY_NAME_LABEL]: gateway } } };
}

/** The WasmPlugin manifest as an object, or why it cannot be made. */
export function wasmPlugin(policy: Policy, options: IstioOptions = {}): Record<string, unknown> | { error: string } {
  const url = options.wasmUrl ?? PLACEHOLDER_WASM_URL;
  const scheme = schemeOf(url);
  if (url === "" || (scheme !== undefined && !["oci", "https", "http", "file"].includes(scheme))) {
    return { error: `--wasm-url must be an oci://, https://, http:// or file:// URL, got ${JSON.stringify(url)}` };
  }
  const source = pinnedSource(url, options.sha256);
  if ("error" in source) return source;
  const attach = attachment(policy, options);
  if ("error" in attach) return attach;
  const namespace = options.namespace ?? policy.namespace;
  return {
    apiVersion: "extensions.istio.io/v1alpha1",
    kind: "WasmPlugin",
    metadata: {
      name: policy.name ?? PLUGIN_NAME,
      ...(namespace === undefined ? {} : { namespace }),
      labels: { "app.kubernetes.io/name": PLUGIN_NAME },
    },
    spec: {
      ...attach,
      url: source.url,
      ...(source.sha256 === undefined ? {} : { sha256: source.sha256 }),
      ...(options.imagePullSecret === undefined ? {} : { imagePullSecret: options.imagePullSecret }),
      pluginName: PLUGIN_NAME,
      phase: options.phase ?? "STATS",
      failStrategy: options.failStrategy ?? "FAIL_CLOSE",
      pluginConfig: structuredClone(policy.config),
    },
  };
}

/** Where a phase puts the filter, for the comment above the manifest. */
const PHASE_PLACE: Record<IstioPhase, string> = {
  AUTHN: "before Istio's\n authentication filters (phase AUTHN), so before jwt_authn has verified the caller.",
  AUTHZ: "after Istio's\n authentication filters and before its authorization filters (phase AUTHZ).",
  STATS: "after Istio's\n authentication and authorization filters (phase STATS).",
  UNSPECIFIED_PHASE: "at the end of\n the filter chain, just before the router (phase UNSPECIFIED_PHASE).",
};

/** The WasmPlugin as YAML. */
export function renderIstio(policy: Policy, options: IstioOptions = {}): Rendered {
  const manifest = wasmPlugin(policy, options);
  if ("error" in manifest) return { error: manifest.error as string };
  const doc = new Document(manifest);
  doc.commentBefore = ` tokenlimit for ${policyLabel(policy)}: runs on the gateway's pods ${PHASE_PLACE[options.phase ?? "STATS"]}`;
  return { text: doc.toString({ lineWidth: 0 }) };
}

/** Which counters backend each engine format is for. */
const ENGINE_BACKEND = { limitador: "limitador", "envoy-ratelimit": "envoy-rls" } as const;
export type EngineFormat = keyof typeof ENGINE_BACKEND;

/** An engine's file, or the fields of the policy it cannot count. */
export type EngineRendered = { text: string } | { problems: EngineProblem[] };

/**
 * Whether the policy's counters backend calls the engine a format is for: a problem at
 * `counters.backend` when it calls the other engine (the descriptors differ), a warning
 * when it counts locally.
 */
export function engineBackendCheck(policy: Policy, format: EngineFormat): { problem: EngineProblem } | { warning: string } | undefined {
  const { backend } = countersSettings(policy.config);
  const wanted = ENGINE_BACKEND[format];
  if (backend === wanted) return undefined;
  if (backend === "local") {
    return { warning: `warning: counters.backend is "local": the filter counts in the proxy and calls no service; set it to "${wanted}" for these limits to count` };
  }
  return { problem: { path: ["counters", "backend"], message: `--format ${format} is for counters.backend "${wanted}", not ${JSON.stringify(backend)}` } };
}

function engineText(result: EngineResult<unknown>, comment: string): EngineRendered {
  if ("errors" in result) return { problems: result.errors };
  const doc = new Document(result.value);
  doc.commentBefore = comment;
  return { text: doc.toString({ lineWidth: 0 }) };
}

/** Limitador's limits file (a YAML list of limits) for the policy: see engines.ts. */
export function renderLimitador(policy: Policy): EngineRendered {
  const { domain } = countersSettings(policy.config);
  return engineText(limitadorLimits(policy.config),
    ` Limitador limits for ${policyLabel(policy)}, namespace ${JSON.stringify(domain)}: one limit per rate.\n` +
    ` The filter sends one descriptor per limit: ${LIMIT_KEY}, then ${COUNTER_KEY_PREFIX}<i>.`);
}

/** envoyproxy/ratelimit's configuration (domain and descriptor tree) for the policy: see engines.ts. */
export function renderEnvoyRateLimit(policy: Policy): EngineRendered {
  return engineText(envoyRateLimitConfig(policy.config),
    ` envoyproxy/ratelimit configuration for ${policyLabel(policy)}: one descriptor per rate,\n` +
    ` ${LIMIT_KEY}, then ${WINDOW_KEY} (seconds), then ${COUNTER_KEY_PREFIX}<i>.`);
}
