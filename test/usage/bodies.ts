// Realistic LLM response bodies of a given size, for the usage tests and benchmark.

const WORDS = [
  "The", "model", "returns", "a", "token", "count", "for", "each", "request,", "and", "the", "gateway",
  "charges", "it", "against", "the", "caller's", "budget.", "Café", "naïve", "résumé", "—", "“quoted”",
  "😀", "数据", "`x = y\\z`", "\"hi\"", "\tindent", "<b>bold</b>", "100%", "e.g.",
];

/** Deterministic pseudo-random numbers (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Markdown-ish generated text of about `chars` characters: words, newlines, code, unicode. */
export function generatedText(chars: number, seed = 1): string {
  const r = rng(seed);
  const parts: string[] = [];
  let n = 0;
  let line = 0;
  while (n < chars) {
    const w = WORDS[Math.floor(r() * WORDS.length)];
    parts.push(w);
    n += w.length + 1;
    line += w.length + 1;
    if (line > 70 + r() * 20) {
      parts.push(r() < 0.2 ? "\n\n" : "\n");
      line = 0;
    } else {
      parts.push(" ");
    }
  }
  return parts.join("");
}

export const CHAT_USAGE = {
  prompt_tokens: 1117,
  completion_tokens: 262144,
  total_tokens: 263261,
  prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 },
  completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
};

/** A non-streaming chat completion whose content makes the body about `bytes` bytes. */
export function chatCompletionBody(bytes: number, seed = 1): string {
  const make = (content: string) => JSON.stringify({
    id: "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
    object: "chat.completion",
    created: 1741570283,
    model: "gpt-4o-2024-08-06",
    choices: [{
      index: 0,
      message: { role: "assistant", content, refusal: null, annotations: [] },
      logprobs: null,
      finish_reason: "stop",
    }],
    usage: CHAT_USAGE,
    service_tier: "default",
    system_fingerprint: "fp_fc9f1d7035",
  });
  // Size the content by UTF-8 bytes of the serialised body.
  let text = generatedText(bytes, seed);
  let body = make(text);
  const enc = new TextEncoder();
  let have = enc.encode(body).length;
  while (have > bytes && text.length > 0) {
    text = text.slice(0, Math.max(0, text.length - Math.ceil((have - bytes) / 2)));
    body = make(text);
    have = enc.encode(body).length;
  }
  return body;
}

/** The JSON payloads of an OpenAI chat stream with include_usage (about `bytes` of SSE in all). */
export function chatStreamPayloads(bytes: number, seed = 1): string[] {
  const r = rng(seed);
  const out: string[] = [];
  let n = 0;
  const chunk = (delta: object, finish: string | null, usage: object | null, choices = true) => JSON.stringify({
    id: "chatcmpl-AbC123xyz", object: "chat.completion.chunk", created: 1694268190, model: "gpt-4o-mini",
    system_fingerprint: "fp_44709d6fcb",
    choices: choices ? [{ index: 0, delta, logprobs: null, finish_reason: finish }] : [],
    usage,
  });
  out.push(chunk({ role: "assistant", content: "", refusal: null }, null, null));
  let tokens = 0;
  while (n < bytes - 400) {
    const w = (r() < 0.5 ? " " : "") + WORDS[Math.floor(r() * WORDS.length)] + (r() < 0.05 ? "\n" : "");
    const c = chunk({ content: w }, null, null);
    out.push(c);
    n += c.length + 8;
    tokens++;
  }
  out.push(chunk({}, "stop", null));
  out.push(chunk({}, null, { prompt_tokens: 9, completion_tokens: tokens, total_tokens: 9 + tokens }, false));
  return out;
}

/** The SSE stream of those payloads, ending with [DONE]. */
export function sseOf(payloads: string[], eol = "\n"): string {
  return payloads.map((p) => "data: " + p + eol + eol).join("") + "data: [DONE]" + eol + eol;
}
