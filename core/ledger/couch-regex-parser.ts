/**
 * The regular-expression dialect of CouchDB's Mango `$regex`. CouchDB runs
 * `re:run(Value, Regex, [{capture, none}])` (mango_selector.erl): Erlang's PCRE with no options, so
 * pattern and value are both plain bytes (the UTF-8 of the JSON strings), `.` matches one byte,
 * `\w` `\d` `\s` and case folding know only ASCII, and `$` also matches before a final newline.
 * This parses that dialect into a tree for the matcher in couch-regex.ts. The PCRE features that
 * need a different engine (recursion, conditionals, branch reset, backtracking verbs, Unicode
 * properties, UTF mode) are refused by name rather than matched differently.
 */

import { ANY, CLASS_ESCAPES, code, isDigit, NOT_NEWLINE, otherCase, PatternScanner, VSPACE } from './couch-regex-scanner';
import { fixedLength, type BackrefNode, type ParsedRegex, type RegexNode } from './couch-regex-tree';

export const MAX_PATTERN_BYTES = 32 * 1024;
const MAX_GROUP_NESTING = 250;
const MAX_REPEAT = 65535;

interface Flags {
  caseless: boolean;
  multiline: boolean;
  dotAll: boolean;
  extended: boolean;
  ungreedy: boolean;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,31}$/;
/** Start-of-pattern settings that change nothing in this dialect (LF is already the newline). */
const NEUTRAL_START_VERBS = new Set(['LF', 'NO_START_OPT', 'NO_AUTO_POSSESS', 'NO_DOTSTAR_ANCHOR', 'NO_JIT', 'LIMIT_RECURSION', 'LIMIT_DEPTH', 'LIMIT_HEAP']);
const IN_PATTERN_VERBS = new Set(['FAIL', 'F', 'ACCEPT', 'COMMIT', 'PRUNE', 'SKIP', 'THEN']);

export function parseCouchRegex(pattern: string): ParsedRegex {
  return new Parser(Buffer.from(pattern, 'utf8')).parse();
}

class Parser extends PatternScanner {
  private groups = 0;
  private nesting = 0;
  private matchLimit: number | undefined;
  private readonly names = new Map<string, number>();
  private readonly refs: { node: BackrefNode; name?: string; at: number }[] = [];

  parse(): ParsedRegex {
    if (this.src.length > MAX_PATTERN_BYTES) throw this.error(`pattern longer than ${MAX_PATTERN_BYTES} bytes`, MAX_PATTERN_BYTES);
    this.startVerbs();
    const root = this.alternation({ caseless: false, multiline: false, dotAll: false, extended: false, ungreedy: false });
    if (this.pos < this.src.length) throw this.error('unmatched closing parenthesis');
    for (const ref of this.refs) {
      if (ref.name !== undefined) {
        const group = this.names.get(ref.name);
        if (group === undefined) throw this.error(`reference to non-existent subpattern name "${ref.name}"`, ref.at);
        ref.node.group = group;
      }
      if (ref.node.group < 1 || ref.node.group > this.groups) throw this.error(`reference to non-existent subpattern ${ref.node.group}`, ref.at);
    }
    return { root, groups: this.groups, hasBackrefs: this.refs.length > 0, matchLimit: this.matchLimit };
  }

