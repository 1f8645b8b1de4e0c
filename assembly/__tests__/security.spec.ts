// The pure logic behind docs/security.md: path warnings, the error body shape per API,
// cost expressions bound to known usage fields, and which counter expression failed.
import { queryStringWarnings } from "../limits/path_lint";
import { errorFormatFor, errorBody, unidentifiedResponseFor } from "../limits/limited_response";
import { compilePolicy, CompiledPolicy, expressionErrors, PolicyEnvironment } from "../limits/policy";
import { selectLimits } from "../limits/selection";
import { parseConfig, PluginConfig, Expression } from "../config";
import { ErrorFormat } from "../config/response";
import { MemoryCounters } from "../counters/memory";
import { CompileOptions, MapResolver, Value } from "../cel";

function warningsOf(source: string): Array<string> {
  const out = new Array<string>();
  queryStringWarnings(new Expression(source, "limits.x.when[0].predicate"), out);
  return out;
}

function config(text: string): PluginConfig {
  const c = parseConfig(text).config;
  return c === null ? new PluginConfig() : c;
}

function policy(text: string): CompiledPolicy {
  return compilePolicy(config(text), new PolicyEnvironment(new CompileOptions(), new MemoryCounters()));
}

describe("request.path compared to a literal without a query string", () => {
  it("warns for == and names request.url_path", () => {
    const w = warningsOf("request.path == \"/v1/chat/completions\"");
    expect(w.length).toBe(1);
    expect(w[0].startsWith("limits.x.when[0].predicate: request.path includes the query string")).toBe(true);
    expect(w[0].includes("request.url_path == \"/v1/chat/completions\"")).toBe(true);
  });
  it("warns for != and with the literal on the left", () => {
    expect(warningsOf("\"/healthz\" != request.path").length).toBe(1);
  });
  it("warns inside && and ||, once per expression", () => {
    expect(warningsOf("request.method == \"POST\" && (request.path == \"/a\" || request.path == \"/b\")").length).toBe(1);
  });
  it("does not warn for request.url_path, a literal with '?', other operators or other attributes", () => {
    expect(warningsOf("request.url_path == \"/v1/chat/completions\"").length).toBe(0);
    expect(warningsOf("request.path == \"/v1/x?y=1\"").length).toBe(0);
    expect(warningsOf("request.path.startsWith(\"/v1/\")").length).toBe(0);
    expect(warningsOf("request.headers[\"path\"] == \"/a\"").length).toBe(0);
    expect(warningsOf("x.path == \"/a\"").length).toBe(0);
  });
  it("gives nothing for an expression that does not parse", () => {
    expect(warningsOf("request.path == ").length).toBe(0);
  });
  it("is part of a compiled policy's warnings", () => {
    const p = policy("{\"limits\":{\"a\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"when\":[{\"predicate\":\"request.path == '/a'\"}]}}}");
    expect(p.errors.length).toBe(0);
    expect(p.warnings.length).toBe(1);
    expect(p.warnings[0].startsWith("limits.a.when[0].predicate: ")).toBe(true);
  });
});

describe("error body shape", () => {
  it("auto: Anthropic on /messages, Gemini on generateContent, OpenAI elsewhere", () => {
    expect(errorFormatFor("/v1/messages", ErrorFormat.Auto)).toBe(ErrorFormat.Anthropic);
    expect(errorFormatFor("/v1/messages/?beta=true", ErrorFormat.Auto)).toBe(ErrorFormat.Anthropic);
    expect(errorFormatFor("/v1beta/models/gemini-2.0-flash:generateContent", ErrorFormat.Auto)).toBe(ErrorFormat.Gemini);
    expect(errorFormatFor("/v1beta/models/g:streamGenerateContent?alt=sse", ErrorFormat.Auto)).toBe(ErrorFormat.Gemini);
    expect(errorFormatFor("/v1/chat/completions", ErrorFormat.Auto)).toBe(ErrorFormat.OpenAI);
    expect(errorFormatFor("/v1/messages/count", ErrorFormat.Auto)).toBe(ErrorFormat.OpenAI);
    expect(errorFormatFor("", ErrorFormat.Auto)).toBe(ErrorFormat.OpenAI);
    expect(errorFormatFor("?/messages", ErrorFormat.Auto)).toBe(ErrorFormat.OpenAI);
  });
  it("a configured format wins over the path", () => {
    expect(errorFormatFor("/v1/messages", ErrorFormat.Gemini)).toBe(ErrorFormat.Gemini);
  });
  it("writes each API's error object", () => {
    expect(errorBody(ErrorFormat.OpenAI, 429, "m", "tokens", "rate_limit_exceeded"))
      .toBe("{\"error\":{\"message\":\"m\",\"type\":\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
    expect(errorBody(ErrorFormat.Anthropic, 429, "m", "tokens", "x")).toBe("{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":\"m\"}}");
    expect(errorBody(ErrorFormat.Anthropic, 503, "m", "t", "x")).toBe("{\"type\":\"error\",\"error\":{\"type\":\"api_error\",\"message\":\"m\"}}");
    expect(errorBody(ErrorFormat.Gemini, 429, "m\"", "t", "x")).toBe("{\"error\":{\"code\":429,\"message\":\"m\\\"\",\"status\":\"RESOURCE_EXHAUSTED\"}}");
    expect(errorBody(ErrorFormat.Gemini, 403, "m", "t", "x")).toBe("{\"error\":{\"code\":403,\"message\":\"m\",\"status\":\"PERMISSION_DENIED\"}}");
  });
});

describe("cost expressions", () => {
  it("a misspelt usage field is a configuration error", () => {
    const c = config("{\"limits\":{\"a\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}},\"cost\":{\"expression\":\"usage.totl_tokens\"}}");
    const errors = expressionErrors(c, new CompileOptions());
    expect(errors.length).toBe(1);
    expect(errors[0].startsWith("cost.expression: invalid CEL at offset ")).toBe(true);
    expect(errors[0].includes("undeclared reference to 'usage.totl_tokens'")).toBe(true);
    expect(errors[0].includes("usage.prompt_tokens")).toBe(true);
  });
  it("known usage fields compile", () => {
    const c = config("{\"limits\":{\"a\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}]}},\"cost\":{\"expression\":\"usage.total_tokens + usage.cache_write_tokens\"}}");
    expect(expressionErrors(c, new CompileOptions()).length).toBe(0);
  });
});

describe("a counter with no value", () => {
  it("is recorded with its limit and expression, and the 403 names both", () => {
    const p = policy("{\"limits\":{\"a\":{\"rates\":[{\"limit\":1,\"window\":\"1m\"}],\"counters\":[{\"expression\":\"tenant\"},{\"expression\":\"user\"}]}}}");
    const s = selectLimits(p, new MapResolver().set("tenant", Value.string("t1")));
    expect(s.counterErrors).toBe(1);
    expect(s.counterErrorLimitIndex).toBe(0);
    expect(s.counterErrorExpression).toBe(1);
    const r = unidentifiedResponseFor(p.config, s, "/v1/messages");
    expect(r.status).toBe(403);
    expect(r.body.includes("limit a applies, but its counter limits.a.counters[1].expression (user) has no value")).toBe(true);
    expect(r.body.startsWith("{\"type\":\"error\",\"error\":{\"type\":\"permission_error\"")).toBe(true);
  });
});
