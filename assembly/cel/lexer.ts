// CEL lexer over the UTF-8 bytes of an expression. It is pulled one token at a time by
// the parser and keeps the current token in its own fields, so lexing allocates only
// for identifier names and literal contents. Positions are byte offsets in the source.
// Errors set `tok = Tok.Error` with `message`; the lexer never traps.

export enum Tok {
  EOF, Error,
  Ident, QuotedIdent, Int, Uint, Double, String, Bytes,
  True, False, Null, In,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace,
  Dot, Comma, Colon, Question,
  Plus, Minus, Star, Slash, Percent, Not,
  Eq, Ne, Lt, Le, Gt, Ge, And, Or,
}

/** Words the grammar reserves; they may not name a variable or a global function. */
export function isReservedWord(s: string): bool {
  switch (s.length) {
    case 2: return s == "as" || s == "if";
    case 3: return s == "for" || s == "let" || s == "var";
    case 4: return s == "else" || s == "loop" || s == "void";
    case 5: return s == "break" || s == "const" || s == "while";
    case 6: return s == "import" || s == "return";
    case 7: return s == "package";
    case 8: return s == "continue" || s == "function";
    case 9: return s == "namespace";
  }
  return false;
}

@inline function isDigit(c: u32): bool { return c - 0x30 < 10; }
@inline function isIdentStart(c: u32): bool { return ((c | 0x20) - 0x61 < 26) || c == 0x5f; }
@inline function isIdentPart(c: u32): bool { return isIdentStart(c) || isDigit(c); }
@inline function hexVal(c: u32): i32 {
  if (c - 0x30 < 10) return <i32>(c - 0x30);
  const l = c | 0x20;
  if (l - 0x61 < 6) return <i32>(l - 0x61 + 10);
  return -1;
}

export class Lexer {
  private ptr: usize;
  private len: i32;
  private buf: ArrayBuffer; // keeps the bytes alive while `ptr` points into them
  pos: i32 = 0;

  tok: Tok = Tok.EOF;
  start: i32 = 0;
  end: i32 = 0;
  /** Identifier name, decoded string literal, or error message. */
  text: string = "";
  /** Int magnitude / uint value; `intTooBig` when above i64 max (only `-` can save it). */
  intVal: u64 = 0;
  intTooBig: bool = false;
  dblVal: f64 = 0;
  bytesVal: ArrayBuffer = new ArrayBuffer(0);

  constructor(src: ArrayBuffer) {
    this.buf = src;
    this.ptr = changetype<usize>(src);
    this.len = src.byteLength;
  }

  @inline private at(i: i32): u32 {
    return i < this.len ? <u32>load<u8>(this.ptr + <usize>i) : 0xffffffff;
  }

  private fail(pos: i32, msg: string): void {
    this.tok = Tok.Error;
    this.start = pos;
    this.message(msg);
  }

  private message(msg: string): void { this.text = msg; }

  /** Slice of the source as a string (identifiers, number text). */
  slice(from: i32, to: i32): string {
    if (from < 0) from = 0;
    if (to > this.len) to = this.len;
    if (to <= from) return "";
    return String.UTF8.decodeUnsafe(this.ptr + <usize>from, <usize>(to - from));
  }

