import { CouchRegexSyntaxError, type ByteSet } from './couch-regex-tree';

/**
 * Byte-level reading of a CouchDB `$regex` pattern: the cursor, the escapes that stand for one
 * byte, and character classes, all with PCRE's default ("C" locale) tables. The grammar above
 * them is couch-regex-parser.ts.
 */

export const code = (c: string): number => c.charCodeAt(0);
export const isDigit = (b: number): boolean => b >= 0x30 && b <= 0x39;
const isOctal = (b: number): boolean => b >= 0x30 && b <= 0x37;
const isAsciiAlnum = (b: number): boolean => isDigit(b) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
export const otherCase = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 32 : b >= 0x61 && b <= 0x7a ? b - 32 : b);

function byteSet(test: (b: number) => boolean): ByteSet {
  const set = new Uint8Array(256);
  for (let b = 0; b < 256; b++) if (test(b)) set[b] = 1;
  return set;
}
const complement = (s: ByteSet): ByteSet => byteSet((b) => s[b] === 0);

/** PCRE's default ("C" locale) tables: ASCII only. `\s` includes VT since PCRE 8.34. */
const DIGIT = byteSet(isDigit);
const WORD = byteSet((b) => isAsciiAlnum(b) || b === 0x5f);
const SPACE = byteSet((b) => (b >= 0x09 && b <= 0x0d) || b === 0x20);
const HSPACE = byteSet((b) => b === 0x09 || b === 0x20 || b === 0xa0);
export const VSPACE = byteSet((b) => (b >= 0x0a && b <= 0x0d) || b === 0x85);
export const ANY = byteSet(() => true);
export const NOT_NEWLINE = byteSet((b) => b !== 0x0a);
export const CLASS_ESCAPES: Record<string, ByteSet> = {
  d: DIGIT, D: complement(DIGIT), w: WORD, W: complement(WORD), s: SPACE, S: complement(SPACE),
  h: HSPACE, H: complement(HSPACE), v: VSPACE, V: complement(VSPACE),
};
const POSIX_CLASSES: Record<string, ByteSet> = {
  alpha: byteSet((b) => isAsciiAlnum(b) && !isDigit(b)),
  digit: DIGIT,
  alnum: byteSet(isAsciiAlnum),
  space: SPACE,
  upper: byteSet((b) => b >= 0x41 && b <= 0x5a),
  lower: byteSet((b) => b >= 0x61 && b <= 0x7a),
  punct: byteSet((b) => b > 0x20 && b < 0x7f && !isAsciiAlnum(b)),
  xdigit: byteSet((b) => isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66)),
  word: WORD,
  blank: byteSet((b) => b === 0x09 || b === 0x20),
  cntrl: byteSet((b) => b < 0x20 || b === 0x7f),
  graph: byteSet((b) => b > 0x20 && b < 0x7f),
  print: byteSet((b) => b >= 0x20 && b < 0x7f),
  ascii: byteSet((b) => b < 0x80),
};
const SIMPLE_ESCAPES: Record<string, number> = { a: 0x07, e: 0x1b, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09 };

function foldCase(set: ByteSet): ByteSet {
  const out = new Uint8Array(set);
  for (let b = 0x41; b <= 0x5a; b++) if (set[b] === 1 || set[b + 32] === 1) out[b] = out[b + 32] = 1;
  return out;
}

export abstract class PatternScanner {
  protected pos = 0;

  constructor(protected readonly src: Uint8Array) {}

  protected error(message: string, at = this.pos): CouchRegexSyntaxError {
    return new CouchRegexSyntaxError(message, at);
  }

  protected unsupported(what: string, at = this.pos, why?: string): CouchRegexSyntaxError {
    return this.error(`${what} is not supported in $regex${why === undefined ? '' : ` (${why})`}`, at);
  }

  protected peek(offset = 0): number {
    return this.pos + offset < this.src.length ? this.src[this.pos + offset] : -1;
  }

  protected eat(c: string): boolean {
    if (this.peek() !== code(c)) return false;
    this.pos++;
    return true;
  }

  protected expect(c: string, what: string): void {
    if (!this.eat(c)) throw this.error(`missing ${what}`);
  }

  protected text(from: number, to: number): string {
    return Buffer.from(this.src.subarray(from, to)).toString('latin1');
  }

