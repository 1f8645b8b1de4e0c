import { parseConfig, PluginConfig } from "../config/plugin";
import { IdentitySource, OnInvalidCredential } from "../config/identity";
import { UsageProvider, OnMissingUsage, parseUsagePath, UsagePath, usageProviderName } from "../config/usage";
import { CostMode } from "../config/cost";
import { AdmissionMode } from "../config/admission";

const LIMITS = "\"limits\":{\"all\":{\"rates\":[{\"limit\":100,\"window\":\"1m\"}]}}";

function with_(rest: string): string {
  return "{" + LIMITS + "," + rest + "}";
}
function errors(rest: string): string {
  return parseConfig(with_(rest)).errors.join("\n");
}
function config(rest: string): PluginConfig {
  const c = parseConfig(rest.length == 0 ? "{" + LIMITS + "}" : with_(rest)).config;
  return c === null ? new PluginConfig() : c;
}
function segments(p: UsagePath | null): string {
  return p === null ? "(none)" : p.segments.join("|");
}

describe("config: identity", () => {
  it("defaults to a bearer JWT in the authorization header", () => {
    const id = config("").identity;
    expect(id.source).toBe(IdentitySource.Jwt);
    expect(id.jwt.header).toBe("authorization");
    expect(id.jwt.prefix).toBe("Bearer ");
    expect(id.jwtAuthn.metadataNamespace).toBe("envoy.filters.http.jwt_authn");
    expect(id.jwtAuthn.payloadKey).toBe("");
    expect(id.headers.user).toBe("x-auth-user");
    expect(id.headers.groups).toBe("x-auth-groups");
    expect(id.userIdClaim).toBe("sub");
    expect(id.groupsClaim).toBe("groups");
    expect(id.groupsAnnotation).toBe("kuadrant.io/groups");
    expect(id.jwt.queryParameter).toBe("access_token");
    expect(id.onInvalid).toBe(OnInvalidCredential.Reject);
    expect(id.invalidStatus).toBe(403);
  });
  it("reads what an unusable credential gets and where else a token is read", () => {
    const id = config("\"identity\":{\"onInvalid\":\"anonymous\",\"invalidStatus\":401,\"jwt\":{\"queryParameter\":\"\"}}").identity;
    expect(id.onInvalid).toBe(OnInvalidCredential.Anonymous);
    expect(id.invalidStatus).toBe(401);
    expect(id.jwt.queryParameter).toBe("");
    // Like a jwt_authn provider with from_headers: naming the header drops access_token.
    expect(config("\"identity\":{\"jwt\":{\"header\":\"x-token\"}}").identity.jwt.queryParameter).toBe("");
    expect(config("\"identity\":{\"jwt\":{\"prefix\":\"\",\"queryParameter\":\"t\"}}").identity.jwt.queryParameter).toBe("t");
    expect(errors("\"identity\":{\"onInvalid\":\"allow\",\"invalidStatus\":200}")).toBe(
      "identity.onInvalid: expected one of \"reject\", \"anonymous\", got \"allow\"\n" +
      "identity.invalidStatus: expected an integer from 400 to 599, got 200");
  });
  it("reads every source", () => {
    expect(config("\"identity\":{\"source\":\"jwtAuthn\"}").identity.source).toBe(IdentitySource.JwtAuthn);
    expect(config("\"identity\":{\"source\":\"headers\"}").identity.source).toBe(IdentitySource.Headers);
    expect(config("\"identity\":{\"source\":\"none\"}").identity.source).toBe(IdentitySource.None);
  });
  it("lower-cases header names", () => {
    const id = config("\"identity\":{\"jwt\":{\"header\":\"X-Api-Token\",\"prefix\":\"\"},\"headers\":{\"user\":\"X-User\",\"groups\":\"\"}}").identity;
    expect(id.jwt.header).toBe("x-api-token");
    expect(id.jwt.prefix).toBe("");
    expect(id.headers.user).toBe("x-user");
    expect(id.headers.groups).toBe("");
  });
  it("reads jwtAuthn and claim settings", () => {
    const id = config("\"identity\":{\"source\":\"jwtAuthn\",\"jwtAuthn\":{\"metadataNamespace\":\"ns\",\"payloadKey\":\"my_payload\"},\"userIdClaim\":\"email\",\"groupsClaim\":\"roles\",\"groupsAnnotation\":\"example.com/roles\"}").identity;
    expect(id.jwtAuthn.metadataNamespace).toBe("ns");
    expect(id.jwtAuthn.payloadKey).toBe("my_payload");
    expect(id.userIdClaim).toBe("email");
    expect(id.groupsClaim).toBe("roles");
    expect(id.groupsAnnotation).toBe("example.com/roles");
  });
  it("rejects an unknown source", () => {
    expect(errors("\"identity\":{\"source\":\"oidc\"}")).toBe(
      "identity.source: expected one of \"jwt\", \"jwtAuthn\", \"headers\", \"none\", got \"oidc\"");
  });
  it("rejects invalid and empty header names", () => {
    expect(errors("\"identity\":{\"jwt\":{\"header\":\"x auth\"},\"headers\":{\"user\":\"\"}}")).toBe(
      "identity.jwt.header: invalid header name \"x auth\" (expected letters, digits and !#$%&'*+-.^_`|~)\n" +
      "identity.headers.user: must not be empty");
  });
  it("rejects empty claim names", () => {
    expect(errors("\"identity\":{\"userIdClaim\":\"\"}")).toBe("identity.userIdClaim: must not be empty");
  });
  it("rejects unknown fields at every level", () => {
    expect(errors("\"identity\":{\"jwt\":{\"issuer\":\"x\"},\"verify\":true}")).toBe(
      "identity.verify: unknown field (expected one of: source, jwt, jwtAuthn, headers, userIdClaim, groupsClaim, groupsAnnotation, onInvalid, invalidStatus)\n" +
      "identity.jwt.issuer: unknown field (expected one of: header, prefix, queryParameter)");
  });
});

