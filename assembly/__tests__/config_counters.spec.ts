import { parseConfig, PluginConfig } from "../config/plugin";
import { CounterBackend, ServiceConfig, ServiceFailureMode, ServiceMode } from "../config/counters";

/** The errors for a configuration with one limit and `counters` set to `counters` (JSON). */
function errors(counters: string): string {
  return parseConfig(withCounters(counters)).errors.join("\n");
}

function withCounters(counters: string): string {
  return "{\"limits\":{\"all\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}]}},\"counters\":" + counters + "}";
}

function config(counters: string): PluginConfig {
  const c = parseConfig(withCounters(counters)).config;
  return c === null ? new PluginConfig() : c;
}

function service(counters: string): ServiceConfig {
  const s = config(counters).counters.service;
  return s === null ? new ServiceConfig() : s;
}

const CLUSTER = "outbound|8081||limitador-limitador.kuadrant-system.svc.cluster.local";

describe("config: counters.backend", () => {
  it("defaults to the local backend without a service", () => {
    const c = config("{}");
    expect(c.counters.backend).toBe(CounterBackend.Local);
    expect(c.counters.service).toBeNull();
  });
  it("reads limitador with the service's defaults", () => {
    const c = config("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"" + CLUSTER + "\"}}");
    expect(c.counters.backend).toBe(CounterBackend.Limitador);
    const s = c.counters.service!;
    expect(s.cluster).toBe(CLUSTER);
    expect(s.domain).toBe("tokenlimit");
    expect(s.timeoutMs).toBe(100);
    expect(s.failureMode).toBe(ServiceFailureMode.Deny);
    expect(s.mode).toBe(ServiceMode.Direct);
    expect(s.cache.ttlMs).toBe(1000);
    expect(s.cache.flushIntervalMs).toBe(1000);
  });
  it("reads envoy-rls", () => {
    expect(config("{\"backend\":\"envoy-rls\",\"service\":{\"cluster\":\"rls\"}}").counters.backend).toBe(CounterBackend.EnvoyRls);
  });
  it("names the backends it knows when given another", () => {
    expect(errors("{\"backend\":\"redis\"}")).toBe("counters.backend: expected one of \"local\", \"limitador\", \"envoy-rls\", got \"redis\"");
  });
  it("defaults the domain to the key prefix", () => {
    expect(service("{\"backend\":\"limitador\",\"keyPrefix\":\"llm\",\"service\":{\"cluster\":\"c\"}}").domain).toBe("llm");
  });
});

describe("config: counters.service", () => {
  it("is required by a service backend", () => {
    expect(errors("{\"backend\":\"envoy-rls\"}")).toBe("counters.service: required when counters.backend is \"envoy-rls\"");
  });
  it("is refused next to the local backend, so nobody believes counters are global when they are not", () => {
    expect(errors("{\"service\":{\"cluster\":\"c\"}}")).toBe("counters.service: only for a rate-limit service backend (set counters.backend to \"limitador\" or \"envoy-rls\"), the local backend takes none");
  });
  it("requires the cluster", () => {
    expect(errors("{\"backend\":\"limitador\",\"service\":{}}")).toBe("counters.service.cluster: required");
  });
  it("reads every field", () => {
    const s = service("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"domain\":\"ns-a\",\"timeout\":\"250ms\",\"failureMode\":\"allow\",\"mode\":\"cached\",\"cache\":{\"ttl\":\"2s\",\"flushInterval\":\"500ms\"}}}");
    expect(s.domain).toBe("ns-a");
    expect(s.timeoutMs).toBe(250);
    expect(s.failureMode).toBe(ServiceFailureMode.Allow);
    expect(s.mode).toBe(ServiceMode.Cached);
    expect(s.cache.ttlMs).toBe(2000);
    expect(s.cache.flushIntervalMs).toBe(500);
  });
  it("reports unknown fields with their path", () => {
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"failuremode\":\"allow\"}}")).toBe(
      "counters.service.failuremode: unknown field (expected one of: cluster, domain, timeout, failureMode, mode, cache)");
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"mode\":\"cached\",\"cache\":{\"tll\":\"1s\"}}}")).toBe(
      "counters.service.cache.tll: unknown field (expected one of: ttl, flushInterval)");
  });
  it("refuses a cache in direct mode, where it would silently do nothing", () => {
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"cache\":{\"ttl\":\"5s\"}}}")).toBe(
      "counters.service.cache: only with counters.service.mode \"cached\" (the direct mode asks the service on every request)");
  });
  it("refuses empty, spaced or non-string names", () => {
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"\"}}")).toBe("counters.service.cluster: expected 1 to 512 characters, got \"\"");
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"a b\"}}")).toBe("counters.service.cluster: expected printable ASCII without spaces, got \"a b\"");
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"domain\":7}}")).toBe("counters.service.domain: expected a string, got 7");
  });
  it("refuses bad durations naming the field", () => {
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"timeout\":100}}")).toBe(
      "counters.service.timeout: expected a duration string (e.g. 30s, 1m, 24h, 1h30m, 500ms, 1d), got 100");
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"timeout\":\"0s\"}}")).toBe(
      "counters.service.timeout: duration \"0s\" must be greater than zero");
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"timeout\":\"2m\"}}")).toBe(
      "counters.service.timeout: expected at most 60s, got \"2m\"");
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"mode\":\"cached\",\"cache\":{\"flushInterval\":\"2h\"}}}")).toBe(
      "counters.service.cache.flushInterval: expected at most 3600s, got \"2h\"");
  });
  it("names the failure modes and modes it knows", () => {
    expect(errors("{\"backend\":\"limitador\",\"service\":{\"cluster\":\"c\",\"failureMode\":\"open\",\"mode\":\"fast\"}}")).toBe(
      "counters.service.failureMode: expected one of \"allow\", \"deny\", got \"open\"\n" +
      "counters.service.mode: expected one of \"direct\", \"cached\", got \"fast\"");
  });
});
