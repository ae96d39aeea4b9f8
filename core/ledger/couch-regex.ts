import { compileProgram, type Instruction, type Program } from './couch-regex-program';
import { parseCouchRegex } from './couch-regex-parser';
import { type AssertKind, type ByteSet } from './couch-regex-tree';
import { requiredBytes, type StartRule, startRule } from './couch-regex-prefilter';

export { CouchRegexSyntaxError } from './couch-regex-tree';

/**
 * PCRE gives up after 10M internal calls (its default `match_limit`) and CouchDB then counts the
 * value as not matching. This machine counts its own steps against the same number, so only a
 * pattern that backtracks catastrophically reaches it, and then every peer gives up at the same step.
 */
export const MATCH_STEP_LIMIT = 10_000_000;
/** Choice points kept at once (4 int32 each): 32 MiB. Beyond it the match gives up, as PCRE does at its heap limit. */
const MAX_STACK_INTS = 8 * 1024 * 1024;
const RETAINED_STACK_INTS = 1024;

class GaveUp extends Error {}
const GAVE_UP = new GaveUp('match limit');

/** Kinds of backtracking-stack entries. */
const BRANCH = 0;
const UNDO_SLOT = 1;
const UNDO_REGISTER = 2;
const GIVE_BACK = 3;
const TAKE_MORE = 4;

const isWord = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x5f;
const foldAscii = (b: number): number => (b >= 0x41 && b <= 0x5a ? b + 32 : b);

/**
 * A compiled CouchDB `$regex`: PCRE's semantics on the value's UTF-8 bytes (couch-regex-parser.ts),
 * run by a backtracking machine with a deterministic step budget, so every peer reaches the same
 * answer and no pattern can hold the peer. A value whose match exceeds the budget does not match,
 * as in CouchDB.
 */
export class CouchRegex {
  /** Reused by every test(): matching is synchronous and never re-enters the same pattern. */
  private readonly machine: Machine;

  private constructor(
    private readonly program: Program,
    slots: number,
    registers: number,
    stepLimit: number,
    private readonly starts: StartRule,
    private readonly required: readonly (readonly [number, number])[],
  ) {
    this.machine = new Machine(slots, registers, stepLimit);
  }

  /** @throws CouchRegexSyntaxError naming what is wrong and its byte offset. */
  static compile(pattern: string): CouchRegex {
    const parsed = parseCouchRegex(pattern);
    const { program, registers } = compileProgram(parsed.root, parsed.hasBackrefs);
    const limit = Math.min(MATCH_STEP_LIMIT, parsed.matchLimit ?? Infinity);
    return new CouchRegex(program, parsed.hasBackrefs ? 2 * (parsed.groups + 1) : 0, registers, limit, startRule(parsed.root), requiredBytes(parsed.root));
  }

  /** Whether the pattern matches anywhere in `value`, unanchored like re:run. */
  test(value: string): boolean {
    const subject = Buffer.from(value, 'utf8');
    for (const [a, b] of this.required) if (subject.indexOf(a) < 0 && (a === b || subject.indexOf(b) < 0)) return false;
    const machine = this.machine.reset(subject);
    const { first, only, prefix } = this.starts;
    try {
      for (let start = 0; start <= subject.length; start++) {
        if (only === 'zero' && start > 0) break;
        if (only === 'lineStarts' && start > 0 && subject[start - 1] !== 0x0a) continue;
        if (prefix !== undefined) {
          start = subject.indexOf(prefix, start);
          if (start < 0) break;
        } else if (first !== undefined && (start === subject.length || first[subject[start]] === 0)) continue;
        machine.captures.fill(-1);
        if (machine.run(this.program, start) >= 0) return true;
      }
      return false;
    } catch (e) {
      if (e instanceof GaveUp) return false;
      throw e;
    } finally {
      machine.release();
    }
  }
}

class Machine {
  readonly captures: Int32Array;
  private readonly registers: Int32Array;
  private stack = new Int32Array(RETAINED_STACK_INTS);
  private top = 0;
  private steps = 0;
  private subject: Uint8Array = new Uint8Array(0);

