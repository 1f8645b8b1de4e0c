import { parse } from "../cel/parser";
import { Expr, ExprKind, OpCode, Macro } from "../cel/ast";
import { MAX_DEPTH } from "../cel/limits";
import { compileError, compilePosition } from "../cel/testing/helpers";

function ast(src: string): Expr {
  const r = parse(String.UTF8.encode(src));
  return r.expr!;
}

function parseError(src: string): string {
  return parse(String.UTF8.encode(src)).error;
}

describe("cel parser", () => {
  it("gives * precedence over +", () => {
    const e = ast("1 + 2 * 3");
    expect(e.op).toBe(OpCode.Add);
    expect(e.args[1].op).toBe(OpCode.Mul);
  });
  it("associates - to the left", () => {
    const e = ast("5 - 2 - 1");
    expect(e.op).toBe(OpCode.Sub);
    expect(e.args[0].op).toBe(OpCode.Sub);
  });
  it("flattens || chains into one node", () => {
    const e = ast("a || b || c || d");
    expect(e.op).toBe(OpCode.Or);
    expect(e.args.length).toBe(4);
  });
  it("binds && tighter than ||", () => {
    const e = ast("a || b && c");
    expect(e.op).toBe(OpCode.Or);
    expect(e.args[1].op).toBe(OpCode.And);
  });
  it("parses the conditional with a right-nested else branch", () => {
    const e = ast("a ? b : c ? d : e");
    expect(e.op).toBe(OpCode.Cond);
    expect(e.args[2].op).toBe(OpCode.Cond);
  });
  it("folds a minus sign into the smallest int literal", () => {
    const e = ast("-9223372036854775808");
    expect(e.kind).toBe(ExprKind.Literal);
    expect(e.value!.i).toBe(i64.MIN_VALUE);
  });
  it("parses member selection, indexing and receiver calls", () => {
    const e = ast("a.b['c'].size()");
    expect(e.kind).toBe(ExprKind.Call);
    expect(e.name).toBe("size");
    expect(e.target!.op).toBe(OpCode.Index);
  });
  it("expands exists into a comprehension", () => {
    const e = ast("xs.exists(x, x > 1)");
    expect(e.kind).toBe(ExprKind.Comprehension);
    expect(e.macro).toBe(Macro.Exists);
    expect(e.iterVar).toBe("x");
  });
  it("expands the three-argument map into map-with-filter", () => {
    expect(ast("xs.map(x, x > 1, x * 2)").macro).toBe(Macro.MapFilter);
  });
  it("expands has() into a presence test", () => {
    const e = ast("has(a.b)");
    expect(e.kind).toBe(ExprKind.Select);
    expect(e.testOnly).toBe(true);
  });
  it("rejects has() of a plain identifier", () => {
    expect(parseError("has(a)").length > 0).toBe(true);
  });
  it("rejects a macro variable that is not a simple name", () => {
    expect(parseError("xs.all(a.b, true)").length > 0).toBe(true);
  });
  it("accepts trailing commas in list and map literals", () => {
    expect(ast("[1, 2,]").args.length).toBe(2);
    expect(ast("{1: 2,}").args.length).toBe(2);
  });
  it("rejects reserved words as identifiers but not as field names", () => {
    expect(parseError("while").length > 0).toBe(true);
    expect(parseError("a.while").length).toBe(0);
  });
  it("keeps a leading dot on a root-scoped name", () => {
    expect(ast(".a.b").target!.name).toBe(".a");
  });
  it("reports the byte offset of an unexpected token", () => {
    expect(compilePosition("1 + )")).toBe(4);
  });
  it("reports positions in bytes after multi-byte characters", () => {
    expect(compilePosition("'é' + )")).toBe(7);
  });
  it("rejects trailing tokens", () => {
    expect(compileError("1 2").length > 0).toBe(true);
  });
  it("rejects message construction", () => {
    expect(parseError("Msg{a: 1}")).toBe("message construction is not supported");
  });
  it("accepts nesting up to the depth limit", () => {
    const depth = MAX_DEPTH - 1;
    expect(parseError("(".repeat(depth) + "1" + ")".repeat(depth))).toBe("");
  });
  it("rejects nesting beyond the depth limit with an error", () => {
    const deep = "[".repeat(MAX_DEPTH + 1) + "1" + "]".repeat(MAX_DEPTH + 1);
    expect(parseError(deep).includes("nested too deeply")).toBe(true);
  });
  it("bounds long operator chains by depth, not by stack", () => {
    expect(parseError("1" + " + 1".repeat(5000)).includes("nested too deeply")).toBe(true);
  });
  it("rejects an oversized source", () => {
    expect(compileError("1" + " ".repeat(20000)).includes("too long")).toBe(true);
  });
});
