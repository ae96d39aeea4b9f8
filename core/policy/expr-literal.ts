/**
 * The part of expr-lang (github.com/expr-lang/expr v1.17, which Fabric's `policydsl.FromString`
 * evaluates policies with since it replaced govaluate) that a policy needs: calls, strings, numbers,
 * `true`/`false`/`nil`, identifiers, parentheses, unary `+`/`-`, comments, arithmetic on numbers
 * (`+`, `-`, `*`, `/`, `%`) and `+` on strings, folded as expr's optimizer folds constants
 * (`optimizer/fold.go`): int64 wrapping for integers, float64 once a float or `/` is involved.
 * Tokens are read by expr's own rules (its whitespace, its escapes, its number formats, a trailing
 * comma in a call) so that what parses here parses there and means the same. Every other construct
 * of the language (other operators, `and`/`or` keywords, arrays, maps,
 * member access, `;` sequences) is refused with {@link ExprUnsupported}: Fabric would compute
 * something from it, Weft does not.
 */

/** A parsed literal expression. Integers are Go `int` (int64), kept exactly as bigint. */
export type ExprNode =
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly ExprNode[]; readonly pos: number }
  | { readonly kind: 'ident'; readonly name: string; readonly pos: number }
  | { readonly kind: 'string'; readonly value: string; readonly pos: number }
  | { readonly kind: 'int'; readonly value: bigint; readonly pos: number }
  | { readonly kind: 'float'; readonly value: number; readonly pos: number }
  | { readonly kind: 'bool'; readonly value: boolean; readonly pos: number }
  | { readonly kind: 'nil'; readonly pos: number };

/** Syntax expr-lang itself refuses: Fabric's parser refuses the policy too. */
export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    readonly pos: number,
    readonly token: string,
  ) {
    super(message);
  }
}

/** A construct expr-lang evaluates that Weft's policy parser does not: Fabric might accept the policy. */
export class ExprUnsupported extends ExprSyntaxError {}

type Token =
  | { kind: 'ident' | 'string' | 'number' | 'op'; text: string; value: string; pos: number }
  | { kind: '(' | ')' | ','; text: string; value: string; pos: number }
  | { kind: 'eof'; text: ''; value: ''; pos: number };

const MAX_INT64 = 2n ** 63n - 1n;
/** The arithmetic operators folded here, with expr's precedence (`parser/operator`); all associate left. */
const ARITHMETIC: Readonly<Record<string, number>> = { '+': 30, '-': 30, '*': 60, '/': 60, '%': 60 };
/** expr's precedence of unary `+`/`-`: `-2 * 3` is `(-2) * 3`. */
const UNARY_PRECEDENCE = 90;
/** expr's keyword operators: `and(...)` is the operator `and`, not a call. */
const KEYWORD_OPERATORS = new Set(['not', 'in', 'or', 'and', 'matches', 'contains', 'startsWith', 'endsWith', 'let', 'if', 'else']);
/** Go's `unicode.IsSpace`. */
const SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const ALNUM = /[\p{L}\p{Nd}_$]/u;

function isSpace(c: string): boolean {
  return SPACE.test(c);
}
function isAlnum(c: string | undefined): boolean {
  return c !== undefined && ALNUM.test(c);
}

