// A small filter built like the real one (assembly/abi wrappers, assembly/filter dispatch):
// denies "/deny" with a local 429, tags allowed requests and responses, counts requests,
// reads the response body through the host, logs the path at access-log time. It shows
// that AssemblyScript modules compiled with the project's flags run under host-test.
export * from "../../assembly/filter/exports";
import { setRootContextFactory } from "../../assembly/filter/registry";
import { RootContext, HttpContext } from "../../assembly/filter/context";
import { HeaderMapType, FilterHeadersStatus, FilterDataStatus, BufferType } from "../../assembly/abi/status";
import { getHeader, addHeader, Header } from "../../assembly/abi/headers";
import { sendLocalResponse } from "../../assembly/abi/stream";
import { pluginConfiguration } from "../../assembly/abi/configuration";
import { getBufferBytes } from "../../assembly/abi/buffers";
import { getPropertyString } from "../../assembly/abi/properties";
import { Counter } from "../../assembly/abi/metrics";
import { logInfo } from "../../assembly/abi/log";

class Root extends RootContext {
  requests: Counter | null = null;
  responseBytes: i32 = 0;

  onConfigure(size: u32): bool {
    const config = String.UTF8.decode(pluginConfiguration(size));
    if (config == "reject") return false;
    this.requests = new Counter("as.requests");
    return true;
  }

  newHttpContext(id: u32): HttpContext {
    return new Stream(id, this);
  }
}

class Stream extends HttpContext {
  onRequestHeaders(headerCount: u32, endOfStream: bool): i32 {
    const root = changetype<Root>(this.root);
    const counter = root.requests;
    if (counter !== null) counter.inc();
    const path = getHeader(HeaderMapType.RequestHeaders, ":path");
    if (path !== null && path == "/deny") {
      const headers = [new Header("retry-after", "3")];
      sendLocalResponse(429, "as denied", String.UTF8.encode("no"), headers);
      return FilterHeadersStatus.StopIteration;
    }
    addHeader(HeaderMapType.RequestHeaders, "x-as", "1");
    return FilterHeadersStatus.Continue;
  }

  onResponseHeaders(headerCount: u32, endOfStream: bool): i32 {
    const status = getHeader(HeaderMapType.ResponseHeaders, ":status");
    addHeader(HeaderMapType.ResponseHeaders, "x-as-status", status !== null ? status : "?");
    return FilterHeadersStatus.Continue;
  }

  onResponseBody(bodySize: u32, endOfStream: bool): i32 {
    const body = getBufferBytes(BufferType.HttpResponseBody, 0, bodySize);
    changetype<Root>(this.root).responseBytes += body.byteLength;
    if (endOfStream) logInfo("response bytes " + changetype<Root>(this.root).responseBytes.toString());
    return FilterDataStatus.Continue;
  }

  onLog(): void {
    const path = getPropertyString(["request", "path"]);
    logInfo("log path=" + (path !== null ? path : "<none>"));
  }
}

setRootContextFactory((id: u32): RootContext => new Root(id));
