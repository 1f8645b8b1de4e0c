// What the filter benchmarks share: the median of interleaved rounds, and real-shaped
// responses of an exact size.
import { chatResponse } from "../fixtures/llm.ts";

/** The median of `xs` (the upper one of an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** A chat completion of exactly `size` bytes reporting 100 tokens. */
export function responseOf(size: number): string {
  const body = chatResponse(100, "x".repeat(size - chatResponse(100, "").length));
  if (body.length !== size) throw new Error(`response of ${body.length} bytes, wanted ${size}`);
  return body;
}
