// The resource types the stand-in serves, and the discovery documents that describe them.

export interface ResourceType {
  group: string; // "" for the core group
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  /** Whether the type has a status subresource (then the main resource ignores status). */
  status: boolean;
  shortNames?: string[];
}

export const RESOURCES: ResourceType[] = [
  { group: "kuadrant.io", version: "v1alpha1", plural: "tokenratelimitpolicies", singular: "tokenratelimitpolicy", kind: "TokenRateLimitPolicy", namespaced: true, status: true, shortNames: ["trlp"] },
  { group: "gateway.networking.k8s.io", version: "v1", plural: "gateways", singular: "gateway", kind: "Gateway", namespaced: true, status: true, shortNames: ["gtw"] },
  { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", singular: "httproute", kind: "HTTPRoute", namespaced: true, status: true },
  { group: "extensions.istio.io", version: "v1alpha1", plural: "wasmplugins", singular: "wasmplugin", kind: "WasmPlugin", namespaced: true, status: true },
  { group: "coordination.k8s.io", version: "v1", plural: "leases", singular: "lease", kind: "Lease", namespaced: true, status: false },
  { group: "limitador.kuadrant.io", version: "v1alpha1", plural: "limitadors", singular: "limitador", kind: "Limitador", namespaced: true, status: true },
];

export function apiVersionOf(t: ResourceType): string {
  return t.group === "" ? t.version : `${t.group}/${t.version}`;
}

/** GET /apis: the groups, one version each. */
export function groupList(types: ResourceType[]): unknown {
  const groups = [...new Set(types.filter((t) => t.group !== "").map((t) => t.group))];
  return {
    kind: "APIGroupList",
    apiVersion: "v1",
    groups: groups.map((name) => {
      const version = types.find((t) => t.group === name)!.version;
      const gv = { groupVersion: `${name}/${version}`, version };
      return { name, versions: [gv], preferredVersion: gv };
    }),
  };
}

/** GET /apis/<group>/<version> (or /api/v1): the resources of one group version. */
export function resourceList(types: ResourceType[], group: string, version: string): unknown {
  const verbs = ["create", "delete", "get", "list", "patch", "update", "watch"];
  const resources: unknown[] = [];
  for (const t of types.filter((t) => t.group === group && t.version === version)) {
    resources.push({
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs,
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
    });
    if (t.status) resources.push({ name: `${t.plural}/status`, singularName: "", namespaced: t.namespaced, kind: t.kind, verbs: ["get", "patch", "update"] });
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: group === "" ? version : `${group}/${version}`, resources };
}
