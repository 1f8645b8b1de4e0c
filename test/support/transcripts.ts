// Real-shaped LLM responses, written from each provider's documented wire format: the
// event names, field order, `"usage": null` placeholders and line endings the APIs send.
// Each transcript names the request path that selects its provider and the usage it
// reports, so that a test can assert the exact charge. Bodies are plain text: JSON
// escapes (`\"`, `\n`, `\u00e9`) are written as the provider sends them.

/** The token counts a transcript reports (as the provider reports them). */
export interface ExpectedUsage {
  input: number;
  output: number;
  /** Total tokens: reported, or input + output when the provider reports none. */
  total: number;
  cached: number;
  reasoning: number;
}

export interface Transcript {
  name: string;
  /** Request path that selects the provider (with `usage.provider: auto`). */
  path: string;
  /** A request body that produces this response. */
  request: string;
  contentType: string;
  body: string;
  usage: ExpectedUsage;
}

/** `text` with every line ending turned into CRLF (JSON strings hold no raw newlines). */
export function crlf(text: string): string {
  return text.replace(/\r\n|\n/g, "\r\n");
}

/** `text` with every line ending turned into a bare CR (allowed by the SSE grammar). */
export function cr(text: string): string {
  return text.replace(/\r\n|\n/g, "\r");
}

const SSE = "text/event-stream";
const JSON_CT = "application/json";

function usage(input: number, output: number, total: number, cached = 0, reasoning = 0): ExpectedUsage {
  return { input, output, total, cached, reasoning };
}

// ---------------------------------------------------------------- OpenAI chat completions

/**
 * OpenAI chat completions, `stream: true` with `stream_options.include_usage`: every chunk
 * carries `"usage":null`; an extra last chunk has empty `choices` and the usage of the
 * whole request (a reasoning model: cached prompt tokens, reasoning tokens); then `[DONE]`.
 */
export const OPENAI_CHAT_STREAM: Transcript = {
  name: "OpenAI chat completions stream (include_usage)",
  path: "/v1/chat/completions",
  request: '{"model":"o4-mini","messages":[{"role":"user","content":"Write a haiku about coffee."}],"stream":true,"stream_options":{"include_usage":true}}',
  contentType: SSE,
  body: String.raw`data: {"id":"chatcmpl-C1x7","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-C1x7","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"Here is a \"haiku\":\n\n"},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-C1x7","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":"Caf\u00e9 steam rises \u2014 ☕"},"finish_reason":null}],"usage":null}

data: {"id":"chatcmpl-C1x7","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}

data: {"id":"chatcmpl-C1x7","object":"chat.completion.chunk","created":1754400000,"model":"o4-mini-2025-04-16","service_tier":"default","system_fingerprint":null,"choices":[],"usage":{"prompt_tokens":1117,"completion_tokens":846,"total_tokens":1963,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":768,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

data: [DONE]

`,
  usage: usage(1117, 846, 1963, 1024, 768),
};

