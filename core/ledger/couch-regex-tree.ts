/**
 * The tree a CouchDB `$regex` parses to (couch-regex-parser.ts), which couch-regex-program.ts
 * compiles for the matcher in couch-regex.ts. Every node matches bytes: CouchDB's re:run sees the
 * UTF-8 of the pattern and of the value as plain bytes.
 */

/** 256 entries, 1 where the byte is a member. */
export type ByteSet = Uint8Array;

export type AssertKind = 'start' | 'end' | 'endOrFinalNewline' | 'lineStart' | 'lineEnd' | 'wordBoundary' | 'notWordBoundary';

export type RegexNode =
  | { readonly kind: 'char'; readonly byte: number; readonly otherCase: number }
  | { readonly kind: 'set'; readonly bytes: ByteSet }
  | { readonly kind: 'seq'; readonly items: readonly RegexNode[] }
  | { readonly kind: 'alt'; readonly branches: readonly RegexNode[] }
  | { readonly kind: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number; readonly greedy: boolean }
  | { readonly kind: 'atomic'; readonly node: RegexNode }
  | { readonly kind: 'group'; readonly index: number; readonly node: RegexNode }
  | { readonly kind: 'lookahead'; readonly negate: boolean; readonly node: RegexNode }
  /** Each branch has a fixed length, as PCRE requires: it is matched ending where the assertion stands. */
  | { readonly kind: 'lookbehind'; readonly negate: boolean; readonly branches: readonly { readonly node: RegexNode; readonly length: number }[] }
  | BackrefNode
  | { readonly kind: 'assert'; readonly at: AssertKind }
  | { readonly kind: 'fail' };
export type BackrefNode = { readonly kind: 'backref'; group: number; readonly caseless: boolean };

export interface ParsedRegex {
  readonly root: RegexNode;
  readonly groups: number;
  readonly hasBackrefs: boolean;
  /** From a leading `(*LIMIT_MATCH=n)`, which can only lower the matcher's own limit. */
  readonly matchLimit: number | undefined;
}

/** The bytes a `char` node matches: its byte and, under `(?i)`, the other ASCII case. */
export function charBytes(node: { readonly byte: number; readonly otherCase: number }): ByteSet {
  const set = new Uint8Array(256);
  set[node.byte] = set[node.otherCase] = 1;
  return set;
}

export class CouchRegexSyntaxError extends Error {
  constructor(
    message: string,
    /** Byte offset in the pattern's UTF-8 where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} at byte ${offset}`);
    this.name = 'CouchRegexSyntaxError';
  }
}

/** The number of bytes the node always matches, or undefined when that varies. */
export function fixedLength(node: RegexNode): number | undefined {
  switch (node.kind) {
    case 'char':
    case 'set':
      return 1;
    case 'assert':
    case 'lookahead':
    case 'lookbehind':
      return 0;
    case 'seq': {
      let total = 0;
      for (const item of node.items) {
        const n = fixedLength(item);
        if (n === undefined) return undefined;
        total += n;
      }
      return total;
    }
    case 'alt': {
      const lengths = node.branches.map(fixedLength);
      return lengths.every((n) => n !== undefined && n === lengths[0]) ? lengths[0] : undefined;
    }
    case 'repeat': {
      const n = node.min === node.max ? fixedLength(node.node) : undefined;
      return n === undefined ? undefined : n * node.min;
    }
    case 'group':
    case 'atomic':
      return fixedLength(node.node);
    case 'backref':
    case 'fail':
      return undefined;
  }
}
