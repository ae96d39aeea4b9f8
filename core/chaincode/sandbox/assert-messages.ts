/**
 * How Node words a failed assertion (`lib/internal/assert/assertion_error.js` and `myers_diff.js`):
 * values printed one entry per line and sorted, `a !== b` for short ones, a line diff for the rest.
 */
import { inspect, keyText } from './format';

/**
 * A value as Node's assertion messages print it (`compact: false, sorted: true`): arrays, plain
 * objects, class instances, Maps and Sets one entry per line, entries of all but arrays sorted.
 * Anything else, and a value holding a cycle (Node marks those `<ref *1>`), as `inspect` prints it.
 */
function block(value: unknown): string {
  try {
    return hasCycle(value, []) ? inspect(value) : blockLines(value, '');
  } catch {
    // A getter that throws: inspect never calls getters.
    return inspect(value);
  }
}

function hasCycle(value: unknown, stack: object[]): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (stack.includes(value)) return true;
  stack.push(value);
  const children = value instanceof Map ? [...value].flat() : value instanceof Set ? [...value] : Object.values(value);
  const found = children.some((child) => hasCycle(child, stack));
  stack.pop();
  return found;
}

function isContainer(value: object): boolean {
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) return true;
  const special = [Date, RegExp, Error, ArrayBuffer, Promise, WeakMap, WeakSet, Number, String, Boolean].some((Kind) => value instanceof Kind) || ArrayBuffer.isView(value);
  return !special && Object.getOwnPropertySymbols(value).length === 0;
}

function blockLines(value: unknown, indent: string): string {
  if (typeof value !== 'object' || value === null || !isContainer(value)) return inspect(value);
  const inner = `${indent}  `;
  const render = (v: unknown): string => blockLines(v, inner);
  let prefix = '';
  let entries: string[];
  if (Array.isArray(value)) {
    entries = value.map(render);
  } else {
    if (value instanceof Map) {
      prefix = `Map(${value.size}) `;
      entries = [...value].map(([k, v]) => `${render(k)} => ${render(v)}`);
    } else if (value instanceof Set) {
      prefix = `Set(${value.size}) `;
      entries = [...value].map(render);
    } else {
      const proto = Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null;
      const name = proto?.constructor?.name;
      prefix = proto === null ? '[Object: null prototype] ' : name && name !== 'Object' ? `${name} ` : '';
      entries = Object.keys(value).map((k) => `${keyText(k)}: ${render((value as Record<string, unknown>)[k])}`);
    }
    entries.sort();
  }
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return entries.length === 0 ? `${prefix}${open}${close}` : `${prefix}${open}\n${entries.map((e) => inner + e).join(',\n')}\n${indent}${close}`;
}

/** Node prints `a !== b` when both fit in this many characters (quotes left out), and a diff otherwise. */
const MAX_SHORT_LENGTH = 12;
/** Beyond this many lines a side, the diff is the two values whole rather than a line-by-line one. */
const MAX_DIFF_LINES = 500;

/** Node's `createErrDiff`: the message of a failed `strictEqual` / `deepStrictEqual`. */
export function comparison(actual: unknown, expected: unknown, operator: string, custom: string | undefined): string {
  const [a, e] = [block(actual), block(expected)];
  const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;
  const bothObjects = isObject(actual) && isObject(expected);
  if (operator === 'strictEqual' && (bothObjects || (typeof actual === 'function' && typeof expected === 'function')) && a === e) {
    return `${custom ?? 'Values have same structure but are not reference-equal:'}\n\n${a}\n`;
  }
  const head = custom ?? (operator === 'strictEqual' ? 'Expected values to be strictly equal:' : 'Expected values to be strictly deep-equal:');
  const [aLines, eLines] = [a.split('\n'), e.split('\n')];
  if ((aLines.length > 1 || eLines.length > 1) && bothObjects) {
    const { text, skipped } = printDiff(diffOps(aLines, eLines));
    return `${head}\n+ actual - expected${skipped ? '\n... Skipped lines' : ''}\n\n${text}\n`;
  }
  const length = a.length + e.length - (typeof actual === 'string' ? 2 : 0) - (typeof expected === 'string' ? 2 : 0);
  if (length <= MAX_SHORT_LENGTH && (actual !== 0 || expected !== 0)) return `${head}\n\n${a} !== ${e}\n`;
  // A caret under the first differing character, when the two share more than a string's opening quote.
  let common = 0;
  while (common < a.length && a[common] === e[common]) common++;
  const shared = common > (typeof actual === 'string' ? 1 : 0) && typeof actual === typeof expected;
  return `${head}\n+ actual - expected\n\n+ ${a}\n- ${e}${shared ? `\n${' '.repeat(common + 2)}^` : ''}\n`;
}

