import { mayCarryJson, acceptsStreamOptions, parseStatusCode, isReadableEncoding } from "../usage/http";

describe("request content type", () => {
  it("reads a body declared as JSON, whatever its parameters or case", () => {
    expect(mayCarryJson("application/json")).toBe(true);
    expect(mayCarryJson("Application/JSON; charset=utf-8")).toBe(true);
    expect(mayCarryJson("application/vnd.api+json")).toBe(true);
  });
  it("reads a body without a content type", () => {
    expect(mayCarryJson(null)).toBe(true);
  });
  it("reads a body declared as text or anything else: some servers parse it as JSON all the same", () => {
    expect(mayCarryJson("text/plain")).toBe(true);
    expect(mayCarryJson("application/octet-stream")).toBe(true);
    expect(mayCarryJson("")).toBe(true);
  });
  it("does not read forms and uploads, in any case", () => {
    expect(mayCarryJson("multipart/form-data; boundary=x")).toBe(false);
    expect(mayCarryJson(" Multipart/Mixed")).toBe(false);
    expect(mayCarryJson("application/x-www-form-urlencoded")).toBe(false);
    expect(mayCarryJson("audio/wav")).toBe(false);
    expect(mayCarryJson("IMAGE/png")).toBe(false);
    expect(mayCarryJson("video/mp4")).toBe(false);
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
