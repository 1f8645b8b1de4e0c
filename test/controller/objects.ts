// Cluster objects for the controller's tests, with the fields the API server would set.
import type { Gateway, HTTPRoute, TokenRateLimitPolicy } from "../../src/controller/types.ts";
import type { PluginOptions } from "../../src/controller/wasmplugin.ts";

export const OPTIONS: PluginOptions = {
  url: "oci://ghcr.io/acme/tokenlimit:0.1.0",
  sha256: "0f4d1e0b8c5f0d6b3f4f2b1c9a7e6d5c4b3a29180706f5e4d3c2b1a098765432",
  imagePullSecret: "registry-credentials",
  phase: "STATS",
  failStrategy: "FAIL_CLOSE",
  attach: "targetRefs",
};

export const NOW = "2026-12-04T12:00:00Z";

export function gateway(namespace: string, name: string, annotations?: Record<string, string>): Gateway {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "Gateway",
    metadata: { name, namespace, uid: `uid-gw-${name}`, ...(annotations ? { annotations } : {}) },
    spec: { gatewayClassName: "istio", listeners: [{ name: "http" }] },
  };
}

export function route(namespace: string, name: string, spec: HTTPRoute["spec"]): HTTPRoute {
  return { apiVersion: "gateway.networking.k8s.io/v1", kind: "HTTPRoute", metadata: { name, namespace, uid: `uid-route-${name}` }, spec };
}

export function policy(namespace: string, name: string, spec: Record<string, unknown>,
  meta: { created?: string; generation?: number } = {}): TokenRateLimitPolicy {
  return {
    apiVersion: "kuadrant.io/v1alpha1",
    kind: "TokenRateLimitPolicy",
    metadata: {
      name, namespace, uid: `uid-${name}`, generation: meta.generation ?? 1,
      creationTimestamp: meta.created ?? "2026-12-01T00:00:00Z",
    },
    spec,
  };
}

export const onGateway = (name: string) => ({ group: "gateway.networking.k8s.io", kind: "Gateway", name });
export const onRoute = (name: string, sectionName?: string) =>
  ({ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name, ...(sectionName ? { sectionName } : {}) });

/** A limit of `limit` tokens a day per user. */
export function daily(limit: number, when?: string): Record<string, unknown> {
  return {
    rates: [{ limit, window: "24h" }],
    ...(when ? { when: [{ predicate: when }] } : {}),
    counters: [{ expression: "auth.identity.userid" }],
  };
}