  /** An escape that stands for one byte, outside or inside a class. */
  protected characterEscape(c: number, at: number): number {
    const ch = String.fromCharCode(c);
    if (SIMPLE_ESCAPES[ch] !== undefined) return SIMPLE_ESCAPES[ch];
    if (isOctal(c)) {
      let value = c - 0x30;
      for (let i = 0; i < 2 && isOctal(this.peek()); i++) value = value * 8 + (this.src[this.pos++] - 0x30);
      return this.byteValue(value, at);
    }
    if (ch === 'o') {
      const m = /^\{([0-7]+)\}/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 16)));
      if (m === null) throw this.error('\\o is not followed by {octal digits}', at);
      this.pos += m[0].length;
      return this.byteValue(parseInt(m[1], 8), at);
    }
    if (ch === 'x') {
      const m = /^(?:\{([0-9A-Fa-f]+)\}|[0-9A-Fa-f]{0,2})/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 16)));
      if (m === null || (m[0] === '' && this.peek() === code('{'))) throw this.error('\\x{ is not followed by hexadecimal digits and }', at);
      this.pos += m[0].length;
      return this.byteValue(m[0] === '' ? 0 : parseInt(m[1] ?? m[0], 16), at);
    }
    if (ch === 'c') {
      const x = this.peek();
      if (x < 0x20 || x > 0x7e) throw this.error('\\c must be followed by a printable ASCII character', at);
      this.pos++;
      return otherCase(x) === x ? x ^ 0x40 : (x & ~0x20) ^ 0x40;
    }
    if (ch === '8' || ch === '9') return c;
    if (ch === 'p' || ch === 'P' || ch === 'X') throw this.unsupported(`Unicode property escape \\${ch}`, at, 'CouchDB matches bytes');
    if (isAsciiAlnum(c)) throw this.error(`unrecognized escape \\${ch}`, at);
    return c;
  }

  protected byteValue(value: number, at: number): number {
    if (value > 0xff) throw this.error(`character value ${value} is above 255 (CouchDB matches bytes, not characters)`, at);
    return value;
  }

  /** After `[`; the members folded for case and complemented for `[^`, as PCRE does. */
  protected characterClass(caseless: boolean): ByteSet {
    const open = this.pos - 1;
    const set = new Uint8Array(256);
    const negate = this.eat('^');
    let first = true;
    for (;;) {
      if (this.pos >= this.src.length) throw this.error('missing terminating ] for character class', open);
      if (this.peek() === code(']') && !first) {
        this.pos++;
        break;
      }
      first = false;
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 16)));
      if (posix !== null) {
        const members = POSIX_CLASSES[posix[2]];
        if (members === undefined) throw this.error(`unknown POSIX class name "${posix[2]}"`);
        addAll(set, posix[1] === '^' ? complement(members) : members);
        this.pos += posix[0].length;
        continue;
      }
      if (/^\[[.=]/.test(this.text(this.pos, this.pos + 2))) throw this.unsupported('POSIX collating elements');
      if (this.peek() === code('\\') && this.peek(1) === code('Q')) {
        this.pos += 2;
        while (this.pos < this.src.length && !(this.peek() === code('\\') && this.peek(1) === code('E'))) set[this.src[this.pos++]] = 1;
        if (this.pos < this.src.length) this.pos += 2;
        continue;
      }
      const low = this.classMember();
      if (low === undefined) continue;
      if (typeof low !== 'number') {
        if (this.peek() === code('-') && this.peek(1) !== code(']')) throw this.error('invalid range in character class');
        addAll(set, low);
        continue;
      }
      if (this.peek() === code('-') && this.peek(1) !== code(']') && this.peek(1) !== -1) {
        const dash = this.pos++;
        const high = this.classMember();
        if (typeof high !== 'number') throw this.error('invalid range in character class', dash);
        if (high < low) throw this.error('range out of order in character class', dash);
        for (let b = low; b <= high; b++) set[b] = 1;
      } else set[low] = 1;
    }
    const folded = caseless ? foldCase(set) : set;
    return negate ? complement(folded) : folded;
  }

  /** One byte, a set (`\d`), or undefined for `\E`. */
  private classMember(): number | ByteSet | undefined {
    const c = this.src[this.pos++];
    if (c !== code('\\')) return c;
    const at = this.pos - 1;
    if (this.pos >= this.src.length) throw this.error('\\ at end of pattern', at);
    const e = this.src[this.pos++];
    const ch = String.fromCharCode(e);
    if (CLASS_ESCAPES[ch] !== undefined) return CLASS_ESCAPES[ch];
    if (ch === 'b') return 0x08;
    if (ch === 'E') return undefined;
    if ('BRXNAGzZKgk'.includes(ch)) throw this.error(`escape \\${ch} is not allowed in a character class`, at);
    return this.characterEscape(e, at);
  }
}

function addAll(set: ByteSet, members: ByteSet): void {
  for (let b = 0; b < 256; b++) if (members[b] === 1) set[b] = 1;
}
