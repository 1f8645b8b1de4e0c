import { Usage, SCAN_OK, presetForPath } from "../usage/index";
import { read, preset, firstSplitMismatch, firstChunkMismatch, readBytes } from "../usage/testing/helpers";
import {
  OPENAI_CHAT_CACHED_JSON_BODY as OPENAI_CHAT_JSON, OPENAI_CHAT_MINI_STREAM_BODY as OPENAI_CHAT_SSE,
  OPENAI_CHAT_MINI_STREAM_NO_USAGE_BODY as OPENAI_CHAT_SSE_NO_USAGE, OPENAI_COMPLETIONS_JSON_BODY as OPENAI_COMPLETIONS_JSON,
  OPENAI_EMBEDDINGS_JSON_BODY as OPENAI_EMBEDDINGS_JSON, RESPONSES_CACHED_JSON_BODY as OPENAI_RESPONSES_JSON,
  RESPONSES_GPT41_STREAM_BODY as OPENAI_RESPONSES_SSE, ANTHROPIC_CACHED_JSON_BODY as ANTHROPIC_JSON,
  ANTHROPIC_OPUS_STREAM_BODY as ANTHROPIC_SSE, ANTHROPIC_THINKING_STREAM_BODY as ANTHROPIC_SSE_CACHE,
  GEMINI_THINKING_JSON_BODY as GEMINI_JSON, GEMINI_CACHED_STREAM_BODY as GEMINI_SSE, GEMINI_ARRAY_STREAM_BODY as GEMINI_JSON_ARRAY,
  OLLAMA_NATIVE_STREAM_BODY as OLLAMA_NDJSON, VLLM_SHORT_STREAM_BODY as VLLM_SSE,
} from "../../fixtures/transcripts";

const JSON_CT = "application/json";
const SSE = "text/event-stream";
const CHAT = "/v1/chat/completions";
const RESPONSES = "/v1/responses";
const MESSAGES = "/v1/messages";
const GEMINI_STREAM = "/v1beta/models/gemini-2.0-flash:streamGenerateContent";

// Reads a transcript with the preset recognised from the request path.
function auto(body: string, path: string, ct: string): Usage {
  return read(body, presetForPath(path), ct);
}

// Every split offset and chunk size agrees with one feed (the transcript is read with
// the preset recognised from `path`).
function splitsAgree(body: string, path: string, ct: string): bool {
  const p = presetForPath(path);
  return firstSplitMismatch(body, p, ct) == -1 && firstChunkMismatch(body, p, ct, 16) == -1;
}

function crOnly(s: string): string { return s.replaceAll("\n", "\r"); }
function crlf(s: string): string { return s.replaceAll("\n", "\r\n"); }

describe("OpenAI chat completions", () => {
  it("reads a non-streaming body", () => {
    const u = auto(OPENAI_CHAT_JSON, CHAT, JSON_CT);
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.input).toBe(1117);
    expect<i64>(u.output).toBe(46);
    expect<i64>(u.total).toBe(1163);
    expect<i64>(u.cached).toBe(1024);
    expect<i64>(u.reasoning).toBe(12);
    expect<i64>(u.textBytes).toBe(100);
  });

  it("reads the usage chunk of a stream with include_usage", () => {
    const u = auto(OPENAI_CHAT_SSE, CHAT, SSE);
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.input).toBe(19);
    expect<i64>(u.output).toBe(10);
    expect<i64>(u.total).toBe(29);
    expect(u.hasCached).toBe(true);
    expect<i64>(u.events).toBe(7);
    expect(u.sawDone).toBe(true);
    expect<i64>(u.textBytes).toBe(43);
  });

  it("reports no usage for a stream without include_usage, but counts its text", () => {
    const u = auto(OPENAI_CHAT_SSE_NO_USAGE, CHAT, SSE);
    expect(u.hasUsage).toBe(false);
    expect<i64>(u.textBytes).toBe(43);
    expect<i64>(u.estimatedOutputTokens()).toBe(11);
  });

  it("reads the stream the same with CRLF and CR line ends", () => {
    expect<i64>(auto(crlf(OPENAI_CHAT_SSE), CHAT, SSE).total).toBe(29);
    expect<i64>(auto(crOnly(OPENAI_CHAT_SSE), CHAT, SSE).total).toBe(29);
  });

  it("reads a legacy completions body", () => {
    const u = auto(OPENAI_COMPLETIONS_JSON, "/v1/completions", JSON_CT);
    expect<i64>(u.total).toBe(12);
    expect<i64>(u.textBytes).toBe(25);
  });

  it("reads an embeddings body", () => {
    const u = auto(OPENAI_EMBEDDINGS_JSON, "/v1/embeddings", JSON_CT);
    expect<i64>(u.input).toBe(8);
    expect<i64>(u.total).toBe(8);
    expect(u.hasOutput).toBe(false);
  });

  it("reads a vLLM stream with usage in every chunk (last wins)", () => {
    const u = auto(VLLM_SSE, CHAT, SSE);
    expect<i64>(u.input).toBe(12);
    expect<i64>(u.output).toBe(4);
    expect<i64>(u.total).toBe(16);
  });

  it("gives the same result at every split", () => {
    expect(splitsAgree(OPENAI_CHAT_JSON, CHAT, JSON_CT)).toBe(true);
    expect(splitsAgree(OPENAI_CHAT_SSE, CHAT, SSE)).toBe(true);
    expect(splitsAgree(crlf(OPENAI_CHAT_SSE), CHAT, SSE)).toBe(true);
    expect(splitsAgree(crOnly(OPENAI_CHAT_SSE), CHAT, SSE)).toBe(true);
    expect(splitsAgree(OPENAI_EMBEDDINGS_JSON, "/v1/embeddings", JSON_CT)).toBe(true);
    expect(splitsAgree(VLLM_SSE, CHAT, SSE)).toBe(true);
  });
});