  /** `(*UTF)`, `(*LIMIT_MATCH=n)` and the like, only at the very start, as PCRE reads them. */
  private startVerbs(): void {
    for (;;) {
      const m = /^\(\*([A-Z_0-9]+)(?:=(\d+))?\)/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 40)));
      if (m === null || IN_PATTERN_VERBS.has(m[1])) return;
      const [whole, verb, n] = m;
      if (verb === 'LIMIT_MATCH' && n !== undefined) this.matchLimit = Math.min(this.matchLimit ?? Infinity, Number(n));
      else if (!NEUTRAL_START_VERBS.has(verb)) throw this.unsupported(`(*${verb})`, this.pos, 'CouchDB matches bytes, with LF newlines');
      this.pos += whole.length;
    }
  }

  /** Branches separated by `|` up to a `)` or the end; an option set in one branch holds for the later ones. */
  private alternation(outer: Flags): RegexNode {
    const flags = { ...outer };
    const branches = [this.sequence(flags)];
    while (this.eat('|')) branches.push(this.sequence(flags));
    return branches.length === 1 ? branches[0] : { kind: 'alt', branches };
  }

  private sequence(flags: Flags): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      this.skipExtended(flags);
      const c = this.peek();
      if (c === -1 || c === code('|') || c === code(')')) break;
      const start = this.pos;
      const atom = this.atom(flags);
      if (atom === undefined) continue;
      const last = Array.isArray(atom) ? atom.pop() : atom;
      if (Array.isArray(atom)) items.push(...atom);
      if (last === undefined) continue;
      this.skipExtended(flags);
      items.push(this.quantified(last, flags, start));
    }
    return items.length === 1 ? items[0] : { kind: 'seq', items };
  }

  private skipExtended(flags: Flags): void {
    if (!flags.extended) return;
    for (;;) {
      const c = this.peek();
      if ((c >= 0x09 && c <= 0x0d) || c === 0x20) this.pos++;
      else if (c === code('#')) while (this.pos < this.src.length && this.src[this.pos++] !== 0x0a);
      else return;
    }
  }

  /** `{n}`, `{n,}` or `{n,m}` at the cursor, or undefined when the brace is a literal. */
  private braces(): { min: number; max: number; length: number } | undefined {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 16)));
    if (m === null) return undefined;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT)) throw this.error(`number too big in {} quantifier (at most ${MAX_REPEAT})`);
    if (max < min) throw this.error('numbers out of order in {} quantifier');
    return { min, max, length: m[0].length };
  }

  private quantified(node: RegexNode, flags: Flags, start: number): RegexNode {
    let min: number;
    let max: number;
    const c = this.peek();
    if (c === code('*')) [min, max] = [0, Infinity];
    else if (c === code('+')) [min, max] = [1, Infinity];
    else if (c === code('?')) [min, max] = [0, 1];
    else {
      const b = c === code('{') ? this.braces() : undefined;
      if (b === undefined) return node;
      [min, max] = [b.min, b.max];
      this.pos += b.length - 1;
    }
    this.pos++;
    if (node.kind === 'assert') throw this.error('quantifier does not follow a repeatable item', start);
    let greedy = !flags.ungreedy;
    let possessive = false;
    if (this.eat('?')) greedy = !greedy;
    else if (this.eat('+')) possessive = true;
    // PCRE treats a repeated assertion as at most one occurrence of it.
    if (node.kind === 'lookahead' || node.kind === 'lookbehind') return min === 0 ? { kind: 'seq', items: [] } : node;
    const repeat: RegexNode = { kind: 'repeat', node, min, max, greedy: greedy || possessive };
    return possessive ? { kind: 'atomic', node: repeat } : repeat;
  }

  private literal(byte: number, flags: Flags): RegexNode {
    return { kind: 'char', byte, otherCase: flags.caseless ? otherCase(byte) : byte };
  }

  /** One item; undefined for items that match nothing (comments, option settings, `\E`, `\K`). */
  private atom(flags: Flags): RegexNode | RegexNode[] | undefined {
    const c = this.src[this.pos];
    switch (c) {
      case code('('):
        return this.group(flags);
      case code('['):
        this.pos++;
        return { kind: 'set', bytes: this.characterClass(flags.caseless) };
      case code('.'):
        this.pos++;
        return { kind: 'set', bytes: flags.dotAll ? ANY : NOT_NEWLINE };
      case code('^'):
        this.pos++;
        return { kind: 'assert', at: flags.multiline ? 'lineStart' : 'start' };
      case code('$'):
        this.pos++;
        return { kind: 'assert', at: flags.multiline ? 'lineEnd' : 'endOrFinalNewline' };
      case code('\\'):
        return this.escape(flags);
      case code('*'):
      case code('+'):
      case code('?'):
        throw this.error('quantifier does not follow a repeatable item');
      case code('{'):
        if (this.braces() !== undefined) throw this.error('quantifier does not follow a repeatable item');
        break;
    }
    this.pos++;
    return this.literal(c, flags);
  }

  private group(flags: Flags): RegexNode | undefined {
    const open = this.pos;
    if (++this.nesting > MAX_GROUP_NESTING) throw this.error(`parentheses nested deeper than ${MAX_GROUP_NESTING}`);
    try {
      this.pos++;
      if (this.peek() === code('*')) return this.verb();
      if (!this.eat('?')) return this.capture(flags, open);
      const c = this.peek();
      this.pos++;
      switch (c) {
        case code('#'):
          while (this.pos < this.src.length && this.src[this.pos] !== code(')')) this.pos++;
          this.expect(')', 'closing parenthesis of (?# comment');
          return undefined;
        case code(':'):
          return this.closed(this.alternation(flags), open);
        case code('>'):
          return { kind: 'atomic', node: this.closed(this.alternation(flags), open) };
        case code('='):
        case code('!'):
          return { kind: 'lookahead', negate: c === code('!'), node: this.closed(this.alternation(flags), open) };
        case code('<'):
          if (this.eat('=')) return this.lookbehind(flags, false, open);
          if (this.eat('!')) return this.lookbehind(flags, true, open);
          return this.capture(flags, open, this.name('>'));
        case code("'"):
          return this.capture(flags, open, this.name("'"));
        case code('P'):
          if (this.eat('<')) return this.capture(flags, open, this.name('>'));
          if (this.eat('=')) return this.backrefByName(this.name(')'), flags, open);
          throw this.unsupported('subroutine call (?P>name)', open);
        case code('|'):
          throw this.unsupported('branch reset group (?|...)', open);
        case code('('):
          throw this.unsupported('conditional group (?(...)...)', open);
        case code('R'):
        case code('&'):
        case code('+'):
          throw this.unsupported('recursion and subroutine calls', open);
        case code('C'):
          throw this.unsupported('callouts', open);
      }
      if (isDigit(c) || (c === code('-') && isDigit(this.peek()))) throw this.unsupported('recursion and subroutine calls', open);
      this.pos--;
      return this.options(flags, open);
    } finally {
      this.nesting--;
    }
  }

  private closed(node: RegexNode, open: number): RegexNode {
    if (!this.eat(')')) throw this.error('missing closing parenthesis', open);
    return node;
  }

  private capture(flags: Flags, open: number, name?: string): RegexNode {
    const index = ++this.groups;
    if (name !== undefined) {
      if (this.names.has(name)) throw this.error(`two named subpatterns have the same name "${name}"`, open);
      this.names.set(name, index);
    }
    return { kind: 'group', index, node: this.closed(this.alternation(flags), open) };
  }

  private name(terminator: string): string {
    const from = this.pos;
    while (this.pos < this.src.length && this.src[this.pos] !== code(terminator)) this.pos++;
    const name = this.text(from, this.pos);
    if (!this.eat(terminator) || !NAME.test(name)) throw this.error(`expected a group name (a letter or _, then up to 31 letters, digits or _) ending in ${terminator}`, from);
    return name;
  }

  private lookbehind(flags: Flags, negate: boolean, open: number): RegexNode {
    const node = this.closed(this.alternation(flags), open);
    const branches = (node.kind === 'alt' ? node.branches : [node]).map((b) => {
      const length = fixedLength(b);
      if (length === undefined) throw this.error('lookbehind assertion is not fixed length', open);
      return { node: b, length };
    });
    return { kind: 'lookbehind', negate, branches };
  }

  /** `(?i)` changes the rest of the enclosing group; `(?i:...)` only its own contents. */
  private options(flags: Flags, open: number): RegexNode | undefined {
    const next = { ...flags };
    let on = true;
    for (;;) {
      const c = this.peek();
      this.pos++;
      if (c === code(')')) {
        Object.assign(flags, next);
        return undefined;
      }
      if (c === code(':')) return this.closed(this.alternation(next), open);
      if (c === code('-') && on) on = false;
      else if (c === code('i')) next.caseless = on;
      else if (c === code('m')) next.multiline = on;
      else if (c === code('s')) next.dotAll = on;
      else if (c === code('x')) next.extended = on;
      else if (c === code('U')) next.ungreedy = on;
      else if (c === code('X')) { /* PCRE_EXTRA: unknown escapes are already errors here */ }
      else if (c === code('J')) throw this.unsupported('duplicate group names (?J)', open);
      else throw this.error('unrecognized character after (? or (?-', this.pos - 1);
    }
  }

  private verb(): RegexNode {
    const m = /^\*([A-Z]*)(?::[^)]*)?\)/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 64)));
    if (m !== null && (m[1] === 'FAIL' || m[1] === 'F')) {
      this.pos += m[0].length;
      return { kind: 'fail' };
    }
    if (m !== null && m[1] !== '') throw this.unsupported(`backtracking control verb (*${m[1]})`, this.pos - 1);
    throw this.error('quantifier does not follow a repeatable item');
  }

  private backref(group: number, flags: Flags, at: number, name?: string): RegexNode {
    const node: BackrefNode = { kind: 'backref', group, caseless: flags.caseless };
    this.refs.push({ node, name, at });
    return node;
  }

  private backrefByName(name: string, flags: Flags, at: number): RegexNode {
    return this.backref(0, flags, at, name);
  }

  private escape(flags: Flags): RegexNode | RegexNode[] | undefined {
    const at = this.pos++;
    if (this.pos >= this.src.length) throw this.error('\\ at end of pattern', at);
    const c = this.src[this.pos++];
    const ch = String.fromCharCode(c);
    if (CLASS_ESCAPES[ch] !== undefined) return { kind: 'set', bytes: CLASS_ESCAPES[ch] };
    switch (ch) {
      case 'N':
        if (this.peek() === code('{')) throw this.unsupported('\\N{...}', at);
        return { kind: 'set', bytes: NOT_NEWLINE };
      case 'C':
        return { kind: 'set', bytes: ANY };
      case 'R': {
        const crlf: RegexNode = { kind: 'seq', items: [this.literal(0x0d, { ...flags, caseless: false }), this.literal(0x0a, { ...flags, caseless: false })] };
        return { kind: 'atomic', node: { kind: 'alt', branches: [crlf, { kind: 'set', bytes: VSPACE }] } };
      }
      case 'b':
        return { kind: 'assert', at: 'wordBoundary' };
      case 'B':
        return { kind: 'assert', at: 'notWordBoundary' };
      case 'A':
      case 'G': // \G is the start offset, and re:run starts at 0
        return { kind: 'assert', at: 'start' };
      case 'z':
        return { kind: 'assert', at: 'end' };
      case 'Z':
        return { kind: 'assert', at: 'endOrFinalNewline' };
      case 'K': // moves the reported start of the match, which a yes/no test never sees
      case 'E':
        return undefined;
      case 'Q': {
        const items: RegexNode[] = [];
        while (this.pos < this.src.length && !(this.src[this.pos] === code('\\') && this.peek(1) === code('E'))) items.push(this.literal(this.src[this.pos++], flags));
        if (this.pos < this.src.length) this.pos += 2;
        return items;
      }
      case 'g':
        return this.gReference(flags, at);
      case 'k': {
        const close = { '<': '>', "'": "'", '{': '}' }[String.fromCharCode(this.peek())];
        if (close === undefined) throw this.error('\\k is not followed by <name>, \'name\' or {name}', at);
        this.pos++;
        return this.backrefByName(this.name(close), flags, at);
      }
    }
    if (c >= code('1') && c <= code('9')) {
      this.pos--;
      const from = this.pos;
      while (isDigit(this.peek())) this.pos++;
      const n = Number(this.text(from, this.pos));
      if (n < 10 || n <= this.groups) return this.backref(n, flags, at);
      this.pos = from + 1;
    }
    return this.literal(this.characterEscape(c, at), flags);
  }

  private gReference(flags: Flags, at: number): RegexNode {
    const braced = this.eat('{');
    if (!braced && (this.peek() === code('<') || this.peek() === code("'"))) throw this.unsupported('subroutine call \\g<...>', at);
    const from = this.pos;
    const m = /^-?\d+/.exec(this.text(this.pos, Math.min(this.src.length, this.pos + 8)));
    if (m === null) {
      if (!braced) throw this.error('\\g is not followed by a number or a {name}', at);
      return this.backrefByName(this.name('}'), flags, at);
    }
    this.pos += m[0].length;
    if (braced) this.expect('}', '} after \\g{number');
    const n = Number(m[0]);
    if (n === 0) throw this.error('a group reference must not be zero', from);
    return this.backref(n < 0 ? this.groups + 1 + n : n, flags, at);
  }
}
