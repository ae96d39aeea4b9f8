import { charBytes, type ByteSet, type RegexNode } from './couch-regex-tree';

/** Bytes any match must contain that are worth a memchr before matching. */
const MAX_REQUIRED_BYTES = 8;

/**
 * Where a match of a parsed `$regex` can start, worked out from its tree once when it is compiled:
 * CouchRegex.test skips the start positions no match can use before its machine spends a step.
 */
export interface StartRule {
  /** The bytes a match must start with, when it must start with one. */
  readonly first: ByteSet | undefined;
  /** `^...` only matches at 0; a leading `.*` only at 0 and after newlines (PCRE's implicit anchoring). */
  readonly only: 'zero' | 'lineStarts' | undefined;
  /** Case-sensitive literal bytes every match starts with, found by memchr-speed search. */
  readonly prefix: Buffer | undefined;
}

/** The {@link StartRule} of a pattern's tree. */
export function startRule(root: RegexNode): StartRule {
  const lead = root.kind === 'seq' ? root.items[0] : root;
  let only: StartRule['only'];
  if (anchoredAtStart(root)) only = 'zero';
  else if (lead?.kind === 'repeat' && lead.min === 0 && lead.max === Infinity && lead.node.kind === 'set') {
    const bytes = lead.node.bytes;
    const dotAll = bytes.every((b) => b === 1);
    if (dotAll || bytes.every((b, i) => b === (i === 0x0a ? 0 : 1))) only = dotAll ? 'zero' : 'lineStarts';
  }
  const prefix: number[] = [];
  for (const item of root.kind === 'seq' ? root.items : [root]) {
    if (item.kind !== 'char' || item.otherCase !== item.byte) break;
    prefix.push(item.byte);
  }
  return { first: firstBytes(root), only, prefix: prefix.length > 0 && only === undefined ? Buffer.from(prefix) : undefined };
}

function firstBytes(node: RegexNode): ByteSet | undefined {
  switch (node.kind) {
    case 'char':
      return charBytes(node);
    case 'set':
      return node.bytes;
    case 'seq':
      for (const item of node.items) {
        if (item.kind === 'assert' || item.kind === 'lookahead' || item.kind === 'lookbehind') continue;
        return firstBytes(item);
      }
      return undefined;
    case 'alt': {
      const union = new Uint8Array(256);
      for (const branch of node.branches) {
        const set = firstBytes(branch);
        if (set === undefined) return undefined;
        for (let b = 0; b < 256; b++) union[b] |= set[b];
      }
      return union;
    }
    case 'group':
    case 'atomic':
      return firstBytes(node.node);
    case 'repeat':
      return node.min > 0 ? firstBytes(node.node) : undefined;
    default:
      return undefined;
  }
}

function anchoredAtStart(node: RegexNode): boolean {
  switch (node.kind) {
    case 'assert':
      return node.at === 'start';
    case 'seq':
      return node.items.length > 0 && anchoredAtStart(node.items[0]);
    case 'alt':
      return node.branches.every(anchoredAtStart);
    case 'group':
    case 'atomic':
      return anchoredAtStart(node.node);
    default:
      return false;
  }
}

/** Literal bytes at the top level of the pattern (in either case): any match contains each of them. */
export function requiredBytes(root: RegexNode): [number, number][] {
  const items = root.kind === 'seq' ? root.items : [root];
  const found = new Map<number, [number, number]>();
  for (const item of items) {
    const c = item.kind === 'repeat' && item.min > 0 ? item.node : item;
    if (c.kind === 'char' && !found.has(c.byte)) found.set(c.byte, [c.byte, c.otherCase]);
  }
  return [...found.values()].slice(-MAX_REQUIRED_BYTES);
}