describe("config: usage", () => {
  it("defaults to automatic detection and reserved charge on missing usage", () => {
    const u = config("").usage;
    expect(u.provider).toBe(UsageProvider.Auto);
    expect(u.paths.isEmpty()).toBe(true);
    expect(u.onMissing).toBe(OnMissingUsage.Reservation);
    expect(u.charge5xx).toBe(false);
    expect(u.includeStreamUsage).toBe(true);
    expect(u.removeAcceptEncoding).toBe(true);
  });
  it("reads every provider", () => {
    expect(config("\"usage\":{\"provider\":\"openai\"}").usage.provider).toBe(UsageProvider.OpenAI);
    expect(config("\"usage\":{\"provider\":\"openai-responses\"}").usage.provider).toBe(UsageProvider.OpenAIResponses);
    expect(config("\"usage\":{\"provider\":\"anthropic\"}").usage.provider).toBe(UsageProvider.Anthropic);
    expect(config("\"usage\":{\"provider\":\"gemini\"}").usage.provider).toBe(UsageProvider.Gemini);
    expect(config("\"usage\":{\"provider\":\"ollama\"}").usage.provider).toBe(UsageProvider.Ollama);
  });
  it("names providers as the configuration writes them", () => {
    expect(usageProviderName(UsageProvider.OpenAIResponses)).toBe("openai-responses");
    expect(usageProviderName(UsageProvider.Auto)).toBe("auto");
    expect(usageProviderName(UsageProvider.Ollama)).toBe("ollama");
  });
  it("reads custom paths, dotted or as JSON pointers", () => {
    const u = config("\"usage\":{\"provider\":\"custom\",\"paths\":{\"total\":\"usage.total_tokens\",\"input\":\"/usage/prompt_tokens\",\"reasoning\":\"/a~1b/c~0d\"}}").usage;
    expect(u.provider).toBe(UsageProvider.Custom);
    expect(segments(u.paths.total)).toBe("usage|total_tokens");
    expect(segments(u.paths.input)).toBe("usage|prompt_tokens");
    expect(segments(u.paths.output)).toBe("(none)");
    expect(segments(u.paths.reasoning)).toBe("a/b|c~d");
    const total = u.paths.total;
    if (total !== null) expect(total.text).toBe("usage.total_tokens");
  });
  it("requires a path when the provider is custom", () => {
    expect(errors("\"usage\":{\"provider\":\"custom\"}")).toBe(
      "usage.paths: required when usage.provider is \"custom\" (set at least one of: total, input, output, cached, reasoning)");
  });
  it("rejects malformed paths", () => {
    expect(errors("\"usage\":{\"paths\":{\"total\":\"usage..total\",\"input\":\"/a/~2\",\"output\":\"\",\"cached\":5}}")).toBe(
      "usage.paths.total: expected a dotted path like usage.total_tokens or a JSON pointer like /usage/total_tokens, got \"usage..total\"\n" +
      "usage.paths.input: expected a dotted path like usage.total_tokens or a JSON pointer like /usage/total_tokens, got \"/a/~2\"\n" +
      "usage.paths.output: expected a dotted path like usage.total_tokens or a JSON pointer like /usage/total_tokens, got \"\"\n" +
      "usage.paths.cached: expected a dotted path like usage.total_tokens or a JSON pointer like /usage/total_tokens, got 5");
  });
  it("reads onMissing and the switches", () => {
    const u = config("\"usage\":{\"onMissing\":\"zero\",\"charge5xx\":true,\"includeStreamUsage\":false,\"removeAcceptEncoding\":false}").usage;
    expect(u.onMissing).toBe(OnMissingUsage.Zero);
    expect(u.charge5xx).toBe(true);
    expect(u.includeStreamUsage).toBe(false);
    expect(u.removeAcceptEncoding).toBe(false);
    expect(config("\"usage\":{\"onMissing\":\"estimate\"}").usage.onMissing).toBe(OnMissingUsage.Estimate);
  });
  it("rejects an unknown provider and onMissing", () => {
    expect(errors("\"usage\":{\"provider\":\"azure\",\"onMissing\":\"skip\"}")).toBe(
      "usage.provider: expected one of \"auto\", \"openai\", \"openai-responses\", \"anthropic\", \"gemini\", \"custom\", \"ollama\", got \"azure\"\n" +
      "usage.onMissing: expected one of \"reservation\", \"estimate\", \"zero\", got \"skip\"");
  });
  it("maps Kuadrant's dataExtraction pointer onto paths.total", () => {
    const u = config("\"dataExtraction\":{\"response\":{\"totalTokens\":[\"/usage/total_tokens\"]}}").usage;
    expect(segments(u.paths.total)).toBe("usage|total_tokens");
  });
  it("satisfies a custom provider with dataExtraction", () => {
    expect(errors("\"usage\":{\"provider\":\"custom\"},\"dataExtraction\":{\"response\":{\"totalTokens\":[\"/usage/total_tokens\"]}}")).toBe("");
  });
  it("rejects several dataExtraction pointers and a conflict with paths.total", () => {
    expect(errors("\"dataExtraction\":{\"response\":{\"totalTokens\":[\"/a\",\"/b\"]}}")).toBe(
      "dataExtraction.response.totalTokens: expected exactly one JSON pointer (this filter reads one path; for several, use usage.provider), got 2");
    expect(errors("\"usage\":{\"paths\":{\"total\":\"a.b\"}},\"dataExtraction\":{\"response\":{\"totalTokens\":[\"/a\"]}}")).toBe(
      "dataExtraction.response.totalTokens: conflicts with usage.paths.total (set only one)");
  });
  it("rejects a dataExtraction entry that is not a pointer", () => {
    expect(errors("\"dataExtraction\":{\"response\":{\"totalTokens\":[\"usage.total_tokens\"]}}")).toBe(
      "dataExtraction.response.totalTokens[0]: expected a JSON pointer like /usage/total_tokens, got \"usage.total_tokens\"");
  });
  it("parses usage paths on their own", () => {
    expect(parseUsagePath("/")).toBeNull();
    expect(parseUsagePath("a.")).toBeNull();
    expect(segments(parseUsagePath("usageMetadata.totalTokenCount"))).toBe("usageMetadata|totalTokenCount");
    expect(segments(parseUsagePath("$.usage.total_tokens"))).toBe("usage|total_tokens");
    expect(segments(parseUsagePath("choices.*.text"))).toBe("choices|*|text");
  });
  it("limits usage paths to 16 keys of at most 64 bytes", () => {
    expect(parseUsagePath("a.".repeat(15) + "b")).not.toBeNull();
    expect(parseUsagePath("a.".repeat(16) + "b")).toBeNull();
    expect(parseUsagePath("k".repeat(64))).not.toBeNull();
    expect(parseUsagePath("k".repeat(65))).toBeNull();
  });
});