/** The chunks of OPENAI_CHAT_STREAM before its usage chunk: what a stream without `include_usage` looks like. */
export const OPENAI_CHAT_STREAM_NO_USAGE: Transcript = {
  ...OPENAI_CHAT_STREAM,
  name: "OpenAI chat completions stream (no usage)",
  request: '{"model":"o4-mini","messages":[{"role":"user","content":"Write a haiku about coffee."}],"stream":true}',
  body: OPENAI_CHAT_STREAM.body.replace(/data: \{[^\n]*"choices":\[\],"usage":\{[^\n]*\n\n/, ""),
  usage: usage(0, 0, 0),
};

/** OpenAI chat completion, non-streaming. */
export const OPENAI_CHAT_JSON: Transcript = {
  name: "OpenAI chat completion (JSON)",
  path: "/v1/chat/completions",
  request: '{"model":"gpt-4o","messages":[{"role":"user","content":"Say hello."}],"max_completion_tokens":256}',
  contentType: "application/json",
  body: String.raw`{
  "id": "chatcmpl-C1x8",
  "object": "chat.completion",
  "created": 1754400001,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": "Hello! \"Bonjour\" \u2014 how can I help?",
        "refusal": null,
        "annotations": []
      },
      "logprobs": null,
      "finish_reason": "stop"
    }
  ],
  "usage": {
    "prompt_tokens": 52,
    "completion_tokens": 17,
    "total_tokens": 69,
    "prompt_tokens_details": {
      "cached_tokens": 0,
      "audio_tokens": 0
    },
    "completion_tokens_details": {
      "reasoning_tokens": 0,
      "audio_tokens": 0,
      "accepted_prediction_tokens": 0,
      "rejected_prediction_tokens": 0
    }
  },
  "service_tier": "default",
  "system_fingerprint": "fp_07871e2ad8"
}
`,
  usage: usage(52, 17, 69),
};

// ---------------------------------------------------------------- OpenAI Responses API

/**
 * OpenAI Responses API, `stream: true`: typed events (`event:` line plus a `data:` whose
 * `type` repeats it); usage only in `response.completed` as `response.usage`.
 */
export const RESPONSES_STREAM: Transcript = {
  name: "OpenAI Responses stream",
  path: "/v1/responses",
  request: '{"model":"gpt-5-mini","input":"Say hi.","stream":true,"max_output_tokens":600}',
  contentType: SSE,
  body: String.raw`event: response.created
data: {"type":"response.created","sequence_number":0,"response":{"id":"resp_68b1","object":"response","created_at":1756300000,"status":"in_progress","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":600,"model":"gpt-5-mini-2025-08-07","output":[],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":"medium","summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":null,"user":null,"metadata":{}}}

event: response.in_progress
data: {"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_68b1","object":"response","created_at":1756300000,"status":"in_progress","model":"gpt-5-mini-2025-08-07","output":[],"usage":null}}

event: response.output_item.added
data: {"type":"response.output_item.added","sequence_number":2,"output_index":1,"item":{"id":"msg_68b1","type":"message","status":"in_progress","content":[],"role":"assistant"}}

event: response.content_part.added
data: {"type":"response.content_part.added","sequence_number":3,"item_id":"msg_68b1","output_index":1,"content_index":0,"part":{"type":"output_text","annotations":[],"text":""}}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_68b1","output_index":1,"content_index":0,"delta":"Hi"}

event: response.output_text.delta
data: {"type":"response.output_text.delta","sequence_number":5,"item_id":"msg_68b1","output_index":1,"content_index":0,"delta":" there! \u2728"}

event: response.output_text.done
data: {"type":"response.output_text.done","sequence_number":6,"item_id":"msg_68b1","output_index":1,"content_index":0,"text":"Hi there! ✨"}

event: response.output_item.done
data: {"type":"response.output_item.done","sequence_number":7,"output_index":1,"item":{"id":"msg_68b1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hi there! ✨"}],"role":"assistant"}}

event: response.completed
data: {"type":"response.completed","sequence_number":8,"response":{"id":"resp_68b1","object":"response","created_at":1756300000,"status":"completed","model":"gpt-5-mini-2025-08-07","output":[{"id":"rs_68b1","type":"reasoning","summary":[]},{"id":"msg_68b1","type":"message","status":"completed","content":[{"type":"output_text","annotations":[],"text":"Hi there! ✨"}],"role":"assistant"}],"usage":{"input_tokens":412,"input_tokens_details":{"cached_tokens":256},"output_tokens":96,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":508},"user":null,"metadata":{}}}

`,
  usage: usage(412, 96, 508, 256, 64),
};

/** OpenAI Responses API, non-streaming. */
export const RESPONSES_JSON: Transcript = {
  name: "OpenAI Responses (JSON)",
  path: "/v1/responses",
  request: '{"model":"gpt-4.1","input":"Tell me a three sentence bedtime story about a unicorn."}',
  contentType: JSON_CT,
  body: String.raw`{"id":"resp_67ccd2bed1ec","object":"response","created_at":1741476542,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"type":"message","id":"msg_67ccd2bf17f0","status":"completed","role":"assistant","content":[{"type":"output_text","text":"In a peaceful grove beneath a silver moon, a unicorn named Lumina discovered a hidden pool.","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123},"user":null,"metadata":{}}`,
  usage: usage(36, 87, 123),
};

// ---------------------------------------------------------------- Anthropic messages

/**
 * Anthropic messages, `stream: true`: `message_start` carries `message.usage` (input and
 * cache counts; its `output_tokens` is a placeholder), `ping`s may appear anywhere,
 * `message_delta` carries the cumulative `usage.output_tokens`. Anthropic reports no
 * total: it is input + output (cache reads are separate, in `cached`).
 */
export const ANTHROPIC_STREAM: Transcript = {
  name: "Anthropic messages stream",
  path: "/v1/messages",
  request: '{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Hello"}]}',
  contentType: SSE,
  body: String.raw`event: message_start
data: {"type":"message_start","message":{"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":472,"cache_creation_input_tokens":0,"cache_read_input_tokens":2048,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: ping
data: {"type": "ping"}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"! I'm Claude \u2014 \"nice\" to meet you."}}

event: ping
data: {"type": "ping"}

event: content_block_stop
data: {"type":"content_block_stop","index":0}

event: message_delta
data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":187}}

event: message_stop
data: {"type":"message_stop"}

`,
  usage: usage(472, 187, 659, 2048),
};

/** Anthropic messages, non-streaming. */
export const ANTHROPIC_JSON: Transcript = {
  name: "Anthropic message (JSON)",
  path: "/v1/messages",
  request: '{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Hello, Claude"}]}',
  contentType: JSON_CT,
  body: String.raw`{"id":"msg_013Zva2CMHLNnXjNJJKqJ2EF","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"text","text":"Hi! My name is Claude."}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":503}}`,
  usage: usage(2095, 503, 2598),
};

// ---------------------------------------------------------------- Gemini

/**
 * Gemini `:streamGenerateContent?alt=sse`: `data:` lines only, CRLF line endings, every
 * chunk with cumulative `usageMetadata` (the last one wins); a thinking model, so the
 * total includes `thoughtsTokenCount`.
 */
export const GEMINI_STREAM: Transcript = {
  name: "Gemini streamGenerateContent (alt=sse)",
  path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
  request: '{"contents":[{"role":"user","parts":[{"text":"Write a story about a fox."}]}],"generationConfig":{"maxOutputTokens":2048}}',
  contentType: SSE,
  body: crlf(String.raw`data: {"candidates": [{"content": {"parts": [{"text": "The"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 1,"totalTokenCount": 98,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 86},"modelVersion": "gemini-2.5-flash","responseId": "mGOpaK3bH4-ZkdUPh5KZiQ8"}

data: {"candidates": [{"content": {"parts": [{"text": " quick brown fox jumps over the lazy dog.\n\n"}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 12,"totalTokenCount": 109,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 86},"modelVersion": "gemini-2.5-flash","responseId": "mGOpaK3bH4-ZkdUPh5KZiQ8"}

data: {"candidates": [{"content": {"parts": [{"text": "Then it naps \u2014 the end."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 11,"candidatesTokenCount": 24,"totalTokenCount": 121,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 11}],"thoughtsTokenCount": 86},"modelVersion": "gemini-2.5-flash","responseId": "mGOpaK3bH4-ZkdUPh5KZiQ8"}

`),
  usage: usage(11, 24, 121, 0, 86),
};

/** Gemini `:generateContent` (pretty-printed, as the API returns it). */
export const GEMINI_JSON: Transcript = {
  name: "Gemini generateContent (JSON)",
  path: "/v1beta/models/gemini-2.0-flash:generateContent",
  request: '{"contents":[{"parts":[{"text":"Explain how AI works in a few words"}]}]}',
  contentType: "application/json; charset=UTF-8",
  body: String.raw`{
  "candidates": [
    {
      "content": {
        "parts": [
          {
            "text": "AI learns patterns from data to make predictions.\n"
          }
        ],
        "role": "model"
      },
      "finishReason": "STOP",
      "avgLogprobs": -0.0936
    }
  ],
  "usageMetadata": {
    "promptTokenCount": 8,
    "candidatesTokenCount": 10,
    "totalTokenCount": 18,
    "cachedContentTokenCount": 4,
    "promptTokensDetails": [
      {
        "modality": "TEXT",
        "tokenCount": 8
      }
    ]
  },
  "modelVersion": "gemini-2.0-flash",
  "responseId": "e6s0aN7TB9ad1PIP1aDgsQE"
}
`,
  usage: usage(8, 10, 18, 4),
};

// ---------------------------------------------------------------- OpenAI-compatible servers

/**
 * vLLM's `/v1/chat/completions` with `stream_options: {include_usage: true,
 * continuous_usage_stats: true}`: every chunk carries the usage so far (vLLM's field
 * order), the final chunk with empty `choices` the whole request's.
 */
export const VLLM_STREAM: Transcript = {
  name: "vLLM chat completions stream (continuous usage)",
  path: "/v1/chat/completions",
  request: '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"Hi"}],"stream":true,"stream_options":{"include_usage":true,"continuous_usage_stats":true}}',
  contentType: SSE,
  body: String.raw`data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1754500000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":20,"total_tokens":20,"completion_tokens":0}}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1754500000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":{"prompt_tokens":20,"total_tokens":21,"completion_tokens":1}}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1754500000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"content":" there, friend!"},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":20,"total_tokens":25,"completion_tokens":5}}

data: {"id":"chatcmpl-9f2c","object":"chat.completion.chunk","created":1754500000,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[],"usage":{"prompt_tokens":20,"total_tokens":26,"completion_tokens":6}}

data: [DONE]

`,
  usage: usage(20, 6, 26),
};

/** vLLM's `/v1/chat/completions`, non-streaming (`prompt_tokens_details: null`). */
export const VLLM_JSON: Transcript = {
  name: "vLLM chat completion (JSON)",
  path: "/v1/chat/completions",
  request: '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"Hi"}]}',
  contentType: JSON_CT,
  body: String.raw`{"id":"chatcmpl-b0f5","object":"chat.completion","created":1754500001,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"message":{"role":"assistant","reasoning_content":null,"content":"Hello! How can I help you today?","tool_calls":[]},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":42,"total_tokens":51,"completion_tokens":9,"prompt_tokens_details":null},"prompt_logprobs":null,"kv_transfer_params":null}`,
  usage: usage(42, 9, 51),
};

/** Ollama's OpenAI-compatible `/v1/chat/completions`, streamed with `include_usage`. */
export const OLLAMA_STREAM: Transcript = {
  name: "Ollama /v1 chat completions stream",
  path: "/v1/chat/completions",
  request: '{"model":"llama3.2","messages":[{"role":"user","content":"Why is the sky blue?"}],"stream":true,"stream_options":{"include_usage":true}}',
  contentType: SSE,
  body: String.raw`data: {"id":"chatcmpl-412","object":"chat.completion.chunk","created":1754600000,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":"Rayleigh"},"finish_reason":null}]}

data: {"id":"chatcmpl-412","object":"chat.completion.chunk","created":1754600000,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":" scattering."},"finish_reason":null}]}

data: {"id":"chatcmpl-412","object":"chat.completion.chunk","created":1754600000,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":"stop"}]}

data: {"id":"chatcmpl-412","object":"chat.completion.chunk","created":1754600000,"model":"llama3.2","system_fingerprint":"fp_ollama","choices":[],"usage":{"prompt_tokens":31,"completion_tokens":9,"total_tokens":40}}

data: [DONE]

`,
  usage: usage(31, 9, 40),
};

/** Every streamed transcript. */
export const STREAMS: Transcript[] = [OPENAI_CHAT_STREAM, RESPONSES_STREAM, ANTHROPIC_STREAM, GEMINI_STREAM, VLLM_STREAM, OLLAMA_STREAM];
/** Every non-streaming transcript. */
export const JSON_BODIES: Transcript[] = [OPENAI_CHAT_JSON, RESPONSES_JSON, ANTHROPIC_JSON, GEMINI_JSON, VLLM_JSON];

// ---------------------------------------------------------------- streams that go wrong

/**
 * An Anthropic stream interrupted by an `error` event (the API's documented
 * `overloaded_error`) after some text: input was reported, output never was.
 */
export const ANTHROPIC_STREAM_ERROR: Transcript = {
  name: "Anthropic stream ending in an error event",
  path: "/v1/messages",
  request: ANTHROPIC_STREAM.request,
  contentType: SSE,
  body: String.raw`event: message_start
data: {"type":"message_start","message":{"id":"msg_01Q","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5-20250929","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":120,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}

event: content_block_start
data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

event: content_block_delta
data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"The answer, in short, is forty-two"}}

event: error
data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}

`,
  usage: usage(120, 0, 120),
};

/** An OpenAI-compatible server (vLLM) failing mid-stream: an error object, then `[DONE]`; no usage. */
export const VLLM_STREAM_ERROR: Transcript = {
  name: "vLLM stream ending in an error object",
  path: "/v1/chat/completions",
  request: '{"model":"meta-llama/Llama-3.1-8B-Instruct","messages":[{"role":"user","content":"Hi"}],"stream":true,"max_tokens":300}',
  contentType: SSE,
  body: String.raw`data: {"id":"chatcmpl-a11","object":"chat.completion.chunk","created":1754500002,"model":"meta-llama/Llama-3.1-8B-Instruct","choices":[{"index":0,"delta":{"role":"assistant","content":"Once upon a time, "},"logprobs":null,"finish_reason":null}]}

data: {"error": {"object": "error", "message": "The engine has died.", "type": "InternalServerError", "param": null, "code": 500}}

data: [DONE]

`,
  usage: usage(0, 0, 0),
};
