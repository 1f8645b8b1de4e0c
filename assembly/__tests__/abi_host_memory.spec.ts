import { hostMalloc, hostFree, resultPtrSlot, resultSizeSlot, takeResult, takeResultString, dropResult } from "../abi/memory";
import { HOST_ARENA_BYTES, arenaLive, arenaUsed, inArena } from "../abi/host_arena";

function fill(p: usize, n: usize, byte: u8): void { memory.fill(p, byte, n); }
function allAre(p: usize, n: usize, byte: u8): bool {
  for (let i: usize = 0; i < n; i++) if (load<u8>(p + i) != byte) return false;
  return true;
}
/** What the host does: allocate through the guest, copy, and fill the result slots. */
function hostReturns(text: string): usize {
  const bytes = String.UTF8.encode(text);
  const p = hostMalloc(<usize>bytes.byteLength);
  memory.copy(p, changetype<usize>(bytes), <usize>bytes.byteLength);
  store<u32>(resultPtrSlot(), <u32>p);
  store<u32>(resultSizeSlot(), <u32>bytes.byteLength);
  return p;
}

describe("host memory", () => {
  it("answers a zero-size request with 0 and frees 0 as nothing", () => {
    expect<usize>(hostMalloc(0)).toBe(0);
    hostFree(0);
    expect<u32>(arenaLive()).toBe(0);
  });

  it("serves small blocks from the arena, 8-aligned and not overlapping", () => {
    const a = hostMalloc(1);
    const b = hostMalloc(13);
    const c = hostMalloc(8);
    expect(inArena(a) && inArena(b) && inArena(c)).toBe(true);
    expect<usize>(a & 7).toBe(0);
    expect<usize>(b & 7).toBe(0);
    expect<usize>(c & 7).toBe(0);
    expect<usize>(b - a).toBe(8);
    expect<usize>(c - b).toBe(16);
    fill(a, 1, 0xa1); fill(b, 13, 0xb2); fill(c, 8, 0xc3);
    expect(allAre(a, 1, 0xa1) && allAre(b, 13, 0xb2) && allAre(c, 8, 0xc3)).toBe(true);
    expect<u32>(arenaLive()).toBe(3);
    hostFree(a); hostFree(b); hostFree(c);
    expect<u32>(arenaLive()).toBe(0);
    expect<usize>(arenaUsed()).toBe(0);
  });

  it("starts over only when every block is freed, in any order", () => {
    const a = hostMalloc(100);
    const b = hostMalloc(100);
    const c = hostMalloc(100);
    hostFree(b);
    hostFree(a);
    // c is still held: the next block goes after it, never over it.
    fill(c, 100, 0x5c);
    const d = hostMalloc(100);
    expect<bool>(d > c).toBe(true);
    fill(d, 100, 0x5d);
    expect(allAre(c, 100, 0x5c)).toBe(true);
    hostFree(c);
    expect<usize>(arenaUsed()).toBeGreaterThan(0);
    hostFree(d);
    expect<usize>(arenaUsed()).toBe(0);
    expect<usize>(hostMalloc(100)).toBe(a);
    hostFree(a);
  });

  it("keeps a buffer held across other hostcalls intact (a body borrowed while counters are read)", () => {
    const body = hostMalloc(300);
    fill(body, 300, 0x42);
    for (let i = 0; i < 1000; i++) {
      const v = hostMalloc(<usize>(1 + i % 200));
      fill(v, <usize>(1 + i % 200), 0xee);
      hostFree(v);
    }
    expect(allAre(body, 300, 0x42)).toBe(true);
    hostFree(body);
    expect<u32>(arenaLive()).toBe(0);
  });

  it("fits a block of exactly the arena's size, and sends one byte more to the heap", () => {
    const whole = hostMalloc(HOST_ARENA_BYTES);
    expect(inArena(whole)).toBe(true);
    const next = hostMalloc(1);
    expect(inArena(next)).toBe(false);
    expect<usize>(next).not.toBe(0);
    hostFree(next);
    expect<u32>(arenaLive()).toBe(1);
    hostFree(whole);
    const big = hostMalloc(HOST_ARENA_BYTES + 1);
    expect(inArena(big)).toBe(false);
    fill(big, HOST_ARENA_BYTES + 1, 0x77);
    expect(allAre(big, HOST_ARENA_BYTES + 1, 0x77)).toBe(true);
    hostFree(big);
    expect<u32>(arenaLive()).toBe(0);
  });

  it("refuses sizes the heap can never serve with 0 instead of trapping", () => {
    expect<usize>(hostMalloc(<usize>u32.MAX_VALUE)).toBe(0);
    expect<usize>(hostMalloc(<usize>u32.MAX_VALUE - 7)).toBe(0);
    expect<usize>(hostMalloc(1 << 30)).toBe(0);
    expect<u32>(arenaLive()).toBe(0);
    expect<usize>(arenaUsed()).toBe(0);
  });

  it("falls back to the heap when the arena is full and resumes when it empties", () => {
    const blocks = new Array<usize>();
    for (let i = 0; i < 40; i++) blocks.push(hostMalloc(1000));
    let inside = 0;
    for (let i = 0; i < 40; i++) if (inArena(blocks[i])) inside++;
    expect(inside).toBe(<i32>(HOST_ARENA_BYTES / 1000));
    for (let i = 39; i >= 0; i--) hostFree(blocks[i]);
    expect<u32>(arenaLive()).toBe(0);
    const again = hostMalloc(1000);
    expect(inArena(again)).toBe(true);
    hostFree(again);
    expect<u32>(arenaLive()).toBe(0);
  });

  it("ignores a stray free when no block is outstanding", () => {
    const a = hostMalloc(16);
    hostFree(a);
    hostFree(a);
    expect<u32>(arenaLive()).toBe(0);
    const b = hostMalloc(16);
    const c = hostMalloc(16);
    expect<usize>(c - b).toBe(16);
    hostFree(b);
    hostFree(c);
  });

  it("moves a returned buffer out of the arena and frees it (takeResult, takeResultString, dropResult)", () => {
    hostReturns("hello");
    const raw = takeResult();
    expect(String.UTF8.decode(raw)).toBe("hello");
    expect<u32>(arenaLive()).toBe(0);
    hostReturns("content-type");
    expect(takeResultString()).toBe("content-type");
    expect<u32>(arenaLive()).toBe(0);
    hostReturns("unread");
    dropResult();
    expect<u32>(arenaLive()).toBe(0);
    expect<u32>(load<u32>(resultPtrSlot())).toBe(0);
  });
});