describe("config: cost", () => {
  it("defaults to total tokens", () => {
    const c = config("").cost;
    expect(c.mode).toBe(CostMode.Total);
    expect(c.expression).toBeNull();
  });
  it("reads weights, keeping defaults for kinds not given", () => {
    const c = config("\"cost\":{\"weights\":{\"output\":4,\"cached\":0.5}}").cost;
    expect(c.mode).toBe(CostMode.Weights);
    expect(c.weights.input).toBe(1.0);
    expect(c.weights.output).toBe(4.0);
    expect(c.weights.cached).toBe(0.5);
    expect(c.weights.reasoning).toBe(0.0);
  });
  it("reads an expression with its path", () => {
    const c = config("\"cost\":{\"expression\":\"usage.prompt_tokens + 4 * usage.completion_tokens\"}").cost;
    expect(c.mode).toBe(CostMode.Expression);
    const e = c.expression;
    expect(e).not.toBeNull();
    if (e !== null) {
      expect(e.source).toBe("usage.prompt_tokens + 4 * usage.completion_tokens");
      expect(e.path).toBe("cost.expression");
    }
    expect(config("\"cost\":{\"expression\":\"1\"}").expressions().length).toBe(1);
  });
  it("rejects weights together with an expression", () => {
    expect(errors("\"cost\":{\"weights\":{\"input\":1},\"expression\":\"1\"}")).toBe("cost: set either weights or expression, not both");
  });
  it("rejects negative, huge and non-numeric weights", () => {
    expect(errors("\"cost\":{\"weights\":{\"input\":-1,\"output\":1e7,\"cached\":\"0\"}}")).toBe(
      "cost.weights.input: expected a number from 0 to 1000000, got -1\n" +
      "cost.weights.output: expected a number from 0 to 1000000, got 10000000\n" +
      "cost.weights.cached: expected a number from 0 to 1000000, got \"0\"");
  });
  it("rejects an empty expression", () => {
    expect(errors("\"cost\":{\"expression\":\"\"}")).toBe("cost.expression: must not be empty");
  });
});

