// Drives the project's outbound-call and timer wrappers (assembly/abi/calls.ts, time.ts,
// metrics.ts) from a root context, to show they match Envoy's ABI 0.2.1: the 12-parameter
// proxy_grpc_call, proxy_http_call, proxy_get_status after a failure, gauges and ticks.
// The plugin configuration picks what on_configure starts: "grpc", "grpc-fail", "http",
// "cancel" or "tick".
export * from "../../assembly/filter/exports";
import { setRootContextFactory } from "../../assembly/filter/registry";
import { RootContext } from "../../assembly/filter/context";
import { BufferType, HeaderMapType } from "../../assembly/abi/status";
import { Header, getHeader } from "../../assembly/abi/headers";
import { pluginConfiguration } from "../../assembly/abi/configuration";
import { getBufferBytes } from "../../assembly/abi/buffers";
import { grpcCall, httpCall, grpcCancel, getStatus } from "../../assembly/abi/calls";
import { setTickPeriod } from "../../assembly/abi/time";
import { Gauge } from "../../assembly/abi/metrics";
import { logInfo } from "../../assembly/abi/log";

const RLS = "envoy.service.ratelimit.v3.RateLimitService";

class Root extends RootContext {
  ticks: u64 = 0;
  gauge: Gauge | null = null;

  onConfigure(size: u32): bool {
    const mode = String.UTF8.decode(pluginConfiguration(size));
    if (mode == "grpc" || mode == "grpc-fail" || mode == "cancel") {
      const md = [new Header("x-md", "1")];
      const r = grpcCall("ratelimit", RLS, "ShouldRateLimit", md, String.UTF8.encode("req"), 1000);
      logInfo("grpc start " + r.status.toString() + " " + r.token.toString());
      if (mode == "cancel") logInfo("cancel " + grpcCancel(r.token).toString());
    } else if (mode == "http") {
      const headers = [new Header(":method", "GET"), new Header(":path", "/quota"), new Header(":authority", "quota")];
      const r = httpCall("quota", headers, String.UTF8.encode("q"), [], 1000);
      logInfo("http start " + r.status.toString() + " " + r.token.toString());
    } else if (mode == "tick") {
      this.gauge = new Gauge("as.ticks");
      logInfo("tick period " + setTickPeriod(1000).toString());
    }
    return true;
  }

  onGrpcReceive(token: u32, size: u32): void {
    logInfo("grpc receive " + token.toString() + " " + String.UTF8.decode(getBufferBytes(BufferType.GrpcReceiveBuffer, 0, size)));
  }

  onGrpcClose(token: u32, status: u32): void {
    const s = getStatus();
    logInfo("grpc close " + token.toString() + " " + status.toString() + " " + s.code.toString() + " " + s.message);
  }

  onHttpCallResponse(token: u32, headers: u32, bodySize: u32, trailers: u32): void {
    const status = getHeader(HeaderMapType.HttpCallResponseHeaders, ":status");
    const body = String.UTF8.decode(getBufferBytes(BufferType.HttpCallResponseBody, 0, bodySize));
    logInfo("http response " + token.toString() + " " + (status === null ? "-" : status) + " " + body);
  }

  onTick(): void {
    this.ticks++;
    const g = this.gauge;
    if (g !== null) g.set(this.ticks);
  }
}

setRootContextFactory((id: u32): RootContext => new Root(id));
