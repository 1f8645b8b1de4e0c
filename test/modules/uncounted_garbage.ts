// A stream that allocates on every request and tells the collector nothing (its
// callbacks count no work), to show that garbage nobody counted is still reclaimed
// (the backstops of assembly/filter/collector.ts).
export * from "../../assembly/filter/exports";
import { setRootContextFactory } from "../../assembly/filter/registry";
import { RootContext, HttpContext } from "../../assembly/filter/context";
import { FilterHeadersStatus } from "../../assembly/abi/status";

let kept: ArrayBuffer | null = null;

class Stream extends HttpContext {
  constructor(id: u32, root: RootContext) {
    super(id, root);
    this.callbackUnits = 0;
  }

  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 {
    // 1 KiB of garbage a request; only the last buffer stays reachable.
    kept = new ArrayBuffer(1024);
    return FilterHeadersStatus.Continue;
  }
}

class Root extends RootContext {
  newHttpContext(id: u32): HttpContext {
    return new Stream(id, this);
  }
}

setRootContextFactory((id: u32): RootContext => new Root(id));
