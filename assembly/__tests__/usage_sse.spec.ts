import { Usage, SCAN_OK, SCAN_INVALID, SCAN_INCOMPLETE, SCAN_EMPTY } from "../usage/index";
import {
  read, custom, preset, frame, firstFrameSplitMismatch, firstSplitMismatch, firstChunkMismatch,
} from "../usage/testing/helpers";

const SSE = "text/event-stream";
const TOTAL = custom(["total=usage.total_tokens", "text=t"]);

function sse(body: string): Usage {
  return read(body, TOTAL, SSE);
}

describe("SseFramer: lines and events", () => {
  it("dispatches an event at an empty line", () => {
    expect(frame("data: a\n\ndata: b\n\n")).toBe("[a];[b];");
  });

  it("treats LF, CRLF and CR line ends alike", () => {
    expect(frame("data: a\r\n\r\ndata: b\r\rdata: c\n\r\n")).toBe("[a];[b];[c];");
  });

  it("joins multi-line data with \\n", () => {
    expect(frame("data: {\ndata: \"a\": 1\r\ndata: }\n\n")).toBe("[{\n\"a\": 1\n}];");
  });

  it("drops exactly one space after the colon", () => {
    expect(frame("data:a\n\ndata:  b\n\n")).toBe("[a];[ b];");
  });

  it("reads a field without a colon as an empty value", () => {
    expect(frame("data\ndata\n\n")).toBe("[\n];");
  });

  it("ignores comments, id and retry", () => {
    expect(frame(": keep-alive\nid: 7\nretry: 1000\ndata: a\n:comment\n\n")).toBe("[a];");
  });

  it("reports the event type and resets it after each event", () => {
    expect(frame("event: message_start\ndata: a\n\ndata: b\n\n")).toBe("[a]message_start;[b];");
  });

  it("does not dispatch an event without data", () => {
    expect(frame("event: ping\n\ndata: a\n\n")).toBe("[a];");
  });

  it("skips a byte-order mark at the start of the stream", () => {
    expect(frame("\uFEFFdata: a\n\n")).toBe("[a];");
  });

  it("ignores a field name that merely starts like data", () => {
    expect(frame("datax: a\ndat: b\ndata: c\n\n")).toBe("[c];");
  });

  it("dispatches an event left without its empty line at the end", () => {
    expect(frame("data: a\n\ndata: b")).toBe("[a];[b];");
  });

  it("gives the same events at every split offset", () => {
    expect(firstFrameSplitMismatch("\uFEFFevent: x\r\ndata: a\r\n:c\r\ndata: b\r\rdata\nretry: 5\n\ndata:c\r\n\r\n")).toBe(-1);
  });

  it("joins a CR at the end of one chunk with the LF starting the next", () => {
    const s = "data: a\r\ndata: b\r\n\r\n";
    expect(frame(s, 0, [8])).toBe("[a\nb];");
    expect(frame(s, 0, [8, 17, 19])).toBe("[a\nb];");
  });

  it("gives the same events in 1-byte chunks", () => {
    expect(frame("event: e\r\ndata: {\"a\":1}\r\n\r\n", 1)).toBe("[{\"a\":1}]e;");
  });
});