  /** Advances to the next token. */
  next(): void {
    if (this.tok == Tok.Error) return; // errors are sticky
    this.skipSpace();
    const p = this.pos;
    this.start = p;
    if (p >= this.len) { this.tok = Tok.EOF; this.end = p; return; }
    const c = this.at(p);
    const c1 = this.at(p + 1);
    this.pos = p + 1;
    switch (c) {
      case 0x28: this.tok = Tok.LParen; break;
      case 0x29: this.tok = Tok.RParen; break;
      case 0x5b: this.tok = Tok.LBracket; break;
      case 0x5d: this.tok = Tok.RBracket; break;
      case 0x7b: this.tok = Tok.LBrace; break;
      case 0x7d: this.tok = Tok.RBrace; break;
      case 0x2c: this.tok = Tok.Comma; break;
      case 0x3a: this.tok = Tok.Colon; break;
      case 0x3f: this.tok = Tok.Question; break;
      case 0x2b: this.tok = Tok.Plus; break;
      case 0x2d: this.tok = Tok.Minus; break;
      case 0x2a: this.tok = Tok.Star; break;
      case 0x2f: this.tok = Tok.Slash; break;
      case 0x25: this.tok = Tok.Percent; break;
      case 0x2e:
        if (isDigit(c1)) { this.pos = p; this.lexNumber(); return; }
        this.tok = Tok.Dot; break;
      case 0x21:
        if (c1 == 0x3d) { this.pos = p + 2; this.tok = Tok.Ne; } else this.tok = Tok.Not;
        break;
      case 0x3d:
        if (c1 == 0x3d) { this.pos = p + 2; this.tok = Tok.Eq; }
        else { this.fail(p, "unexpected '=' (did you mean '=='?)"); return; }
        break;
      case 0x3c:
        if (c1 == 0x3d) { this.pos = p + 2; this.tok = Tok.Le; } else this.tok = Tok.Lt;
        break;
      case 0x3e:
        if (c1 == 0x3d) { this.pos = p + 2; this.tok = Tok.Ge; } else this.tok = Tok.Gt;
        break;
      case 0x26:
        if (c1 == 0x26) { this.pos = p + 2; this.tok = Tok.And; }
        else { this.fail(p, "unexpected '&' (did you mean '&&'?)"); return; }
        break;
      case 0x7c:
        if (c1 == 0x7c) { this.pos = p + 2; this.tok = Tok.Or; }
        else { this.fail(p, "unexpected '|' (did you mean '||'?)"); return; }
        break;
      case 0x22: case 0x27:
        this.pos = p; this.lexString(p, false, false); return;
      case 0x60:
        this.pos = p; this.lexQuotedIdent(); return;
      default:
        this.pos = p;
        if (isDigit(c)) { this.lexNumber(); return; }
        if (isIdentStart(c)) { this.lexIdentOrPrefixedString(); return; }
        this.fail(p, c >= 0x80 ? "unexpected character (only ASCII outside string literals)" : "unexpected character");
        return;
    }
    this.end = this.pos;
  }

  private skipSpace(): void {
    let i = this.pos;
    const n = this.len;
    while (i < n) {
      const c = <u32>load<u8>(this.ptr + <usize>i);
      if (c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d || c == 0x0c) { i++; continue; }
      if (c == 0x2f && this.at(i + 1) == 0x2f) {
        i += 2;
        while (i < n && load<u8>(this.ptr + <usize>i) != 0x0a) i++;
        continue;
      }
      break;
    }
    this.pos = i;
  }

  private lexIdentOrPrefixedString(): void {
    const p = this.pos;
    // String prefixes: r, b, and their combinations in either order and case.
    const c0 = this.at(p) | 0x20;
    const c1 = this.at(p + 1);
    if (c0 == 0x72 || c0 == 0x62) {
      if (c1 == 0x22 || c1 == 0x27) {
        this.pos = p + 1;
        this.lexString(p, c0 == 0x72, c0 == 0x62);
        return;
      }
      const c1l = c1 | 0x20;
      const c2 = this.at(p + 2);
      if ((c2 == 0x22 || c2 == 0x27) && ((c0 == 0x72 && c1l == 0x62) || (c0 == 0x62 && c1l == 0x72))) {
        this.pos = p + 2;
        this.lexString(p, true, true);
        return;
      }
    }
    let i = p + 1;
    while (isIdentPart(this.at(i))) i++;
    this.pos = i;
    this.end = i;
    const name = this.slice(p, i);
    this.text = name;
    if (name == "true") this.tok = Tok.True;
    else if (name == "false") this.tok = Tok.False;
    else if (name == "null") this.tok = Tok.Null;
    else if (name == "in") this.tok = Tok.In;
    else this.tok = Tok.Ident;
  }

  private lexQuotedIdent(): void {
    const p = this.pos;
    let i = p + 1;
    while (true) {
      const c = this.at(i);
      if (c == 0x60) break;
      // Backquoted field names allow letters, digits, '_', '.', '-', '/' and space.
      if (!(isIdentPart(c) || c == 0x2e || c == 0x2d || c == 0x2f || c == 0x20)) {
        this.fail(i, c == 0xffffffff ? "unterminated quoted identifier" : "invalid character in quoted identifier");
        return;
      }
      i++;
    }
    if (i == p + 1) { this.fail(p, "empty quoted identifier"); return; }
    this.text = this.slice(p + 1, i);
    this.pos = i + 1;
    this.end = this.pos;
    this.tok = Tok.QuotedIdent;
  }

