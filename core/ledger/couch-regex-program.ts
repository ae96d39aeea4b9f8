import { charBytes, CouchRegexSyntaxError, type AssertKind, type ByteSet, type RegexNode } from './couch-regex-tree';

/**
 * A parsed `$regex` compiled to instructions for the backtracking machine in couch-regex.ts, which
 * keeps its choice points on an explicit stack: repetition never deepens the JavaScript stack, so
 * a long value cannot overflow it. Counted repeats are written out as copies, as PCRE does, under
 * a size cap that plays the role of PCRE's compiled-pattern limit.
 */
export type Instruction =
  | { readonly op: 'char'; readonly byte: number; readonly otherCase: number }
  | { readonly op: 'set'; readonly bytes: ByteSet }
  /** Any run of `min`..`max` bytes from `bytes`, given back (greedy) or taken (lazy) one at a time. */
  | { readonly op: 'span'; readonly bytes: ByteSet; readonly min: number; readonly max: number; readonly greedy: boolean }
  /** Continue at `next`; on failure come back and continue at `alternative`. */
  | { readonly op: 'split'; readonly next: number; readonly alternative: number }
  | { readonly op: 'jump'; readonly to: number }
  /** Sets a group's capture: from where register `start` marked its opening to here. */
  | { readonly op: 'capture'; readonly group: number; readonly start: number }
  /** Loop guards: `mark` notes where an iteration began; `loop` repeats only if that one consumed something. */
  | { readonly op: 'mark'; readonly register: number }
  | { readonly op: 'loop'; readonly register: number; readonly to: number }
  | { readonly op: 'assert'; readonly at: AssertKind }
  | { readonly op: 'backref'; readonly group: number; readonly caseless: boolean }
  /** The first match of `program` here, never backtracked into (atomic groups, possessive repeats). */
  | { readonly op: 'atomic'; readonly program: Program }
  | { readonly op: 'lookahead'; readonly negate: boolean; readonly program: Program }
  | { readonly op: 'lookbehind'; readonly negate: boolean; readonly branches: readonly { readonly program: Program; readonly length: number }[] }
  | { readonly op: 'fail' }
  | { readonly op: 'match' };

export type Program = readonly Instruction[];

export interface CompiledProgram {
  readonly program: Program;
  readonly registers: number;
}

export const MAX_PROGRAM_INSTRUCTIONS = 200_000;

export function compileProgram(root: RegexNode, keepCaptures: boolean): CompiledProgram {
  const compiler = new Compiler(keepCaptures);
  const program = compiler.program(root);
  return { program, registers: compiler.registers };
}

class Compiler {
  registers = 0;
  private size = 0;

  constructor(private readonly keepCaptures: boolean) {}

  program(node: RegexNode): Program {
    const out: Instruction[] = [];
    this.emit(node, out);
    this.add(out, { op: 'match' });
    return out;
  }

  private add(out: Instruction[], instruction: Instruction): number {
    if (++this.size > MAX_PROGRAM_INSTRUCTIONS) {
      throw new CouchRegexSyntaxError(`pattern too large once its repeat counts are written out (over ${MAX_PROGRAM_INSTRUCTIONS} instructions)`, 0);
    }
    out.push(instruction);
    return out.length - 1;
  }

  /** A split whose targets are filled in once known. */
  private placeholder(out: Instruction[]): number {
    return this.add(out, { op: 'fail' });
  }

