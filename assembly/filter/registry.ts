// Maps context ids to contexts. Unlike the SDK, a root context is created for any
// root_id the proxy gives (Istio sets it to the WasmPlugin's pluginName, often empty),
// a callback for an unknown id is ignored instead of trapping, and nothing here builds
// debug strings. Every callback looks its context up once (no has-then-get), and a
// deleted stream's context goes back to its root to serve a later stream.
import { RootContext, HttpContext } from "./context";
import { ContextTable } from "./context_table";
import { noteWork } from "./collector";

let rootFactory: (id: u32) => RootContext = (id: u32): RootContext => new RootContext(id);

const roots = new ContextTable<RootContext>();
// The context the proxy's current callback is for (set by the lookups every callback
// makes), so that code switching the effective context can switch back.
let current: u32 = 0;

/** The id of the context the current callback was called for. */
export function currentContextId(): u32 {
  return current;
}
const streams = new ContextTable<HttpContext>();

/** Installs the factory that makes the filter's root context. */
export function setRootContextFactory(factory: (id: u32) => RootContext): void {
  rootFactory = factory;
}

export function createContext(id: u32, rootId: u32): void {
  if (rootId == 0) {
    if (roots.get(id) === null) roots.set(id, rootFactory(id));
    return;
  }
  if (streams.get(id) !== null) return;
  let root = roots.get(rootId);
  if (root === null) {
    root = rootFactory(rootId);
    roots.set(rootId, root);
  }
  let stream = root.takeSpareHttpContext(id);
  if (stream === null) {
    stream = root.newHttpContext(id);
    // A new context is memory the collector should know about; a reused one is not.
    noteWork(1);
  }
  streams.set(id, stream);
}

export function rootOf(id: u32): RootContext | null {
  current = id;
  return roots.get(id);
}

/** The stream context `id`, its callback counted as its context says (HttpContext.callbackUnits). */
export function streamOf(id: u32): HttpContext | null {
  current = id;
  const s = streams.get(id);
  if (s !== null) noteWork(s.callbackUnits);
  return s;
}

export function deleteContext(id: u32): void {
  const stream = streams.remove(id);
  if (stream !== null) {
    stream.onDelete();
    stream.root.keepSpareHttpContext(stream);
    return;
  }
  const root = roots.remove(id);
  if (root !== null) root.onDelete();
}
