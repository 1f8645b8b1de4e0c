import { isJsonContentType, acceptsStreamOptions, parseStatusCode, isReadableEncoding } from "../usage/http";

describe("request content type", () => {
  it("reads a body declared as JSON, whatever its parameters or case", () => {
    expect(isJsonContentType("application/json")).toBe(true);
    expect(isJsonContentType("Application/JSON; charset=utf-8")).toBe(true);
    expect(isJsonContentType("application/vnd.api+json")).toBe(true);
  });
  it("reads a body without a content type", () => {
    expect(isJsonContentType(null)).toBe(true);
  });
  it("does not read a body of another type", () => {
    expect(isJsonContentType("multipart/form-data; boundary=x")).toBe(false);
  });
  it("finds json anywhere in the value, in ASCII case only", () => {
    expect(isJsonContentType("JSON")).toBe(true);
    expect(isJsonContentType("text/x-JsOn")).toBe(true);
    expect(isJsonContentType("application/jso")).toBe(false);
    expect(isJsonContentType("")).toBe(false);
    expect(isJsonContentType("\u004aSON")).toBe(true);
    expect(isJsonContentType("*SON")).toBe(false);
  });
});

describe("stream_options routes", () => {
  it("accepts OpenAI chat completions and completions", () => {
    expect(acceptsStreamOptions("/v1/chat/completions", "openai")).toBe(true);
    expect(acceptsStreamOptions("/v1/completions", "openai")).toBe(true);
  });
  it("ignores a query string and trailing slashes", () => {
    expect(acceptsStreamOptions("/v1/chat/completions/?api-version=1", "any")).toBe(true);
  });
  it("accepts a custom or unrecognised provider on those paths", () => {
    expect(acceptsStreamOptions("/openai/deployments/x/chat/completions", "custom")).toBe(true);
  });
  it("refuses other paths", () => {
    expect(acceptsStreamOptions("/v1/embeddings", "openai")).toBe(false);
    expect(acceptsStreamOptions("/v1/responses", "openai")).toBe(false);
  });
  it("refuses another provider even on a completions path", () => {
    expect(acceptsStreamOptions("/v1/chat/completions", "anthropic")).toBe(false);
    expect(acceptsStreamOptions("/v1/chat/completions", "openai-responses")).toBe(false);
  });
});

describe("response status", () => {
  it("parses a three-digit status", () => {
    expect(parseStatusCode("200")).toBe(200);
    expect(parseStatusCode("503")).toBe(503);
  });
  it("is 0 when absent, empty, too long or not a number", () => {
    expect(parseStatusCode(null)).toBe(0);
    expect(parseStatusCode("")).toBe(0);
    expect(parseStatusCode("2000")).toBe(0);
    expect(parseStatusCode("2x0")).toBe(0);
    expect(parseStatusCode("-1")).toBe(0);
  });
});

describe("response encoding", () => {
  it("reads a body without an encoding or with identity", () => {
    expect(isReadableEncoding(null)).toBe(true);
    expect(isReadableEncoding("")).toBe(true);
    expect(isReadableEncoding("Identity")).toBe(true);
  });
  it("does not read a compressed body", () => {
    expect(isReadableEncoding("gzip")).toBe(false);
    expect(isReadableEncoding("br")).toBe(false);
  });
});
