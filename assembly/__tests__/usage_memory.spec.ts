import { ResponseUsageReader, presetForPath, MODE_SSE, MODE_JSON } from "../usage/index";

// One 1 KiB run of OpenAI-style events (padded with a comment line to exactly 1024 bytes).
function kilobyteOfEvents(): ArrayBuffer {
  const ev = "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hello world\"}}],\"usage\":null}\n\n";
  let s = "";
  while (s.length + ev.length < 1000) s += ev;
  s += ":";
  while (s.length < 1023) s += "p";
  s += "\n";
  return String.UTF8.encode(s);
}

describe("memory", () => {
  it("stays flat over a 10 MB event stream", () => {
    const chunk = kilobyteOfEvents();
    expect(chunk.byteLength).toBe(1024);
    const reader = new ResponseUsageReader(presetForPath("/v1/chat/completions"));
    const last = String.UTF8.encode("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6,\"total_tokens\":11}}\n\ndata: [DONE]\n\n");
    reader.beginMode(MODE_SSE);
    reader.feed(changetype<usize>(chunk), 1024);
    const before = memory.size();
    for (let i = 0; i < 10 * 1024; i++) reader.feed(changetype<usize>(chunk), 1024);
    reader.feed(changetype<usize>(last), <usize>last.byteLength);
    expect(memory.size()).toBe(before);
    const u = reader.finish();
    expect<i64>(u.total).toBe(11);
    expect<i64>(u.bodyBytes).toBe(<i64>(10 * 1024 + 1) * 1024 + last.byteLength);
    expect<i64>(u.invalidEvents).toBe(0);
  });

  it("stays flat over a 10 MB JSON string", () => {
    const head = String.UTF8.encode("{\"choices\":[{\"message\":{\"content\":\"");
    const tail = String.UTF8.encode("\"}}],\"usage\":{\"total_tokens\":42}}");
    const unit = "lorem ipsum \\n \\\"quoted\\\" caf\\u00e9 ";
    let s = "";
    while (s.length + unit.length <= 1024) s += unit;
    while (s.length < 1024) s += " ";
    const body = String.UTF8.encode(s);
    const reader = new ResponseUsageReader(presetForPath("/v1/chat/completions"));
    reader.beginMode(MODE_JSON);
    reader.feed(changetype<usize>(head), <usize>head.byteLength);
    const before = memory.size();
    for (let i = 0; i < 10 * 1024; i++) reader.feed(changetype<usize>(body), 1024);
    reader.feed(changetype<usize>(tail), <usize>tail.byteLength);
    expect(memory.size()).toBe(before);
    const u = reader.finish();
    expect<i64>(u.total).toBe(42);
  });

  it("reuses a reader across responses without growing", () => {
    const reader = new ResponseUsageReader(presetForPath("/v1/chat/completions"));
    const body = String.UTF8.encode("{\"usage\":{\"total_tokens\":3}}");
    reader.begin("application/json");
    reader.feed(changetype<usize>(body), <usize>body.byteLength);
    reader.finish();
    __collect();
    const before = memory.size();
    for (let i = 0; i < 2000; i++) {
      reader.begin("application/json");
      reader.feed(changetype<usize>(body), <usize>body.byteLength);
      reader.finish();
    }
    __collect();
    expect(memory.size()).toBe(before);
  });
});
