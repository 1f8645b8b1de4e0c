// Maps context ids to contexts. Unlike the SDK, a root context is created for any
// root_id the proxy gives (Istio sets it to the WasmPlugin's pluginName, often empty),
// a callback for an unknown id is ignored instead of trapping, and nothing here builds
// debug strings.
import { RootContext, HttpContext } from "./context";

let rootFactory: (id: u32) => RootContext = (id: u32): RootContext => new RootContext(id);

const roots = new Map<u32, RootContext>();
// The context the proxy's current callback is for (set by the lookups every callback
// makes), so that code switching the effective context can switch back.
let current: u32 = 0;

/** The id of the context the current callback was called for. */
export function currentContextId(): u32 {
  return current;
}
const streams = new Map<u32, HttpContext>();

/** Installs the factory that makes the filter's root context. */
export function setRootContextFactory(factory: (id: u32) => RootContext): void {
  rootFactory = factory;
}

export function createContext(id: u32, rootId: u32): void {
  if (rootId == 0) {
    if (!roots.has(id)) roots.set(id, rootFactory(id));
    return;
  }
  if (streams.has(id)) return;
  if (!roots.has(rootId)) roots.set(rootId, rootFactory(rootId));
  const root = roots.get(rootId);
  streams.set(id, root.newHttpContext(id));
}

export function rootOf(id: u32): RootContext | null {
  current = id;
  return roots.has(id) ? roots.get(id) : null;
}

export function streamOf(id: u32): HttpContext | null {
  current = id;
  return streams.has(id) ? streams.get(id) : null;
}

export function deleteContext(id: u32): void {
  if (streams.has(id)) {
    streams.get(id).onDelete();
    streams.delete(id);
  } else if (roots.has(id)) {
    roots.get(id).onDelete();
    roots.delete(id);
  }
}