describe("OpenAI Responses API", () => {
  it("reads a non-streaming body", () => {
    const u = auto(OPENAI_RESPONSES_JSON, RESPONSES, JSON_CT);
    expect<i64>(u.input).toBe(328);
    expect<i64>(u.output).toBe(52);
    expect<i64>(u.total).toBe(380);
    expect<i64>(u.cached).toBe(128);
    expect<i64>(u.reasoning).toBe(16);
    expect<i64>(u.textBytes).toBe(37);
  });

  it("reads response.completed in a stream", () => {
    const u = auto(OPENAI_RESPONSES_SSE, RESPONSES, "text/event-stream; charset=utf-8");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.input).toBe(37);
    expect<i64>(u.output).toBe(11);
    expect<i64>(u.total).toBe(48);
    expect<i64>(u.events).toBe(11);
    expect<i64>(u.textBytes).toBe(37);
  });

  it("gives the same result at every split", () => {
    expect(splitsAgree(OPENAI_RESPONSES_JSON, RESPONSES, JSON_CT)).toBe(true);
    expect(splitsAgree(OPENAI_RESPONSES_SSE, RESPONSES, SSE)).toBe(true);
  });
});

describe("Anthropic messages", () => {
  it("reads a non-streaming body (total = input + output)", () => {
    const u = auto(ANTHROPIC_JSON, MESSAGES, JSON_CT);
    expect<i64>(u.input).toBe(2095);
    expect<i64>(u.output).toBe(503);
    expect<i64>(u.total).toBe(2598);
    expect(u.totalComputed).toBe(true);
    expect<i64>(u.cached).toBe(1024);
    expect<i64>(u.cacheWrite).toBe(12);
    expect<i64>(u.textBytes).toBe(22);
  });

  it("adds input from message_start to output from the last message_delta", () => {
    const u = auto(ANTHROPIC_SSE, MESSAGES, SSE);
    expect<i64>(u.input).toBe(25);
    expect<i64>(u.output).toBe(15);
    expect<i64>(u.total).toBe(40);
    expect(u.sawDone).toBe(false);
    expect<i64>(u.textBytes).toBe(6);
  });

  it("reads cache counts and cumulative message_delta usage", () => {
    const u = auto(ANTHROPIC_SSE_CACHE, MESSAGES, SSE);
    expect<i64>(u.input).toBe(472);
    expect<i64>(u.output).toBe(187);
    expect<i64>(u.total).toBe(659);
    expect<i64>(u.cached).toBe(2048);
    expect<i64>(u.cacheWrite).toBe(0);
    expect<i64>(u.textBytes).toBe(29);
  });

  it("gives the same result at every split", () => {
    expect(splitsAgree(ANTHROPIC_JSON, MESSAGES, JSON_CT)).toBe(true);
    expect(splitsAgree(ANTHROPIC_SSE, MESSAGES, SSE)).toBe(true);
    expect(splitsAgree(ANTHROPIC_SSE_CACHE, MESSAGES, SSE)).toBe(true);
  });
});

