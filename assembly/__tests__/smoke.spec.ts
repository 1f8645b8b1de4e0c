import { parsePairs, serializePairs, Header } from "../abi/headers";

describe("header pairs", () => {
  it("round-trips names and values through Envoy's pairs layout", () => {
    const blob = serializePairs([new Header(":path", "/v1/chat"), new Header("x-a", "")]);
    expect(blob.byteLength).toBe(4 + 16 + 6 + 9 + 4 + 1);
    const back = parsePairs(blob);
    expect(back.length).toBe(2);
    expect(back[0].name).toBe(":path");
    expect(back[0].value).toBe("/v1/chat");
    expect(back[1].value).toBe("");
  });
  it("stops at a truncated blob instead of reading past it", () => {
    const blob = serializePairs([new Header("a", "b")]);
    expect(parsePairs(blob.slice(0, blob.byteLength - 2)).length).toBe(0);
  });
});
