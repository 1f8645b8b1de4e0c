// The controller's only door to the API server, on @kubernetes/client-node: list, watch,
// create, replace (with the resourceVersion read, so a stale write gets 409), delete, and
// a JSON merge patch of the status subresource. Everything the controller touches has
// the custom-object URL shape /apis/<group>/<version>/namespaces/<ns>/<plural>, Leases
// included, so one API class serves all.
import { CustomObjectsApi, type KubeConfig, PatchStrategy, Watch, setHeaderOptions } from "@kubernetes/client-node";
import type { KubeObject } from "./types.ts";

export interface Resource {
  group: string;
  version: string;
  plural: string;
}

/** A failed request: the HTTP status (0 when no answer came) and the server's message. */
export class ApiError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface KubeClient {
  list(r: Resource, labelSelector?: string): Promise<{ items: KubeObject[]; resourceVersion: string }>;
  /**
   * Watches from `resourceVersion`. `onEvent` gets each event; `onEnd` is called once
   * when the stream ends (normally, or with the error). Returns the function that stops it.
   */
  watch(r: Resource, resourceVersion: string, labelSelector: string | undefined,
    onEvent: (type: WatchEventType, object: KubeObject) => void, onEnd: (error?: ApiError) => void): Promise<() => void>;
  get(r: Resource, namespace: string, name: string): Promise<KubeObject | undefined>;
  create(r: Resource, namespace: string, body: KubeObject): Promise<KubeObject>;
  replace(r: Resource, namespace: string, name: string, body: KubeObject): Promise<KubeObject>;
  delete(r: Resource, namespace: string, name: string): Promise<void>;
  patchStatus(r: Resource, namespace: string, name: string, status: unknown): Promise<KubeObject>;
}

/** The client for the cluster `kc` points at. `watchTimeoutSeconds`: the server ends each watch after it. */
export function kubeClient(kc: KubeConfig, watchTimeoutSeconds = 300): KubeClient {
  const api = kc.makeApiClient(CustomObjectsApi);
  const watcher = new Watch(kc);
  const call = async <T>(f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      throw asApiError(e);
    }
  };
  const base = (r: Resource, namespace: string) => ({ group: r.group, version: r.version, plural: r.plural, namespace });
  return {
    list: (r, labelSelector) => call(async () => {
      const out = await api.listClusterCustomObject({ group: r.group, version: r.version, plural: r.plural, ...(labelSelector ? { labelSelector } : {}) });
      return { items: (out.items ?? []) as KubeObject[], resourceVersion: String(out.metadata?.resourceVersion ?? "") };
    }),
    watch: async (r, resourceVersion, labelSelector, onEvent, onEnd) => {
      let ended = false;
      const end = (e?: ApiError) => {
        if (!ended) {
          ended = true;
          onEnd(e);
        }
      };
      const controller = await watcher.watch(`/apis/${r.group}/${r.version}/${r.plural}`,
        { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds, ...(labelSelector ? { labelSelector } : {}) },
        (type, object) => onEvent(type as WatchEventType, object as KubeObject),
        (err) => end(err === null || err === undefined ? undefined : asApiError(err)));
      return () => {
        ended = true;
        controller.abort();
      };
    },
    get: (r, namespace, name) => call(async () => {
      try {
        return (await api.getNamespacedCustomObject({ ...base(r, namespace), name })) as KubeObject;
      } catch (e) {
        if (asApiError(e).code === 404) return undefined;
        throw e;
      }
    }),
    create: (r, namespace, body) => call(async () => (await api.createNamespacedCustomObject({ ...base(r, namespace), body })) as KubeObject),
    replace: (r, namespace, name, body) => call(async () => (await api.replaceNamespacedCustomObject({ ...base(r, namespace), name, body })) as KubeObject),
    delete: (r, namespace, name) => call(async () => {
      await api.deleteNamespacedCustomObject({ ...base(r, namespace), name });
    }),
    patchStatus: (r, namespace, name, status) => call(async () => (await api.patchNamespacedCustomObjectStatus(
      { ...base(r, namespace), name, body: { status } },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch))) as KubeObject),
  };
}

/** The HTTP status and message of whatever the client threw. */
export function asApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const err = e as { code?: unknown; statusCode?: unknown; body?: unknown; message?: string };
  const code = typeof err.code === "number" ? err.code : typeof err.statusCode === "number" ? err.statusCode : 0;
  let message = err.message ?? String(e);
  const body = typeof err.body === "string" ? safeJson(err.body) : err.body;
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string") {
    message = (body as { message: string }).message;
  }
  return new ApiError(code, message);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