  private emit(node: RegexNode, out: Instruction[]): void {
    switch (node.kind) {
      case 'char':
        this.add(out, { op: 'char', byte: node.byte, otherCase: node.otherCase });
        return;
      case 'set':
        this.add(out, { op: 'set', bytes: node.bytes });
        return;
      case 'seq':
        for (const item of node.items) this.emit(item, out);
        return;
      case 'alt': {
        const bytes = singleByteUnion(node.branches);
        if (bytes !== undefined) {
          this.add(out, { op: 'set', bytes });
          return;
        }
        const exits: number[] = [];
        node.branches.forEach((branch, i) => {
          const split = i < node.branches.length - 1 ? this.placeholder(out) : -1;
          this.emit(branch, out);
          if (split >= 0) {
            exits.push(this.placeholder(out));
            out[split] = { op: 'split', next: split + 1, alternative: out.length };
          }
        });
        for (const exit of exits) out[exit] = { op: 'jump', to: out.length };
        return;
      }
      case 'group': {
        if (!this.keepCaptures) {
          this.emit(node.node, out);
          return;
        }
        // The capture changes only when the group closes: inside it, `\1` still means the last iteration's value.
        const register = this.registers++;
        this.add(out, { op: 'mark', register });
        this.emit(node.node, out);
        this.add(out, { op: 'capture', group: node.index, start: register });
        return;
      }
      case 'repeat':
        this.repeat(node, out);
        return;
      case 'atomic':
        this.add(out, { op: 'atomic', program: this.program(node.node) });
        return;
      case 'lookahead':
        this.add(out, { op: 'lookahead', negate: node.negate, program: this.program(node.node) });
        return;
      case 'lookbehind':
        this.add(out, { op: 'lookbehind', negate: node.negate, branches: node.branches.map((b) => ({ program: this.program(b.node), length: b.length })) });
        return;
      case 'backref':
        this.add(out, { op: 'backref', group: node.group, caseless: node.caseless });
        return;
      case 'assert':
        this.add(out, { op: 'assert', at: node.at });
        return;
      case 'fail':
        this.add(out, { op: 'fail' });
        return;
    }
  }

  private repeat(node: Extract<RegexNode, { kind: 'repeat' }>, out: Instruction[]): void {
    const bytes = singleByte(node.node);
    if (bytes !== undefined) {
      this.add(out, { op: 'span', bytes, min: node.min, max: node.max, greedy: node.greedy });
      return;
    }
    for (let i = 0; i < node.min; i++) this.emit(node.node, out);
    if (node.max === Infinity) {
      this.loop(node.node, node.greedy, out);
      return;
    }
    const splits: number[] = [];
    for (let i = node.min; i < node.max; i++) {
      splits.push(this.placeholder(out));
      this.emit(node.node, out);
    }
    for (const split of splits) out[split] = this.choice(split + 1, out.length, node.greedy);
  }

  /** `X*` after its required copies; a body that can match nothing gets a progress guard, as in PCRE. */
  private loop(body: RegexNode, greedy: boolean, out: Instruction[]): void {
    const top = this.placeholder(out);
    const guarded = canMatchEmpty(body);
    const register = guarded ? this.registers++ : -1;
    if (guarded) this.add(out, { op: 'mark', register });
    this.emit(body, out);
    this.add(out, guarded ? { op: 'loop', register, to: top } : { op: 'jump', to: top });
    out[top] = this.choice(top + 1, out.length, greedy);
  }

  private choice(body: number, exit: number, greedy: boolean): Instruction {
    return greedy ? { op: 'split', next: body, alternative: exit } : { op: 'split', next: exit, alternative: body };
  }
}

/** The bytes a node matches when it always matches exactly one byte. */
function singleByte(node: RegexNode): ByteSet | undefined {
  if (node.kind === 'set') return node.bytes;
  if (node.kind === 'alt') return singleByteUnion(node.branches);
  return node.kind === 'char' ? charBytes(node) : undefined;
}

/** `a|b|[xy]` matches one byte from a set, so it runs as that set. */
function singleByteUnion(branches: readonly RegexNode[]): ByteSet | undefined {
  const union = new Uint8Array(256);
  for (const b of branches) {
    const bytes = b.kind === 'char' ? charBytes(b) : b.kind === 'set' ? b.bytes : undefined;
    if (bytes === undefined) return undefined;
    for (let i = 0; i < 256; i++) union[i] |= bytes[i];
  }
  return union;
}

function canMatchEmpty(node: RegexNode): boolean {
  switch (node.kind) {
    case 'char':
    case 'set':
    case 'fail':
      return false;
    case 'seq':
      return node.items.every(canMatchEmpty);
    case 'alt':
      return node.branches.some(canMatchEmpty);
    case 'repeat':
      return node.min === 0 || canMatchEmpty(node.node);
    case 'group':
    case 'atomic':
      return canMatchEmpty(node.node);
    default:
      return true; // assertions, lookaround and backreferences can all match nothing
  }
}
