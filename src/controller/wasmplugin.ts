// The Istio WasmPlugin the controller keeps for one Gateway: where the module is, how it
// attaches to the gateway's pods, and the compiled configuration of every policy there.
import { GATEWAY_NAME_LABEL, PLUGIN_NAME } from "../policy/render.ts";
import {
  GATEWAY_API_GROUP, type Gateway, type OwnerReference, POLICY_API_VERSION, POLICY_KIND,
  type TokenRateLimitPolicy, WASMPLUGIN_GROUP, WASMPLUGIN_VERSION, type WasmPlugin,
} from "./types.ts";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "tokenlimit-controller";
/** On a Gateway: attach with this selector (`key=value,...`) instead of targetRefs. */
export const SELECTOR_ANNOTATION = "tokenlimit.io/workload-selector";
/** On a WasmPlugin: the policies it was compiled from, `namespace/name` comma-separated. */
export const POLICIES_ANNOTATION = "tokenlimit.io/policies";

export interface PluginOptions {
  /** The module: oci://, https:// or file:// */
  url: string;
  sha256?: string;
  imagePullSecret?: string;
  imagePullPolicy?: "IfNotPresent" | "Always";
  phase: "AUTHN" | "AUTHZ" | "STATS" | "UNSPECIFIED_PHASE";
  failStrategy: "FAIL_CLOSE" | "FAIL_OPEN";
  /**
   * How a WasmPlugin finds the gateway's pods: `targetRefs` (Istio 1.22+, Gateway API
   * gateways) or `selector` (the label Istio puts on a Gateway's pods). A Gateway with the
   * tokenlimit.io/workload-selector annotation is always selected by those labels (a
   * classic ingress gateway such as `istio=ingressgateway`).
   */
  attach: "targetRefs" | "selector";
}

export function pluginName(gateway: string): string {
  return `${PLUGIN_NAME}-${gateway}`;
}

/** The WasmPlugin for `gateway`. Pure. */
export function wasmPluginFor(gateway: Gateway, config: Record<string, unknown>, policies: TokenRateLimitPolicy[], options: PluginOptions): WasmPlugin {
  const ns = gateway.metadata.namespace ?? "";
  const owners: OwnerReference[] = policies
    .filter((p) => p.metadata.namespace === ns && p.metadata.uid !== undefined)
    .map((p) => ({ apiVersion: POLICY_API_VERSION, kind: POLICY_KIND, name: p.metadata.name, uid: p.metadata.uid as string }));
  const selector = gateway.metadata.annotations?.[SELECTOR_ANNOTATION];
  const attach = selector !== undefined
    ? { selector: { matchLabels: parseLabels(selector) } }
    : options.attach === "targetRefs"
      ? { targetRefs: [{ group: GATEWAY_API_GROUP, kind: "Gateway", name: gateway.metadata.name }] }
      : { selector: { matchLabels: { [GATEWAY_NAME_LABEL]: gateway.metadata.name } } };
  return {
    apiVersion: `${WASMPLUGIN_GROUP}/${WASMPLUGIN_VERSION}`,
    kind: "WasmPlugin",
    metadata: {
      name: pluginName(gateway.metadata.name),
      namespace: ns,
      labels: { "app.kubernetes.io/name": PLUGIN_NAME, [MANAGED_BY_LABEL]: MANAGED_BY },
      annotations: { [POLICIES_ANNOTATION]: policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`).join(",") },
      ...(owners.length === 0 ? {} : { ownerReferences: owners }),
    },
    spec: {
      ...attach,
      url: options.url,
      ...(options.sha256 === undefined ? {} : { sha256: options.sha256 }),
      ...(options.imagePullPolicy === undefined ? {} : { imagePullPolicy: options.imagePullPolicy }),
      ...(options.imagePullSecret === undefined ? {} : { imagePullSecret: options.imagePullSecret }),
      pluginName: PLUGIN_NAME,
      phase: options.phase,
      failStrategy: options.failStrategy,
      pluginConfig: config,
    },
  };
}

/** `a=b,c=d` as labels; malformed entries are skipped. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(",")) {
    const i = part.indexOf("=");
    if (i > 0) out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
  }
  return out;
}
