import { compileRegex } from "../cel/regex";
import { show, compileError } from "../cel/testing/helpers";
import { MapResolver } from "../cel/resolver";
import { Value } from "../cel/value";

function m(pattern: string, text: string): i32 {
  const r = compileRegex(pattern);
  if (r.regex === null) return -2;
  return r.regex!.matches(text);
}

function unsupported(pattern: string): bool {
  return compileRegex(pattern).regex === null;
}

describe("cel regex", () => {
  it("searches anywhere in the text", () => {
    expect(m("ubb", "hubba")).toBe(1);
    expect(m("x", "hubba")).toBe(0);
  });
  it("anchors with ^ and $", () => {
    expect(m("^hu", "hubba")).toBe(1);
    expect(m("^ub", "hubba")).toBe(0);
    expect(m("ba$", "hubba")).toBe(1);
  });
  it("supports alternation, groups and repetition", () => {
    expect(m("^gr(a|e)y$", "grey")).toBe(1);
    expect(m("^ba(na)*$", "banana")).toBe(1);
    expect(m("^a+b?c*$", "aaac")).toBe(1);
  });
  it("supports counted repetition", () => {
    expect(m("^a{2,3}$", "aaa")).toBe(1);
    expect(m("^a{2,3}$", "aaaa")).toBe(0);
    expect(m("^(ab){2}$", "abab")).toBe(1);
  });
  it("supports classes, negation, ranges and Perl classes", () => {
    expect(m("^[a-c]+[^0-9]\\d\\w\\s$", "abcx5_ ")).toBe(1);
    expect(m("^[[:alpha:]]+$", "abcXYZ")).toBe(1);
  });
  it("matches code points, not UTF-16 units", () => {
    expect(m("^(a|😀){2}$", "😀a")).toBe(1);
    expect(m("^.$", "🐱")).toBe(1);
  });
  it("folds case with (?i)", () => {
    expect(m("(?i)^hello$", "HeLLo")).toBe(1);
  });
  it("does not let . match a newline unless (?s)", () => {
    expect(m("^a.b$", "a\nb")).toBe(0);
    expect(m("(?s)^a.b$", "a\nb")).toBe(1);
  });
  it("supports word boundaries", () => {
    expect(m("\\bfree\\b", "paid,free")).toBe(1);
    expect(m("\\bfree\\b", "freedom")).toBe(0);
  });
  it("rejects backreferences and lookaround", () => {
    expect(unsupported("(a)\\1")).toBe(true);
    expect(unsupported("a(?=b)")).toBe(true);
    expect(unsupported("(?<!a)b")).toBe(true);
  });
  it("rejects malformed patterns", () => {
    expect(unsupported("(a")).toBe(true);
    expect(unsupported("a**")).toBe(true);
    expect(unsupported("[z-a]")).toBe(true);
  });
  it("rejects repetition that expands past the instruction limit", () => {
    expect(unsupported("(a{1000}){1000}")).toBe(true);
  });
  it("rejects nested repetition of empty groups instead of looping over it", () => {
    expect(unsupported("((((){1000}){1000}){1000})")).toBe(true);
    expect(m("(){3}a", "ba")).toBe(1);
  });
  it("runs in linear time on patterns that make backtracking engines explode", () => {
    expect(m("^(a*)*b$", "a".repeat(5000))).toBe(0);
    expect(m("^(a|a)*$", "a".repeat(5000) + "!")).toBe(0);
  });
  it("is a compile error for a constant pattern in an expression", () => {
    expect(compileError("'a'.matches('(')").includes("invalid regular expression")).toBe(true);
  });
  it("is an evaluation error for a pattern computed at runtime", () => {
    expect(show("'a'.matches(p)", new MapResolver().set("p", Value.string("("))).startsWith("ERROR")).toBe(true);
    expect(show("'abc'.matches(p)", new MapResolver().set("p", Value.string("c$")))).toBe("true");
  });
});