  constructor(
    slots: number,
    registers: number,
    private readonly stepLimit: number,
  ) {
    this.captures = new Int32Array(slots);
    this.registers = new Int32Array(registers);
  }

  reset(subject: Uint8Array): this {
    this.subject = subject;
    this.top = 0;
    this.steps = 0;
    this.registers.fill(-1);
    return this;
  }

  /** Drops a stack a long match grew: a compiled pattern lives in caches between queries. */
  release(): void {
    if (this.stack.length > RETAINED_STACK_INTS) this.stack = new Int32Array(RETAINED_STACK_INTS);
  }

  private push(kind: number, a: number, b: number, c: number): void {
    if (this.top + 4 > this.stack.length) {
      if (this.stack.length * 2 > MAX_STACK_INTS) throw GAVE_UP;
      const grown = new Int32Array(this.stack.length * 2);
      grown.set(this.stack);
      this.stack = grown;
    }
    const st = this.stack;
    st[this.top] = kind;
    st[this.top + 1] = a;
    st[this.top + 2] = b;
    st[this.top + 3] = c;
    this.top += 4;
  }

  private spend(steps: number): void {
    this.steps += steps;
    if (this.steps > this.stepLimit) throw GAVE_UP;
  }

  /** Runs `program` from `start`: the end of its first match, or -1. Choice points it leaves are dropped. */
  run(program: Program, start: number): number {
    const s = this.subject;
    const base = this.top;
    let pc = 0;
    let pos = start;
    for (;;) {
      this.spend(1);
      const ins: Instruction = program[pc];
      let ok = true;
      switch (ins.op) {
        case 'char':
          ok = pos < s.length && (s[pos] === ins.byte || s[pos] === ins.otherCase);
          if (ok) {
            pos++;
            pc++;
          }
          break;
        case 'set':
          ok = pos < s.length && ins.bytes[s[pos]] === 1;
          if (ok) {
            pos++;
            pc++;
          }
          break;
        case 'span': {
          const end = this.span(ins.bytes, pos, ins.greedy ? ins.max : ins.min);
          ok = end - pos >= ins.min;
          if (!ok) break;
          if (ins.greedy && end - pos > ins.min) this.push(GIVE_BACK, pc + 1, pos + ins.min, end);
          if (!ins.greedy && ins.max > ins.min) this.push(TAKE_MORE, pc, end, Math.min(ins.max - ins.min, s.length - end));
          pos = end;
          pc++;
          break;
        }
        case 'split':
          this.push(BRANCH, ins.alternative, pos, 0);
          pc = ins.next;
          break;
        case 'jump':
          pc = ins.to;
          break;
        case 'capture': {
          const slot = 2 * ins.group;
          this.push(UNDO_SLOT, slot, this.captures[slot], 0);
          this.push(UNDO_SLOT, slot + 1, this.captures[slot + 1], 0);
          this.captures[slot] = this.registers[ins.start];
          this.captures[slot + 1] = pos;
          pc++;
          break;
        }
        case 'mark':
          this.push(UNDO_REGISTER, ins.register, this.registers[ins.register], 0);
          this.registers[ins.register] = pos;
          pc++;
          break;
        case 'loop':
          pc = pos === this.registers[ins.register] ? pc + 1 : ins.to;
          break;
        case 'assert':
          ok = assertion(s, ins.at, pos);
          if (ok) pc++;
          break;
        case 'backref': {
          const end = this.backref(ins.group, ins.caseless, pos);
          ok = end >= 0;
          if (ok) {
            pos = end;
            pc++;
          }
          break;
        }
        case 'atomic': {
          const end = this.firstMatch(ins.program, pos);
          ok = end >= 0;
          if (ok) {
            pos = end;
            pc++;
          }
          break;
        }
        case 'lookahead':
          ok = this.assertAround([{ program: ins.program, length: 0 }], ins.negate, pos);
          if (ok) pc++;
          break;
        case 'lookbehind':
          ok = this.assertAround(ins.branches, ins.negate, pos);
          if (ok) pc++;
          break;
        case 'fail':
          ok = false;
          break;
        case 'match':
          this.top = base;
          return pos;
      }
      if (ok) continue;
      const resumed = this.backtrack(program, base);
      if (resumed === undefined) return -1;
      [pc, pos] = resumed;
    }
  }

