import { Lexer, Tok } from "../cel/lexer";

function lex(src: string): Lexer {
  const l = new Lexer(String.UTF8.encode(src));
  l.next();
  return l;
}

function kinds(src: string): string {
  const l = new Lexer(String.UTF8.encode(src));
  const out = new Array<string>();
  for (let i = 0; i < 50; i++) {
    l.next();
    out.push((<i32>l.tok).toString());
    if (l.tok == Tok.EOF || l.tok == Tok.Error) break;
  }
  return out.join(",");
}

describe("cel lexer", () => {
  it("reads operators of one and two characters", () => {
    const l = new Lexer(String.UTF8.encode("<= < == != && || ! >="));
    const want: Tok[] = [Tok.Le, Tok.Lt, Tok.Eq, Tok.Ne, Tok.And, Tok.Or, Tok.Not, Tok.Ge, Tok.EOF];
    for (let i = 0; i < want.length; i++) { l.next(); expect(l.tok).toBe(want[i]); }
  });
  it("reads decimal and hex ints", () => {
    expect(lex("42").intVal).toBe(42);
    expect(lex("0xFF").intVal).toBe(255);
  });
  it("reads uints with either suffix case", () => {
    expect(lex("7u").tok).toBe(Tok.Uint);
    expect(lex("0x10U").intVal).toBe(16);
  });
  it("reads doubles with fraction, exponent or a leading dot", () => {
    expect(lex("2.5").dblVal).toBe(2.5);
    expect(lex("1e3").dblVal).toBe(1000.0);
    expect(lex(".5").dblVal).toBe(0.5);
  });
  it("keeps 2^63 as a magnitude only a minus sign can use", () => {
    const l = lex("9223372036854775808");
    expect(l.tok).toBe(Tok.Int);
    expect(l.intTooBig).toBe(true);
  });
  it("rejects integers beyond 64 bits", () => {
    expect(lex("18446744073709551616").tok).toBe(Tok.Error);
  });
  it("rejects a double literal that overflows to infinity", () => {
    expect(lex("1e999").tok).toBe(Tok.Error);
  });
  it("decodes every escape of a quoted string", () => {
    expect(lex("'\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\\"\\'\\`'").text).toBe("\x07\x08\x0c\n\r\t\x0b\\?\"'`");
  });
  it("decodes hex, octal and unicode escapes as code points", () => {
    expect(lex("'\\x41\\101\\u00e9\\U0001F431'").text).toBe("AAé🐱");
  });
  it("keeps backslashes in raw strings", () => {
    expect(lex("r'\\d+\\n'").text).toBe("\\d+\\n");
  });
  it("allows newlines and quotes inside triple-quoted strings", () => {
    expect(lex("'''a\n'b'\n'''").text).toBe("a\n'b'\n");
  });
  it("reads bytes literals with \\x and octal escapes as raw bytes", () => {
    const l = lex("b'\\xff\\000A'");
    expect(l.tok).toBe(Tok.Bytes);
    expect(l.bytesVal.byteLength).toBe(3);
    expect(load<u8>(changetype<usize>(l.bytesVal))).toBe(255);
  });
  it("encodes non-ASCII characters of a bytes literal as UTF-8", () => {
    expect(lex("b'ÿ'").bytesVal.byteLength).toBe(2);
  });
  it("rejects a newline in a single-quoted string", () => {
    expect(lex("'a\nb'").tok).toBe(Tok.Error);
  });
  it("rejects unknown escapes and surrogate code points", () => {
    expect(lex("'\\q'").tok).toBe(Tok.Error);
    expect(lex("'\\ud800'").tok).toBe(Tok.Error);
  });
  it("reports an unterminated string at its start", () => {
    const l = lex("  'abc");
    expect(l.tok).toBe(Tok.Error);
    expect(l.start).toBe(2);
  });
  it("skips line comments", () => {
    expect(kinds("1 // one\n+ 2")).toBe([<i32>Tok.Int, <i32>Tok.Plus, <i32>Tok.Int, <i32>Tok.EOF].join(","));
  });
  it("reads backquoted field names", () => {
    const l = new Lexer(String.UTF8.encode(".`content-type`"));
    l.next();
    l.next();
    expect(l.tok).toBe(Tok.QuotedIdent);
    expect(l.text).toBe("content-type");
  });
  it("recognizes keywords and identifiers", () => {
    expect(lex("in").tok).toBe(Tok.In);
    expect(lex("null").tok).toBe(Tok.Null);
    expect(lex("request_1").text).toBe("request_1");
  });
  it("rejects a single '=' '&' or '|'", () => {
    expect(lex("=").tok).toBe(Tok.Error);
    expect(lex("&").tok).toBe(Tok.Error);
    expect(lex("|").tok).toBe(Tok.Error);
  });
});