/** Common lines Node prints around a difference before it collapses the rest. */
const CONTEXT_LINES = 5;

type DiffOp = ['nop' | 'insert' | 'delete', string];

/** Line diff of the actual value's lines against the expected's (longest common subsequence), actual lines first in a change. */
function diffOps(a: string[], e: string[]): DiffOp[] {
  if (a.length > MAX_DIFF_LINES || e.length > MAX_DIFF_LINES) return [...a.map((l): DiffOp => ['insert', l]), ...e.map((l): DiffOp => ['delete', l])];
  // Filled from the ends so the walk below goes forwards.
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(e.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = e.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === e[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: DiffOp[] = [];
  const inserts: DiffOp[] = [];
  const deletes: DiffOp[] = [];
  const flush = (): void => {
    ops.push(...inserts.splice(0), ...deletes.splice(0));
  };
  let [i, j] = [0, 0];
  while (i < a.length || j < e.length) {
    if (i < a.length && j < e.length && a[i] === e[j]) {
      flush();
      ops.push(['nop', a[i++]!]);
      j++;
    } else if (j >= e.length || (i < a.length && lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      inserts.push(['insert', a[i++]!]);
    } else {
      deletes.push(['delete', e[j++]!]);
    }
  }
  flush();
  return ops;
}

/**
 * Node's `printMyersDiff`: up to five common lines after each change; a longer run before the next
 * change becomes `...` and its last line; common lines after the last change are dropped.
 */
function printDiff(ops: DiffOp[]): { text: string; skipped: boolean } {
  const out: string[] = [];
  let skipped = false;
  let quiet = 0;
  ops.forEach(([op, line], k) => {
    if (k > 0 && ops[k - 1]![0] === 'nop' && op !== 'nop') {
      if (quiet === CONTEXT_LINES + 1) out.push(`  ${ops[k - 1]![1]}`);
      else if (quiet === CONTEXT_LINES + 2) out.push(`  ${ops[k - 2]![1]}`, `  ${ops[k - 1]![1]}`);
      else if (quiet >= CONTEXT_LINES + 3) {
        out.push('...', `  ${ops[k - 1]![1]}`);
        skipped = true;
      }
      quiet = 0;
    }
    if (op === 'insert') out.push(`+ ${line}`);
    else if (op === 'delete') out.push(`- ${line}`);
    else if (quiet++ < CONTEXT_LINES) out.push(`  ${line}`);
  });
  return { text: out.join('\n').trimEnd(), skipped };
}

/** Node cuts a value longer than this in a loose comparison's message. */
const MAX_LOOSE_CHARS = 512;

const cut = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max - 3)}...` : text);

/** The message Node's AssertionError writes for an operator when given none. */
export function generatedMessage(actual: unknown, expected: unknown, operator: string | undefined): string {
  const [a, e] = [block(actual), block(expected)];
  switch (operator) {
    case 'notStrictEqual':
    case 'notDeepStrictEqual': {
      const reference = operator === 'notStrictEqual' && ((typeof actual === 'object' && actual !== null) || typeof actual === 'function');
      const head = reference ? 'Expected "actual" not to be reference-equal to:' : operator === 'notStrictEqual' ? 'Expected "actual" to be strictly unequal to:' : 'Expected "actual" not to be strictly deep-equal to:';
      if (a.includes('\n')) return `${head}\n\n${a}\n`;
      return `${head}${a.length > 5 ? '\n\n' : ' '}${a}`;
    }
    case 'deepEqual':
      return `Expected values to be loosely deep-equal:\n\n${cut(a, MAX_LOOSE_CHARS)}\n\nshould loosely deep-equal\n\n${cut(e, MAX_LOOSE_CHARS)}`;
    case 'notDeepEqual':
      if (a === e) return cut(`Expected "actual" not to be loosely deep-equal to:\n\n${a}`, 2 * MAX_LOOSE_CHARS);
      return `Expected values not to be loosely deep-equal:\n\n${cut(a, MAX_LOOSE_CHARS)}\n\nshould not loosely deep-equal\n\n${cut(e, MAX_LOOSE_CHARS)}`;
    default:
      return `${cut(a, MAX_LOOSE_CHARS)} ${operator ?? 'fail'} ${cut(e, MAX_LOOSE_CHARS)}`;
  }
}