  private lexNumber(): void {
    const p = this.pos;
    let i = p;
    // Hexadecimal integer.
    if (this.at(i) == 0x30 && (this.at(i + 1) | 0x20) == 0x78) {
      i += 2;
      let v: u64 = 0;
      let big = false;
      const first = i;
      while (hexVal(this.at(i)) >= 0) {
        if (v > 0x0fffffffffffffff) big = true;
        v = (v << 4) | <u64>hexVal(this.at(i));
        i++;
      }
      if (i == first) { this.fail(p, "invalid hex literal"); return; }
      this.finishInt(p, i, v, big);
      return;
    }
    while (isDigit(this.at(i))) i++;
    let isFloat = false;
    if (this.at(i) == 0x2e && isDigit(this.at(i + 1))) {
      isFloat = true;
      i++;
      while (isDigit(this.at(i))) i++;
    }
    const e = this.at(i) | 0x20;
    if (e == 0x65) {
      let j = i + 1;
      const s = this.at(j);
      if (s == 0x2b || s == 0x2d) j++;
      if (isDigit(this.at(j))) {
        while (isDigit(this.at(j))) j++;
        i = j;
        isFloat = true;
      } else {
        this.fail(p, "invalid exponent in number literal");
        return;
      }
    }
    if (isFloat) {
      this.pos = i;
      this.end = i;
      this.tok = Tok.Double;
      this.dblVal = parseFloat(this.slice(p, i));
      if (!isFinite(this.dblVal)) this.fail(p, "double literal out of range");
      else if (isIdentStart(this.at(i))) this.fail(i, "invalid number literal");
      return;
    }
    let v: u64 = 0;
    let big = false;
    for (let k = p; k < i; k++) {
      const d = <u64>(this.at(k) - 0x30);
      // v * 10 + d would overflow u64
      if (v > 1844674407370955161 || (v == 1844674407370955161 && d > 5)) big = true;
      v = v * 10 + d;
    }
    this.finishInt(p, i, v, big);
  }

  private finishInt(p: i32, i: i32, v: u64, overflowU64: bool): void {
    const s = this.at(i) | 0x20;
    if (s == 0x75) {
      i++;
      this.pos = i;
      this.end = i;
      if (overflowU64) { this.fail(p, "uint literal out of range"); return; }
      this.tok = Tok.Uint;
      this.intVal = v;
    } else {
      this.pos = i;
      this.end = i;
      if (overflowU64) { this.fail(p, "int literal out of range"); return; }
      this.tok = Tok.Int;
      this.intVal = v;
      this.intTooBig = v > <u64>i64.MAX_VALUE;
    }
    if (isIdentStart(this.at(i)) || (this.at(i) == 0x2e && isDigit(this.at(i + 1)))) this.fail(i, "invalid number literal");
  }

  // String and bytes literals. `p` is the token start (prefix included); this.pos is at
  // the opening quote.
  private lexString(p: i32, raw: bool, isBytes: bool): void {
    let i = this.pos;
    const q = this.at(i);
    const triple = this.at(i + 1) == q && this.at(i + 2) == q;
    i += triple ? 3 : 1;
    const out = new Array<u8>();
    let segStart = i;
    while (true) {
      if (i >= this.len) { this.fail(p, "unterminated string literal"); return; }
      const c = <u32>load<u8>(this.ptr + <usize>i);
      if (c == q) {
        if (!triple) break;
        if (this.at(i + 1) == q && this.at(i + 2) == q) break;
        i++;
        continue;
      }
      if (!triple && (c == 0x0a || c == 0x0d)) { this.fail(i, "newline in string literal"); return; }
      if (c == 0x5c) {
        if (raw) { i++; continue; } // raw strings have no escapes at all
        this.appendBytes(out, segStart, i);
        const r = this.lexEscape(out, i, isBytes);
        if (r < 0) return;
        i = r;
        segStart = i;
        continue;
      }
      i++;
    }
    this.appendBytes(out, segStart, i);
    this.pos = i + (triple ? 3 : 1);
    this.end = this.pos;
    const n = out.length;
    if (isBytes) {
      const b = new ArrayBuffer(n);
      for (let k = 0; k < n; k++) store<u8>(changetype<usize>(b) + <usize>k, unchecked(out[k]));
      this.bytesVal = b;
      this.tok = Tok.Bytes;
    } else {
      // `out` holds UTF-8: source bytes plus encoded escapes.
      this.text = n == 0 ? "" : String.UTF8.decodeUnsafe(out.dataStart, <usize>n);
      this.tok = Tok.String;
    }
  }

