// The Kubernetes objects the controller reads and writes, typed only as far as it uses
// them. Everything arrives as JSON from the API server; nothing here is trusted to be
// well-formed beyond `metadata`, which the API server guarantees.

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

/** A `metav1.Condition`. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface PolicyStatus {
  observedGeneration?: number;
  conditions: Condition[];
}

export interface TargetRef {
  group?: string;
  kind: string;
  name: string;
  sectionName?: string;
}

export interface TokenRateLimitPolicy extends KubeObject {
  spec: Record<string, unknown> & { targetRef?: TargetRef };
  status?: PolicyStatus;
}

export interface ParentRef {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
}

export interface HTTPRouteMatch {
  path?: { type?: string; value?: string };
  headers?: { type?: string; name: string; value: string }[];
  queryParams?: { type?: string; name: string; value: string }[];
  method?: string;
}

export interface HTTPRoute extends KubeObject {
  spec: {
    parentRefs?: ParentRef[];
    hostnames?: string[];
    rules?: { name?: string; matches?: HTTPRouteMatch[] }[];
  };
}

export interface Gateway extends KubeObject {
  spec: { gatewayClassName?: string; listeners?: { name: string; hostname?: string }[] };
}

export interface WasmPlugin extends KubeObject {
  spec: Record<string, unknown>;
}

export const POLICY_GROUP = "kuadrant.io";
export const POLICY_VERSION = "v1alpha1";
export const POLICY_API_VERSION = `${POLICY_GROUP}/${POLICY_VERSION}`;
export const POLICY_KIND = "TokenRateLimitPolicy";
export const POLICY_PLURAL = "tokenratelimitpolicies";
export const GATEWAY_API_GROUP = "gateway.networking.k8s.io";
export const GATEWAY_API_VERSION = "v1";
export const WASMPLUGIN_GROUP = "extensions.istio.io";
export const WASMPLUGIN_VERSION = "v1alpha1";

/** `namespace/name`, the key of an object everywhere in the controller. */
export function keyOf(o: { metadata: ObjectMeta }): string {
  return `${o.metadata.namespace ?? ""}/${o.metadata.name}`;
}
