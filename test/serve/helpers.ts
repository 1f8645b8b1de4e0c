// What the serve tests share: a proxy in front of the built-in mock (or a test upstream), on
// free loopback ports, closed after each test; callers' SDK clients.
import type { TestContext } from "node:test";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI from "openai";
import Anthropic from "@anthropic-ai/sdk";
import { jwtFor } from "../../fixtures/llm.ts";
import { startMockUpstream, type MockUpstream } from "../../src/serve/mock-upstream.ts";
import { startServe, type ServeOptions, type Serving } from "../../src/serve/server.ts";
import type { RequestLog } from "../../src/serve/access-log.ts";

export const WASM = "build/tokenlimit.wasm";
/** 2026-11-29 12:00 UTC: mid-window for daily limits. */
export const NOON = Date.UTC(2026, 10, 29, 12, 0, 0);

/** A free user gets `limit` tokens a day on both APIs; per user; reservations of max_tokens. */
export function dailyPolicy(limit: number): object {
  return {
    limits: {
      free: {
        rates: [{ limit, window: "24h" }],
        when: [{ predicate: 'request.url_path in ["/v1/chat/completions", "/v1/messages"]' }],
        counters: [{ expression: "auth.identity.userid" }],
      },
    },
  };
}

export interface Proxy {
  serving: Serving;
  mock: MockUpstream;
  url: string;
  logs: Array<{ record: RequestLog; line: string }>;
  metric(name: string): number | undefined;
  prometheus(): Promise<string>;
}

/** A proxy in front of the mock (or `upstream`), both closed when the test ends. */
export async function proxy(t: TestContext, opts: Partial<ServeOptions> & { pluginConfig: object }): Promise<Proxy> {
  const mock = await startMockUpstream();
  t.after(() => mock.close());
  const logs: Proxy["logs"] = [];
  const serving = await startServe({
    wasm: WASM,
    upstream: mock.url,
    listen: "127.0.0.1:0",
    now: NOON,
    holdClock: true,
    onRequest: (record, line) => logs.push({ record, line }),
    ...opts,
  });
  t.after(() => serving.close());
  return {
    serving, mock, url: serving.url, logs,
    metric: (name) => serving.host.metric(name),
    prometheus: async () => (await fetch(`${serving.url}/stats/prometheus`)).text(),
  };
}

export function openai(url: string, user: string, maxRetries = 0): OpenAI {
  return new OpenAI({ apiKey: jwtFor(user, ["free"]), baseURL: `${url}/v1`, maxRetries });
}

export function anthropic(url: string, user: string, maxRetries = 0): Anthropic {
  return new Anthropic({ apiKey: null, authToken: jwtFor(user, ["free"]), baseURL: url, maxRetries });
}

/** A test upstream on a free loopback port, closed when the test ends. */
export async function upstream(t: TestContext, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  t.after(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** Resolves when `cond` holds, polling; rejects after `ms`. */
export async function until(cond: () => boolean, ms = 5000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const HELLO = [{ role: "user" as const, content: "Hello!" }];