describe("Google Gemini", () => {
  it("reads generateContent", () => {
    const u = auto(GEMINI_JSON, "/v1beta/models/gemini-2.5-flash:generateContent", JSON_CT);
    expect<i64>(u.input).toBe(8);
    expect<i64>(u.output).toBe(398);
    expect<i64>(u.total).toBe(1609);
    expect<i64>(u.reasoning).toBe(1203);
    expect(u.hasCached).toBe(false);
    expect<i64>(u.textBytes).toBe(54);
  });

  it("reads the last chunk of an alt=sse stream with CRLF line ends", () => {
    const u = auto(GEMINI_SSE, GEMINI_STREAM + "?alt=sse", SSE);
    expect<i64>(u.input).toBe(9);
    expect<i64>(u.output).toBe(27);
    expect<i64>(u.total).toBe(36);
    expect<i64>(u.cached).toBe(4);
    expect<i64>(u.events).toBe(3);
    expect<i64>(u.textBytes).toBe(46);
  });

  it("reads the last chunk of the JSON-array stream", () => {
    const u = auto(GEMINI_JSON_ARRAY, GEMINI_STREAM, "application/json; charset=UTF-8");
    expect(u.streaming).toBe(false);
    expect<i64>(u.total).toBe(36);
    expect<i64>(u.cached).toBe(4);
    expect<i64>(u.textBytes).toBe(46);
  });

  it("keeps the last complete chunk of a cut JSON-array stream", () => {
    const cut = GEMINI_JSON_ARRAY.substring(0, GEMINI_JSON_ARRAY.lastIndexOf("{\"candidates\"") + 40);
    const u = auto(cut, GEMINI_STREAM, JSON_CT);
    expect<i64>(u.total).toBe(21);
  });

  it("gives the same result at every split", () => {
    expect(splitsAgree(GEMINI_JSON, "/v1beta/models/gemini-2.5-flash:generateContent", JSON_CT)).toBe(true);
    expect(splitsAgree(GEMINI_SSE, GEMINI_STREAM + "?alt=sse", SSE)).toBe(true);
    expect(splitsAgree(GEMINI_JSON_ARRAY, GEMINI_STREAM, JSON_CT)).toBe(true);
  });
});

describe("Ollama native API", () => {
  it("reads the final object of an NDJSON stream", () => {
    const u = auto(OLLAMA_NDJSON, "/api/chat", "application/x-ndjson");
    expect<i64>(u.input).toBe(26);
    expect<i64>(u.output).toBe(282);
    expect<i64>(u.total).toBe(308);
    expect<i64>(u.textBytes).toBe(7);
  });

  it("gives the same result at every split", () => {
    expect(splitsAgree(OLLAMA_NDJSON, "/api/chat", "application/x-ndjson")).toBe(true);
  });
});

describe("the any preset (unrecognised paths)", () => {
  it("reads every provider's usage", () => {
    const p = preset("any");
    expect<i64>(read(OPENAI_CHAT_JSON, p, JSON_CT).total).toBe(1163);
    expect<i64>(read(OPENAI_CHAT_SSE, p, SSE).total).toBe(29);
    expect<i64>(read(OPENAI_RESPONSES_SSE, p, SSE).total).toBe(48);
    expect<i64>(read(ANTHROPIC_SSE, p, SSE).total).toBe(40);
    expect<i64>(read(ANTHROPIC_JSON, p, JSON_CT).total).toBe(2598);
    expect<i64>(read(GEMINI_SSE, p, SSE).total).toBe(36);
    expect<i64>(read(GEMINI_JSON_ARRAY, p, JSON_CT).total).toBe(36);
    expect<i64>(read(OLLAMA_NDJSON, p, "application/x-ndjson").total).toBe(308);
  });

  it("is what an unknown path gets", () => {
    expect(presetForPath("/llm/proxy").name).toBe("any");
  });

  it("reads a transcript as one body too", () => {
    const buf = String.UTF8.encode(OPENAI_CHAT_JSON);
    expect<i64>(readBytes(buf, preset("any"), JSON_CT, 1).total).toBe(1163);
  });
});

describe("cut streams", () => {
  it("report no Anthropic output before message_delta, so the text estimate applies", () => {
    const cut = ANTHROPIC_SSE.substring(0, ANTHROPIC_SSE.indexOf("event: message_delta"));
    const u = auto(cut, MESSAGES, SSE);
    expect<i64>(u.input).toBe(25);
    expect(u.hasOutput).toBe(false);
    expect<i64>(u.textBytes).toBe(6);
    expect<i64>(u.estimatedOutputTokens()).toBe(2);
  });

  it("keep the cumulative Gemini counts of the last complete chunk", () => {
    const cut = GEMINI_SSE.substring(0, GEMINI_SSE.lastIndexOf("data:") + 30);
    const u = auto(cut, GEMINI_STREAM + "?alt=sse", SSE);
    expect<i64>(u.total).toBe(21);
    expect<i64>(u.output).toBe(12);
  });
});
