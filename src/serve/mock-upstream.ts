// The built-in upstream of `tokenlimit serve`: an OpenAI-compatible chat completions API and
// Anthropic's /v1/messages, answering every request with the same reply and a usage that
// depends only on the request, as JSON or as a stream (SSE). Enough for the official SDKs.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** Completion tokens when the request sets no max_tokens. */
export const DEFAULT_COMPLETION_TOKENS = 85;

/** The reply every request gets, streamed word by word. */
export const MOCK_REPLY = "Hello! This is the tokenlimit mock upstream; the usage below is deterministic.";

/**
 * The usage the mock reports for a request: prompt tokens are a quarter of the characters of
 * the messages' text (at least 1), completion tokens the request's max_tokens (or
 * max_completion_tokens), else 85.
 */
export function mockUsage(body: Record<string, unknown>): { prompt: number; completion: number } {
  let chars = 0;
  const text = (c: unknown): void => {
    if (typeof c === "string") chars += c.length;
    else if (Array.isArray(c)) for (const part of c) text((part as { text?: unknown })?.text);
  };
  if (typeof body.system === "string") chars += body.system.length;
  for (const m of Array.isArray(body.messages) ? body.messages : []) text((m as { content?: unknown })?.content);
  const cap = body.max_tokens ?? body.max_completion_tokens;
  const completion = typeof cap === "number" && Number.isInteger(cap) && cap > 0 ? cap : DEFAULT_COMPLETION_TOKENS;
  return { prompt: Math.max(1, Math.ceil(chars / 4)), completion };
}

/** What the mock has seen: requests by path, for tests and the demo. */
export interface MockUpstreamStats {
  requests: number;
  byPath: Record<string, number>;
}

export interface MockUpstream {
  readonly url: string;
  readonly stats: MockUpstreamStats;
  close(): Promise<void>;
}

const WORDS = MOCK_REPLY.split(/(?<= )/);

function sse(res: ServerResponse, data: unknown, event?: string): void {
  res.write(`${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`);
}

function chat(res: ServerResponse, body: Record<string, unknown>): void {
  const { prompt, completion } = mockUsage(body);
  const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  const model = typeof body.model === "string" ? body.model : "mock";
  const base = { id: "chatcmpl-mock", created: 1764460800, model };
  if (body.stream !== true) {
    const json = JSON.stringify({
      ...base, object: "chat.completion",
      choices: [{ index: 0, message: { role: "assistant", content: MOCK_REPLY }, finish_reason: "stop" }],
      usage,
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    res.end(json);
    return;
  }
  const includeUsage = (body.stream_options as { include_usage?: unknown } | undefined)?.include_usage === true;
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const chunk = (delta: object, finish: string | null) => ({
    ...base, object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}),
  });
  sse(res, chunk({ role: "assistant", content: "" }, null));
  for (const w of WORDS) sse(res, chunk({ content: w }, null));
  sse(res, chunk({}, "stop"));
  if (includeUsage) sse(res, { ...base, object: "chat.completion.chunk", choices: [], usage });
  sse(res, "[DONE]");
  res.end();
}

function messages(res: ServerResponse, body: Record<string, unknown>): void {
  const { prompt, completion } = mockUsage(body);
  const model = typeof body.model === "string" ? body.model : "mock";
  const id = "msg_mock";
  if (body.stream !== true) {
    const json = JSON.stringify({
      id, type: "message", role: "assistant", model, content: [{ type: "text", text: MOCK_REPLY }],
      stop_reason: "end_turn", stop_sequence: null, usage: { input_tokens: prompt, output_tokens: completion },
    });
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    res.end(json);
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  sse(res, {
    type: "message_start",
    message: { id, type: "message", role: "assistant", model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: prompt, output_tokens: 1 } },
  }, "message_start");
  sse(res, { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } }, "content_block_start");
  for (const w of WORDS) sse(res, { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: w } }, "content_block_delta");
  sse(res, { type: "content_block_stop", index: 0 }, "content_block_stop");
  sse(res, { type: "message_delta", delta: { stop_reason: "end_turn", stop_sequence: null }, usage: { output_tokens: completion } }, "message_delta");
  sse(res, { type: "message_stop" }, "message_stop");
  res.end();
}

function error(res: ServerResponse, status: number, message: string): void {
  const json = JSON.stringify({ error: { message, type: "invalid_request_error" } });
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
  res.end(json);
}

function handle(stats: MockUpstreamStats, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  stats.requests++;
  stats.byPath[path] = (stats.byPath[path] ?? 0) + 1;
  const parts: Buffer[] = [];
  req.on("data", (c: Buffer) => parts.push(c));
  req.on("end", () => {
    if (req.method !== "POST") return error(res, 404, `no route for ${req.method} ${path}`);
    let body: Record<string, unknown>;
    try {
      const v: unknown = JSON.parse(Buffer.concat(parts).toString("utf8"));
      if (typeof v !== "object" || v === null || Array.isArray(v)) return error(res, 400, "the body must be a JSON object");
      body = v as Record<string, unknown>;
    } catch {
      return error(res, 400, "the body is not JSON");
    }
    if (path === "/v1/chat/completions") chat(res, body);
    else if (path === "/v1/messages") messages(res, body);
    else error(res, 404, `no route for POST ${path}`);
  });
}

/** Starts the mock on `host:port` (port 0: a free one). */
export async function startMockUpstream(host = "127.0.0.1", port = 0): Promise<MockUpstream> {
  const stats: MockUpstreamStats = { requests: 0, byPath: {} };
  const server: Server = createServer((req, res) => handle(stats, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host}:${addr.port}`,
    stats,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