/** Go's `unescape` of a quoted string, after expr's scan accepted its escapes; throws on a bad one. */
function unescape(body: string, quote: string, pos: number): string {
  let out = '';
  const s = body.replace(/\r\n|\r/g, '\n');
  const bad = (): never => {
    throw new ExprSyntaxError('invalid char escape', pos, quote + body + quote);
  };
  const hex = (digits: string, n: number): number => {
    if (digits.length < n || !/^[0-9a-fA-F]+$/.test(digits.slice(0, n))) bad();
    return parseInt(digits.slice(0, n), 16);
  };
  // Go's utf8.EncodeRune writes U+FFFD for a surrogate.
  const rune = (v: number): string => (v > 0x10ffff ? bad() : v >= 0xd800 && v <= 0xdfff ? '\ufffd' : String.fromCodePoint(v));
  let i = 0;
  const cps = [...s];
  while (i < cps.length) {
    const c = cps[i++];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = cps[i++];
    const rest = cps.slice(i, i + 10).join('');
    switch (e) {
      case 'a': out += '\x07'; break;
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'v': out += '\v'; break;
      case '\\': out += '\\'; break;
      case quote: out += quote; break;
      case 'x': out += rune(hex(rest, 2)); i += 2; break;
      case 'U': out += rune(hex(rest, 8)); i += 8; break;
      case 'u': {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(rest);
        if (braced) {
          out += rune(parseInt(braced[1], 16));
          i += braced[0].length;
        } else {
          out += rune(hex(rest, 4));
          i += 4;
        }
        break;
      }
      case '0': case '1': case '2': case '3':
        if (!/^[0-7]{2}/.test(rest)) bad();
        out += rune(parseInt(e + rest.slice(0, 2), 8));
        i += 2;
        break;
      default:
        // expr's scan refuses other escapes, \4-\7 octal are refused by its unescape.
        bad();
    }
  }
  return out;
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const cps = [...src];
  let i = 0;
  const push = (kind: Token['kind'], start: number, value?: string): void => {
    const text = cps.slice(start, i).join('');
    tokens.push({ kind, text, value: value ?? text, pos: start } as Token);
  };
  while (i < cps.length) {
    const start = i;
    const c = cps[i++];
    if (isSpace(c)) continue;
    if (c === '/' && cps[i] === '/') {
      while (i < cps.length && cps[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && cps[i] === '*') {
      i++;
      while (i < cps.length && !(cps[i] === '*' && cps[i + 1] === '/')) i++;
      if (i >= cps.length) throw new ExprSyntaxError('unclosed comment', start, cps.slice(start).join(''));
      i += 2;
      continue;
    }
    if (c === "'" || c === '"') {
      while (i < cps.length && cps[i] !== c) {
        if (cps[i] === '\n') break;
        i += cps[i] === '\\' ? 2 : 1;
      }
      if (i >= cps.length || cps[i] !== c) throw new ExprSyntaxError('literal not terminated', start, cps.slice(start, i).join(''));
      i++;
      push('string', start, unescape(cps.slice(start + 1, i - 1).join(''), c, start));
      continue;
    }
    if (c === '`') {
      let value = '';
      for (;;) {
        if (i >= cps.length) throw new ExprSyntaxError('literal not terminated', start, cps.slice(start).join(''));
        if (cps[i] === '`' && cps[i + 1] === '`') {
          value += '`';
          i += 2;
        } else if (cps[i] === '`') {
          i++;
          break;
        } else value += cps[i++];
      }
      push('string', start, value);
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && cps[i] >= '0' && cps[i] <= '9')) {
      i = scanNumber(cps, start);
      push('number', start);
      continue;
    }
    if (c === '(' || c === ')' || c === ',') {
      push(c, start);
      continue;
    }
    if (c === '$' || c === '_' || isAlnum(c)) {
      while (isAlnum(cps[i])) i++;
      const word = cps.slice(start, i).join('');
      if ((word === 'b' || word === 'B') && (cps[i] === "'" || cps[i] === '"')) {
        throw new ExprUnsupported('a bytes literal', start, word);
      }
      push(KEYWORD_OPERATORS.has(word) ? 'op' : 'ident', start);
      continue;
    }
    if ('?#|:[]{};%+-^&!=*<>./'.includes(c)) {
      push('op', start);
      continue;
    }
    throw new ExprSyntaxError(`unrecognized character: U+${c.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')}`, start, c);
  }
  tokens.push({ kind: 'eof', text: '', value: '', pos: cps.length });
  return tokens;
}

/** expr's `scanNumber`: returns the index after the literal; throws "bad number syntax". */
function scanNumber(cps: string[], start: number): number {
  let i = start;
  let digits = '0123456789_';
  const accept = (set: string): boolean => (i < cps.length && set.includes(cps[i]) ? (i++, true) : false);
  if (accept('0')) {
    if (accept('xX')) digits = '0123456789abcdefABCDEF_';
    else if (accept('oO')) digits = '01234567_';
    else if (accept('bB')) digits = '01_';
  }
  while (accept(digits));
  if (cps[i] === '.' && cps[i + 1] === '.') return i;
  if (accept('.')) while (accept(digits));
  if (accept('eE')) {
    accept('+-');
    while (accept(digits));
  }
  if (isAlnum(cps[i])) throw new ExprSyntaxError('bad number syntax', start, cps.slice(start, i + 1).join(''));
  return i;
}

/** expr's number literal rules (`parseSecondary`): int64 or float64, or a syntax error. */
function numberNode(text: string, pos: number): ExprNode {
  const v = text.replace(/_/g, '');
  const lower = v.toLowerCase();
  const bad = (what: string): never => {
    throw new ExprSyntaxError(`invalid ${what} literal`, pos, text);
  };
  const int = (value: bigint): ExprNode => (value > MAX_INT64 ? bad('integer') : { kind: 'int', value, pos });
  if (lower.startsWith('0x')) return /^0x[0-9a-f]+$/.test(lower) ? int(BigInt(lower)) : bad('hex');
  if (/[.e]/.test(lower)) {
    // Go's ParseFloat: digits with optional fraction and exponent; out of range is an error.
    if (!/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(lower)) bad('float');
    const f = Number(lower);
    return Number.isFinite(f) ? { kind: 'float', value: f, pos } : bad('float');
  }
  if (lower.startsWith('0b')) return /^0b[01]+$/.test(lower) ? int(BigInt(lower)) : bad('binary');
  if (lower.startsWith('0o')) return /^0o[0-7]+$/.test(lower) ? int(BigInt(lower)) : bad('octal');
  return /^\d+$/.test(v) ? int(BigInt(v)) : bad('integer');
}

/**
 * expr's constant folding of `left op right` (`optimizer/fold.go`), or undefined where Weft does
 * not compute it: operands other than numbers (or two strings to concatenate), `%` on a float (expr's checker refuses those too),
 * a float result that is not finite (Go's int() of it is not defined). `%` by zero is refused as
 * expr refuses it ("integer divide by zero").
 */
function fold(op: { value: string; pos: number }, left: ExprNode, right: ExprNode): ExprNode | undefined {
  const pos = left.pos;
  if (left.kind === 'string' && right.kind === 'string') return op.value === '+' ? { kind: 'string', value: left.value + right.value, pos } : undefined;
  if (left.kind === 'int' && right.kind === 'int' && op.value !== '/') {
    const [a, b] = [left.value, right.value];
    if (op.value === '%' && b === 0n) throw new ExprSyntaxError('integer divide by zero', op.pos, op.value);
    if (op.value === '%') return { kind: 'int', value: a % b, pos };
    const value = op.value === '+' ? a + b : op.value === '-' ? a - b : a * b;
    return { kind: 'int', value: BigInt.asIntN(64, value), pos };
  }
  if ((left.kind !== 'int' && left.kind !== 'float') || (right.kind !== 'int' && right.kind !== 'float') || op.value === '%') return undefined;
  // Go's float64(int64) and JS's Number(bigint) both round to nearest, ties to even; the operations are IEEE 754 in both.
  const [a, b] = [Number(left.value), Number(right.value)];
  const value = op.value === '+' ? a + b : op.value === '-' ? a - b : op.value === '*' ? a * b : a / b;
  return Number.isFinite(value) ? { kind: 'float', value, pos } : undefined;
}

/** Parses `src` as one expr-lang expression of the supported subset. */
export function parseExprLiteral(src: string, maxDepth: number): ExprNode {
  const tokens = tokenize(src);
  let k = 0;
  const unsupported = (t: Token): never => {
    throw new ExprUnsupported(`'${t.text}'`, t.pos, t.text);
  };
  const syntax = (t: Token, message: string): never => {
    throw new ExprSyntaxError(message, t.pos, t.text);
  };
  const primary = (depth: number): ExprNode => {
    const t = tokens[k++];
    // Calls, parentheses and signs nest; a leaf at the bottom does not count.
    const nests = t.kind === '(' || t.kind === 'op' || (t.kind === 'ident' && tokens[k].kind === '(');
    if (nests && depth > maxDepth) syntax(t, `policy nested too deeply (more than ${maxDepth} levels)`);
    let node: ExprNode;
    if (t.kind === 'op' && (t.value === '-' || t.value === '+')) {
      const operand = expression(depth + 1, UNARY_PRECEDENCE);
      if (operand.kind === 'int') node = { kind: 'int', value: t.value === '-' ? BigInt.asIntN(64, -operand.value) : operand.value, pos: t.pos };
      else if (operand.kind === 'float') node = { kind: 'float', value: t.value === '-' ? -operand.value : operand.value, pos: t.pos };
      else node = unsupported(t);
      return node;
    }
    switch (t.kind) {
      case 'string': node = { kind: 'string', value: t.value, pos: t.pos }; break;
      case 'number': node = numberNode(t.text, t.pos); break;
      case '(': {
        node = expression(depth + 1, 0);
        const close = tokens[k++];
        if (close.kind === 'op' || close.kind === ',') unsupported(close);
        if (close.kind !== ')') syntax(close, "expected ')'");
        break;
      }
      case 'ident':
        if (t.value === 'true' || t.value === 'false') node = { kind: 'bool', value: t.value === 'true', pos: t.pos };
        else if (t.value === 'nil') node = { kind: 'nil', pos: t.pos };
        else if (tokens[k].kind === '(') {
          k++;
          const args: ExprNode[] = [];
          while (tokens[k].kind !== ')') {
            if (args.length > 0) {
              const sep = tokens[k++];
              if (sep.kind === 'op') unsupported(sep);
              if (sep.kind !== ',') syntax(sep, "expected ',' or ')'");
              if (tokens[k].kind === ')') break;
            }
            if (tokens[k].kind === 'eof') syntax(tokens[k], "expected ')'");
            args.push(expression(depth + 1, 0));
          }
          k++;
          node = { kind: 'call', name: t.value, args, pos: t.pos };
        } else node = { kind: 'ident', name: t.value, pos: t.pos };
        break;
      case 'eof': return syntax(t, 'unexpected end of expression');
      case 'op':
        if (t.value === 'and' || t.value === 'or') {
          return syntax(t, `'${t.value}' is an operator in Fabric's policy parser (expr-lang), not a gate: write ${t.value.toUpperCase()}(...) or ${t.value === 'and' ? 'And' : 'Or'}(...)`);
        }
        return t.value === '[' || t.value === '{' || t.value === '!' || t.value === 'not' || t.value === '#' || t.value === '.' || t.value === '::' ? unsupported(t) : syntax(t, `unexpected token '${t.text}'`);
      default: return syntax(t, `unexpected token '${t.text}'`);
    }
    return node;
  };
  /** expr's `parseExpression`: a primary, then arithmetic operators binding at least `precedence`, folded as they come. */
  const expression = (depth: number, precedence: number): ExprNode => {
    let left = primary(depth);
    for (;;) {
      const op = tokens[k];
      const binding = op.kind === 'op' ? ARITHMETIC[op.value] : undefined;
      if (binding === undefined || binding < precedence) return left;
      // expr's `**` (power) reaches here as two `*`: math.Pow is not computed here.
      const next = tokens[k + 1];
      if (op.value === '*' && next.kind === 'op' && next.value === '*' && next.pos === op.pos + 1) unsupported(op);
      k++;
      const right = expression(depth + 1, binding + 1);
      left = fold(op, left, right) ?? unsupported(op);
    }
  };
  const root = expression(1, 0);
  const rest = tokens[k];
  if (rest.kind === 'op') unsupported(rest);
  if (rest.kind !== 'eof') syntax(rest, `unexpected token '${rest.text}'`);
  return root;
}
