import {
  presetForPath, presetByName, presetFor, PresetResolver, buildPreset, PRESET_NAMES, modeForContentType,
  MODE_JSON, MODE_SSE, MODE_NDJSON, MODE_SNIFF,
} from "../usage/index";
import { read } from "../usage/testing/helpers";

describe("presets", () => {
  it("recognises each API from its request path", () => {
    expect(presetForPath("/v1/chat/completions").name).toBe("openai");
    expect(presetForPath("/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21").name).toBe("openai");
    expect(presetForPath("/v1/completions").name).toBe("openai");
    expect(presetForPath("/v1/embeddings/").name).toBe("openai");
    expect(presetForPath("/v1/responses").name).toBe("openai-responses");
    expect(presetForPath("/v1/responses/resp_123").name).toBe("openai-responses");
    expect(presetForPath("/v1/messages").name).toBe("anthropic");
    expect(presetForPath("/v1beta/models/gemini-2.0-flash:generateContent").name).toBe("gemini");
    expect(presetForPath("/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse").name).toBe("gemini");
    expect(presetForPath("/v1/projects/p/locations/us/publishers/google/models/gemini-2.0-flash:streamGenerateContent").name).toBe("gemini");
    expect(presetForPath("/api/chat").name).toBe("ollama");
    expect(presetForPath("/api/generate").name).toBe("ollama");
    expect(presetForPath("/").name).toBe("any");
    expect(presetForPath("").name).toBe("any");
  });

  it("finds presets by name and resolves auto by path", () => {
    for (let i = 0; i < PRESET_NAMES.length; i++) {
      const p = presetByName(PRESET_NAMES[i]);
      expect(p != null).toBe(true);
      if (p != null) expect(p.name).toBe(PRESET_NAMES[i]);
    }
    expect(presetByName("bedrock") == null).toBe(true);
    const a = presetFor("auto", "/v1/messages");
    expect(a != null && a.name == "anthropic").toBe(true);
  });

  it("compiles every built-in path", () => {
    for (let i = 0; i < PRESET_NAMES.length; i++) {
      const p = presetByName(PRESET_NAMES[i]);
      if (p == null) continue;
      expect(p.jsonSpecs.length).toBeGreaterThan(0);
      expect(p.json.size).toBe(p.jsonSpecs.length);
      expect(p.sse.size).toBe(p.sseSpecs.length);
      expect(buildPreset(p.name, p.jsonSpecs, p.sseSpecs).error).toBe("");
    }
  });

  it("shares one instance per preset", () => {
    expect(presetForPath("/v1/chat/completions") === presetForPath("/v1/embeddings")).toBe(true);
  });

  it("maps content types to body modes", () => {
    expect(modeForContentType("text/event-stream")).toBe(MODE_SSE);
    expect(modeForContentType("Text/Event-Stream; charset=utf-8")).toBe(MODE_SSE);
    expect(modeForContentType("application/json")).toBe(MODE_JSON);
    expect(modeForContentType(" application/json ; charset=UTF-8")).toBe(MODE_JSON);
    expect(modeForContentType("application/problem+json")).toBe(MODE_JSON);
    expect(modeForContentType("application/x-ndjson")).toBe(MODE_NDJSON);
    expect(modeForContentType("")).toBe(MODE_SNIFF);
    expect(modeForContentType("text/plain")).toBe(MODE_SNIFF);
  });

  it("compares media types case-insensitively in ASCII only, as HTTP does", () => {
    expect(modeForContentType("APPLICATION/JSON")).toBe(MODE_JSON);
    expect(modeForContentType("application/vnd.api+JSON;x=1")).toBe(MODE_JSON);
    expect(modeForContentType("\ttext/event-stream\t")).toBe(MODE_SSE);
    expect(modeForContentType("application/jsonx")).toBe(MODE_SNIFF);
    expect(modeForContentType(";application/json")).toBe(MODE_SNIFF);
    // U+212A KELVIN SIGN lower-cases to "k" in Unicode, never in an HTTP token.
    expect(modeForContentType("application/x-ndjson".replace("x", "\u212A"))).toBe(MODE_SNIFF);
  });
});

describe("PresetResolver", () => {
  it("resolves auto per request path", () => {
    const r = new PresetResolver("auto");
    expect(r.error).toBe("");
    expect(r.forPath("/v1/messages").name).toBe("anthropic");
    expect(r.forPath("/v1/chat/completions").name).toBe("openai");
  });

  it("uses a named preset whatever the path", () => {
    const r = new PresetResolver("anthropic");
    expect(r.forPath("/v1/chat/completions").name).toBe("anthropic");
  });

  it("replaces only the overridden fields of a preset", () => {
    const r = new PresetResolver("openai", ["total=usage.billed_tokens"]);
    expect(r.error).toBe("");
    const u = read("{\"usage\":{\"prompt_tokens\":3,\"total_tokens\":9,\"billed_tokens\":20}}", r.forPath("/x"), "application/json");
    expect<i64>(u.total).toBe(20);
    expect<i64>(u.input).toBe(3);
  });

  it("applies overrides to the preset auto picks, in streams too", () => {
    const r = new PresetResolver("auto", ["output=usage.generated"]);
    const p = r.forPath("/v1/messages");
    expect(p.name).toBe("anthropic");
    expect(r.forPath("/v1/messages") === p).toBe(true);
    const u = read("data: {\"message\":{\"usage\":{\"input_tokens\":5}}}\n\ndata: {\"usage\":{\"output_tokens\":1,\"generated\":7}}\n\n",
      p, "text/event-stream");
    expect<i64>(u.output).toBe(7);
    expect<i64>(u.total).toBe(12);
  });

  it("reads only the given paths for provider custom", () => {
    const r = new PresetResolver("custom", ["total=/meta/tokens"]);
    const u = read("{\"meta\":{\"tokens\":14},\"usage\":{\"total_tokens\":1}}", r.forPath("/v1/chat/completions"), "application/json");
    expect<i64>(u.total).toBe(14);
  });

  it("reports configuration errors", () => {
    expect(new PresetResolver("custom").error.length).toBeGreaterThan(0);
    expect(new PresetResolver("bedrock").error.length).toBeGreaterThan(0);
    expect(new PresetResolver("auto", ["total=a..b"]).error.length).toBeGreaterThan(0);
    expect(new PresetResolver("openai", ["tokens=x"]).error.length).toBeGreaterThan(0);
  });
});

describe("usage path limits", () => {
  it("refuses paths whose wildcards would grow the trie past its node budget", () => {
    const stars = "*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*";
    const r = new PresetResolver("auto", ["total=" + stars]);
    expect(r.error).toBe("usage paths too complex (more than 4096 nodes; fewer '*' or index segments) (in 'total=" + stars + "')");
  });
  it("keeps a path with a few wildcards", () => {
    expect(new PresetResolver("custom", ["total=choices.*.usage.*.total"]).error).toBe("");
  });
});
