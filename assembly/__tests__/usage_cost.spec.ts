import {
  Usage, CostWeights, costOf, tokenKindByName, TokenKind, usageToFields,
  USAGE_FIELD_NAMES, usageFieldValue, roundUpClamped,
} from "../usage/index";

const MAX: i64 = 0x7FFFFFFFFFFFFFFF;

function usage(input: i64, output: i64, total: i64, cached: i64 = 0, reasoning: i64 = 0): Usage {
  const u = new Usage();
  u.input = input;
  u.output = output;
  u.total = total;
  u.cached = cached;
  u.reasoning = reasoning;
  u.hasUsage = true;
  return u;
}

describe("costOf", () => {
  it("charges total tokens by default", () => {
    const u = usage(10, 5, 15);
    expect<i64>(costOf(u, null, TokenKind.Total)).toBe(15);
    expect<i64>(costOf(u, new CostWeights(), TokenKind.Total)).toBe(15);
  });

  it("charges input or output tokens for limits that count them", () => {
    const u = usage(10, 5, 15);
    expect<i64>(costOf(u, null, TokenKind.Input)).toBe(10);
    expect<i64>(costOf(u, null, TokenKind.Output)).toBe(5);
  });

  it("weighs counts and rounds up", () => {
    const u = usage(10, 5, 15, 4, 2);
    expect<i64>(costOf(u, CostWeights.of(1, 4), TokenKind.Total)).toBe(30);
    expect<i64>(costOf(u, CostWeights.of(0.01, 0), TokenKind.Total)).toBe(1);
    expect<i64>(costOf(u, CostWeights.of(1, 4, 0, -0.5), TokenKind.Total)).toBe(28);
    expect<i64>(costOf(u, CostWeights.of(0, 0, 1), TokenKind.Total)).toBe(15);
  });

  it("weighs only one side's counts for input and output limits", () => {
    const u = usage(10, 5, 15, 4, 2);
    const w = CostWeights.of(1, 3, 100, 0.5, 2);
    expect<i64>(costOf(u, w, TokenKind.Input)).toBe(12);
    expect<i64>(costOf(u, w, TokenKind.Output)).toBe(19);
  });

  it("never goes negative", () => {
    expect<i64>(costOf(usage(10, 5, 15, 30), CostWeights.of(1, 0, 0, -1), TokenKind.Total)).toBe(0);
    expect<i64>(costOf(usage(-3, 0, -3), null, TokenKind.Total)).toBe(0);
  });

  it("saturates instead of overflowing", () => {
    const u = usage(MAX, MAX, MAX);
    expect<i64>(costOf(u, CostWeights.of(1000, 1000, 1000), TokenKind.Total)).toBe(MAX);
    expect<i64>(costOf(u, CostWeights.of(Infinity, 0), TokenKind.Total)).toBe(MAX);
    expect<i64>(costOf(u, null, TokenKind.Total)).toBe(MAX);
  });

  it("turns NaN into zero instead of trapping", () => {
    const u = usage(10, 5, 15);
    expect<i64>(costOf(u, CostWeights.of(NaN, 1), TokenKind.Total)).toBe(0);
    expect<i64>(costOf(u, CostWeights.of(Infinity, -Infinity), TokenKind.Total)).toBe(0);
    expect<i64>(roundUpClamped(NaN)).toBe(0);
    expect<i64>(roundUpClamped(1e300)).toBe(MAX);
    expect<i64>(roundUpClamped(2.0000001)).toBe(3);
  });

  it("ignores a zero weight even for a saturated count", () => {
    expect<i64>(costOf(usage(MAX, 2, MAX), CostWeights.of(0, 1), TokenKind.Total)).toBe(2);
  });

  it("parses limit kinds", () => {
    expect(tokenKindByName("total")).toBe(TokenKind.Total);
    expect(tokenKindByName("input")).toBe(TokenKind.Input);
    expect(tokenKindByName("output")).toBe(TokenKind.Output);
    expect(tokenKindByName("tokens")).toBe(-1);
  });
});

describe("usageToFields", () => {
  it("names every count under OpenAI and Responses-style names", () => {
    const f = usageToFields(usage(10, 5, 15, 4, 2));
    expect(f.length).toBe(USAGE_FIELD_NAMES.length);
    expect(f[0].name).toBe("prompt_tokens");
    expect<i64>(f[0].value).toBe(10);
    expect(f[1].name).toBe("completion_tokens");
    expect<i64>(f[1].value).toBe(5);
    expect(f[2].name).toBe("total_tokens");
    expect<i64>(f[2].value).toBe(15);
    expect<i64>(f[3].value).toBe(10);
    expect<i64>(f[4].value).toBe(5);
    expect(f[5].name).toBe("cached_tokens");
    expect<i64>(f[5].value).toBe(4);
    expect(f[6].name).toBe("reasoning_tokens");
    expect<i64>(f[6].value).toBe(2);
    expect<i64>(usageFieldValue(usage(1, 1, 2), 99)).toBe(0);
  });
});