  private appendBytes(out: Array<u8>, from: i32, to: i32): void {
    for (let k = from; k < to; k++) out.push(load<u8>(this.ptr + <usize>k));
  }

  // Decodes the escape at `i` (a backslash) into `out`; returns the index after it, or
  // -1 after reporting an error.
  private lexEscape(out: Array<u8>, i: i32, isBytes: bool): i32 {
    const c = this.at(i + 1);
    switch (c) {
      case 0x5c: out.push(0x5c); return i + 2;
      case 0x3f: out.push(0x3f); return i + 2;
      case 0x22: out.push(0x22); return i + 2;
      case 0x27: out.push(0x27); return i + 2;
      case 0x60: out.push(0x60); return i + 2;
      case 0x61: out.push(0x07); return i + 2;
      case 0x62: out.push(0x08); return i + 2;
      case 0x66: out.push(0x0c); return i + 2;
      case 0x6e: out.push(0x0a); return i + 2;
      case 0x72: out.push(0x0d); return i + 2;
      case 0x74: out.push(0x09); return i + 2;
      case 0x76: out.push(0x0b); return i + 2;
      case 0x78: case 0x58: {
        const h = hexVal(this.at(i + 2));
        const l = hexVal(this.at(i + 3));
        if (h < 0 || l < 0) { this.fail(i, "invalid \\x escape"); return -1; }
        this.pushUnit(out, <u32>(h * 16 + l), isBytes);
        return i + 4;
      }
      case 0x75: case 0x55: {
        if (isBytes) { this.fail(i, "\\u escape in bytes literal"); return -1; }
        const digits = c == 0x75 ? 4 : 8;
        let v: u32 = 0;
        for (let k = 0; k < digits; k++) {
          const h = hexVal(this.at(i + 2 + k));
          if (h < 0) { this.fail(i, "invalid unicode escape"); return -1; }
          v = (v << 4) | <u32>h;
        }
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) { this.fail(i, "invalid unicode code point in escape"); return -1; }
        pushUtf8(out, v);
        return i + 2 + digits;
      }
      default: {
        if (c - 0x30 < 4) {
          const d1 = this.at(i + 2) - 0x30;
          const d2 = this.at(i + 3) - 0x30;
          if (d1 < 8 && d2 < 8) {
            this.pushUnit(out, ((c - 0x30) << 6) | (d1 << 3) | d2, isBytes);
            return i + 4;
          }
        }
        this.fail(i, "invalid escape sequence");
        return -1;
      }
    }
  }

  // \x and octal escapes are a byte in bytes literals and a code point in strings.
  private pushUnit(out: Array<u8>, v: u32, isBytes: bool): void {
    if (isBytes) out.push(<u8>v);
    else pushUtf8(out, v);
  }
}

/** Appends the UTF-8 encoding of code point `cp` (assumed valid). */
export function pushUtf8(out: Array<u8>, cp: u32): void {
  if (cp < 0x80) { out.push(<u8>cp); return; }
  if (cp < 0x800) {
    out.push(<u8>(0xc0 | (cp >> 6)));
    out.push(<u8>(0x80 | (cp & 0x3f)));
    return;
  }
  if (cp < 0x10000) {
    out.push(<u8>(0xe0 | (cp >> 12)));
    out.push(<u8>(0x80 | ((cp >> 6) & 0x3f)));
    out.push(<u8>(0x80 | (cp & 0x3f)));
    return;
  }
  out.push(<u8>(0xf0 | (cp >> 18)));
  out.push(<u8>(0x80 | ((cp >> 12) & 0x3f)));
  out.push(<u8>(0x80 | ((cp >> 6) & 0x3f)));
  out.push(<u8>(0x80 | (cp & 0x3f)));
}