  /** Pops to the latest choice point above `base`, undoing captures on the way: [pc, pos], or undefined. */
  private backtrack(program: Program, base: number): [number, number] | undefined {
    const st = this.stack;
    const s = this.subject;
    while (this.top > base) {
      this.spend(1);
      this.top -= 4;
      const kind = st[this.top];
      const a = st[this.top + 1];
      const b = st[this.top + 2];
      const c = st[this.top + 3];
      switch (kind) {
        case BRANCH:
          return [a, b];
        case UNDO_SLOT:
          this.captures[a] = b;
          break;
        case UNDO_REGISTER:
          this.registers[a] = b;
          break;
        case GIVE_BACK: // a greedy span gives back its last byte: a = next pc, b = shortest end, c = current end
          if (c - 1 > b) this.push(GIVE_BACK, a, b, c - 1);
          return [a, c - 1];
        case TAKE_MORE: {
          // a lazy span takes one more byte: a = its pc, b = current end, c = bytes it may still take
          const span = program[a] as Extract<Instruction, { op: 'span' }>;
          if (b >= s.length || span.bytes[s[b]] !== 1) break;
          if (c > 1) this.push(TAKE_MORE, a, b + 1, c - 1);
          return [a + 1, b + 1];
        }
      }
    }
    return undefined;
  }

  /** The end of the longest run of `bytes` from `pos`, at most `max` long. */
  private span(bytes: ByteSet, pos: number, max: number): number {
    const s = this.subject;
    const limit = max >= s.length - pos ? s.length : pos + max;
    let end = pos;
    while (end < limit && bytes[s[end]] === 1) end++;
    this.spend(end - pos);
    return end;
  }

  private backref(group: number, caseless: boolean, pos: number): number {
    const s = this.subject;
    const start = this.captures[2 * group];
    if (start < 0) return -1; // PCRE: a reference to a group that has not matched fails
    const length = this.captures[2 * group + 1] - start;
    if (pos + length > s.length) return -1;
    for (let k = 0; k < length; k++) {
      const a = s[start + k];
      const b = s[pos + k];
      if (a !== b && !(caseless && foldAscii(a) === foldAscii(b))) return -1;
    }
    this.spend(length);
    return pos + length;
  }

  /** Runs a sub-program that is never backtracked into; captures it set stay, undoable by the caller's backtracking. */
  private firstMatch(program: Program, pos: number): number {
    const before = this.captures.length > 0 ? this.captures.slice() : undefined;
    const end = this.run(program, pos);
    if (end >= 0 && before !== undefined) {
      for (let slot = 0; slot < before.length; slot++) if (before[slot] !== this.captures[slot]) this.push(UNDO_SLOT, slot, before[slot], 0);
    }
    return end;
  }

  /** Lookahead (length 0) or lookbehind: whether a branch matches ending here, negated for `(?!` and `(?<!`. */
  private assertAround(branches: readonly { readonly program: Program; readonly length: number }[], negate: boolean, pos: number): boolean {
    const before = negate && this.captures.length > 0 ? this.captures.slice() : undefined;
    let found = false;
    for (const b of branches) {
      if (b.length > pos) continue;
      if (this.firstMatch(b.program, pos - b.length) >= 0) {
        found = true;
        break;
      }
    }
    if (found && before !== undefined) this.captures.set(before);
    return found !== negate;
  }
}

function assertion(s: Uint8Array, kind: AssertKind, at: number): boolean {
  const n = s.length;
  switch (kind) {
    case 'start':
      return at === 0;
    case 'end':
      return at === n;
    case 'endOrFinalNewline':
      return at === n || (at === n - 1 && s[at] === 0x0a);
    case 'lineStart': // not after a newline that ends the subject
      return at === 0 || (s[at - 1] === 0x0a && at < n);
    case 'lineEnd':
      return at === n || s[at] === 0x0a;
    case 'wordBoundary':
    case 'notWordBoundary': {
      const boundary = (at > 0 && isWord(s[at - 1])) !== (at < n && isWord(s[at]));
      return kind === 'wordBoundary' ? boundary : !boundary;
    }
  }
}