describe("config: admission", () => {
  it("defaults to reserving 1000 tokens, at most 32000, reading bodies up to 1 MiB", () => {
    const a = config("").admission;
    expect(a.mode).toBe(AdmissionMode.Reserve);
    expect(a.defaultReservation).toBe(1000);
    expect(a.maxReservation).toBe(32000);
    expect(a.readRequestBody).toBe(true);
    expect(a.maxRequestBodyBytes).toBe(1048576);
  });
  it("reads every field", () => {
    const a = config("\"admission\":{\"mode\":\"check\",\"defaultReservation\":0,\"maxReservation\":8000,\"readRequestBody\":false,\"maxRequestBodyBytes\":65536}").admission;
    expect(a.mode).toBe(AdmissionMode.Check);
    expect(a.defaultReservation).toBe(0);
    expect(a.maxReservation).toBe(8000);
    expect(a.readRequestBody).toBe(false);
    expect(a.maxRequestBodyBytes).toBe(65536);
  });
  it("rejects an unknown mode", () => {
    expect(errors("\"admission\":{\"mode\":\"foo\"}")).toBe("admission.mode: expected one of \"reserve\", \"check\", got \"foo\"");
  });
  it("rejects a default reservation above the maximum", () => {
    expect(errors("\"admission\":{\"defaultReservation\":50000}")).toBe(
      "admission.defaultReservation: must not exceed admission.maxReservation (32000), got 50000");
  });
  it("rejects out-of-range numbers", () => {
    expect(errors("\"admission\":{\"defaultReservation\":-1,\"maxReservation\":0,\"maxRequestBodyBytes\":1e9}")).toBe(
      "admission.defaultReservation: expected a non-negative integer, got -1\n" +
      "admission.maxReservation: expected a positive integer, got 0\n" +
      "admission.maxRequestBodyBytes: expected an integer from 0 to 67108864, got 1000000000");
  });
});

describe("config: response", () => {
  it("defaults to 429 with OpenAI's header names", () => {
    const r = config("").response;
    expect(r.status).toBe(429);
    expect(r.headers.limit).toBe("x-ratelimit-limit-tokens");
    expect(r.headers.remaining).toBe("x-ratelimit-remaining-tokens");
    expect(r.headers.reset).toBe("x-ratelimit-reset-tokens");
    expect(r.headers.retryAfter).toBe("retry-after");
    expect(r.admittedHeaders).toBe(true);
    expect(r.message).toBe("Rate limit reached for tokens");
  });
  it("reads every field; an empty header name turns the header off", () => {
    const r = config("\"response\":{\"status\":503,\"headers\":{\"limit\":\"X-Limit\",\"reset\":\"\"},\"admittedHeaders\":false,\"message\":\"Token budget exhausted\"}").response;
    expect(r.status).toBe(503);
    expect(r.headers.limit).toBe("x-limit");
    expect(r.headers.reset).toBe("");
    expect(r.headers.remaining).toBe("x-ratelimit-remaining-tokens");
    expect(r.admittedHeaders).toBe(false);
    expect(r.message).toBe("Token budget exhausted");
  });
  it("rejects a status outside 400..599", () => {
    expect(errors("\"response\":{\"status\":200}")).toBe("response.status: expected an integer from 400 to 599, got 200");
    expect(errors("\"response\":{\"status\":\"429\"}")).toBe("response.status: expected an integer from 400 to 599, got \"429\"");
  });
  it("rejects invalid header names and an empty message", () => {
    expect(errors("\"response\":{\"headers\":{\"retryAfter\":\"retry after\"},\"message\":\"\"}")).toBe(
      "response.headers.retryAfter: invalid header name \"retry after\" (expected letters, digits and !#$%&'*+-.^_`|~)\n" +
      "response.message: must not be empty");
  });
});