describe("SSE usage", () => {
  it("reads usage from the event that has it", () => {
    const u = sse("data: {\"usage\":null}\n\ndata: {\"usage\":{\"total_tokens\":21}}\n\ndata: [DONE]\n\n");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(21);
    expect(u.sawDone).toBe(true);
    expect<i64>(u.events).toBe(3);
    expect(u.streaming).toBe(true);
  });

  it("does not let a later \"usage\": null clobber a count", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":21}}\n\ndata: {\"usage\":null}\n\n");
    expect<i64>(u.total).toBe(21);
  });

  it("lets the last event's count win", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":1}}\n\ndata: {\"usage\":{\"total_tokens\":2}}\n\n");
    expect<i64>(u.total).toBe(2);
  });

  it("reads JSON split over several data lines", () => {
    const u = sse("data: {\"usage\":\ndata: {\"total_tokens\":\ndata: 33}}\n\n");
    expect<i64>(u.total).toBe(33);
    expect(u.status).toBe(SCAN_OK);
  });

  it("ends a number at a data line break", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":12\ndata: }}\n\n");
    expect<i64>(u.total).toBe(12);
  });

  it("does not join a number across data lines", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":12\ndata: 3}}\n\n");
    expect(u.status).toBe(SCAN_INVALID);
    expect(u.hasUsage).toBe(false);
  });

  it("rejects a string broken across data lines", () => {
    const u = sse("data: {\"t\":\"a\ndata: b\"}\n\n");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.invalidEvents).toBe(1);
  });

  it("counts an invalid event and keeps reading the next ones", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":5}} junk\n\ndata: not json\n\ndata: {\"usage\":{\"total_tokens\":6}}\n\n");
    expect(u.status).toBe(SCAN_INVALID);
    expect<i64>(u.invalidEvents).toBe(2);
    expect<i64>(u.total).toBe(6);
    expect<i64>(u.errorOffset).toBe(35);
  });

  it("is not confused by data that only starts like [DONE]", () => {
    const u = sse("data: [DONE] \n\ndata: [DON\n\ndata: [DONE]x\n\n");
    expect(u.sawDone).toBe(false);
    expect<i64>(u.invalidEvents).toBe(3);
  });

  it("recognises [DONE] split across chunks", () => {
    const body = "data: {\"usage\":{\"total_tokens\":4}}\n\ndata: [DONE]\n\n";
    expect(firstSplitMismatch(body, TOTAL, SSE)).toBe(-1);
    expect(sse(body).sawDone).toBe(true);
  });

  it("reads usage when [DONE] is missing", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":4}}\n\n");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(4);
    expect(u.sawDone).toBe(false);
  });

  it("reads the last event when the stream ends without its empty line", () => {
    const u = sse("data: {\"t\":\"x\"}\n\ndata: {\"usage\":{\"total_tokens\":4}}");
    expect(u.status).toBe(SCAN_OK);
    expect<i64>(u.total).toBe(4);
  });

  it("reports a stream cut inside an event as incomplete", () => {
    const u = sse("data: {\"usage\":{\"total_tokens\":4}}\n\ndata: {\"usage\":{\"total_tok");
    expect(u.status).toBe(SCAN_INCOMPLETE);
    expect<i64>(u.total).toBe(4);
  });

  it("reports a stream without events as empty", () => {
    expect(sse(": only a comment\n\n").status).toBe(SCAN_EMPTY);
    expect(sse("").status).toBe(SCAN_EMPTY);
  });

  it("counts generated text in events", () => {
    const u = sse("data: {\"t\":\"ab\"}\n\ndata: {\"t\":\"c\\nd\"}\n\n");
    expect<i64>(u.textBytes).toBe(6);
    expect(u.hasUsage).toBe(false);
  });

  it("sniffs an event stream when the content type says nothing", () => {
    const u = read("data: {\"usage\":{\"total_tokens\":9}}\n\n", TOTAL, "");
    expect(u.streaming).toBe(true);
    expect<i64>(u.total).toBe(9);
  });

  it("gives the same result at every split of a tricky stream", () => {
    const body = "\uFEFF: hi\r\nevent: a\r\ndata: {\"t\":\"h\\u00e9\\n\",\r\ndata: \"usage\":{\"total_tokens\":12.0}}\r\r" +
      "data: {\"usage\":null}\n\ndata: [DONE]\r\n\r\n";
    expect<i64>(sse(body).total).toBe(12);
    expect(firstSplitMismatch(body, TOTAL, SSE)).toBe(-1);
    expect(firstChunkMismatch(body, TOTAL, SSE, 40)).toBe(-1);
  });

  it("uses the preset's event-stream paths, not its JSON paths", () => {
    const p = preset("openai-responses");
    const body = "data: {\"usage\":{\"total_tokens\":1},\"response\":{\"usage\":{\"total_tokens\":2}}}\n\n";
    expect<i64>(read(body, p, SSE).total).toBe(2);
    expect<i64>(read("{\"usage\":{\"total_tokens\":1},\"response\":{\"usage\":{\"total_tokens\":2}}}", p, "application/json").total).toBe(1);
  });
});
