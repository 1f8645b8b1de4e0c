import { show, evalFails, compileError } from "../cel/testing/helpers";
import { MAX_SOURCE_BYTES } from "../cel/limits";

describe("cel limits", () => {
  it("rejects a source longer than MAX_SOURCE_BYTES", () => {
    expect(compileError("'" + "a".repeat(MAX_SOURCE_BYTES) + "'").includes("too long")).toBe(true);
  });
  it("stops concatenation past the longest allowed string", () => {
    const grow = "('a' + string(x))" + ".replace('a', 'aaaaaaaaaa')".repeat(7);
    expect(show("[1].map(x, " + grow + ").size()").startsWith("ERROR")).toBe(true);
  });
  it("stops an evaluation that produces too much in total", () => {
    const grow = "('a' + string(i))" + ".replace('a', 'aaaaaaaaaa')".repeat(6);
    expect(evalFails("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(i, " + grow + ").size() == 10")).toBe(true);
  });
  it("stops comprehensions after the iteration limit", () => {
    const list = "[" + "0,".repeat(499) + "0]";
    expect(evalFails(list + ".all(a, " + list + ".all(b, true))")).toBe(true);
  });
  it("allows work within the limits", () => {
    const list = "[" + "0,".repeat(99) + "0]";
    expect(show(list + ".all(a, " + list + ".all(b, a == b || a != b))")).toBe("true");
  });
});
