import * as fs from 'node:fs';
import * as path from 'node:path';

const REPO = path.resolve(__dirname, '../../..');

interface FlagLike {
  readonly allowNo?: boolean;
}
interface CommandLike {
  readonly flags?: Record<string, FlagLike>;
  readonly baseFlags?: Record<string, FlagLike>;
  readonly enableJsonFlag?: boolean;
}

/** A row of the README's command table: the commands it documents and the flags it names. */
interface Row {
  readonly text: string;
  readonly commands: string[][];
  readonly flags: string[];
}

const spans = (text: string): string[] => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!.replace(/\\\|/g, '|'));

/** `weft network up|down|status <dir>` → network/up, network/down, network/status. */
function commandsOf(span: string): string[][] {
  const [, topic, verbs] = span.split(/\s+/);
  if (topic === undefined) return [];
  if (verbs === undefined || verbs.startsWith('<') || verbs.startsWith('-')) return [[topic]];
  return verbs.split('|').map((verb) => [topic, verb]);
}

function readmeRows(): Row[] {
  const readme = fs.readFileSync(path.join(REPO, 'README.md'), 'utf8');
  return readme
    .split('\n')
    .filter((line) => line.startsWith('| `weft '))
    .map((text) => {
      const all = spans(text);
      // Fabric's own commands (`peer lifecycle chaincode approveformyorg --collections-config`) are named for comparison.
      const ours = all.filter((s) => !/^peer (lifecycle|channel|node)\b/.test(s));
      return {
        text,
        commands: ours.filter((s) => s.startsWith('weft ')).flatMap(commandsOf),
        flags: [...new Set(ours.flatMap((s) => [...s.matchAll(/(?:^|\s)--([a-z][a-z-]*)/g)].map((m) => m[1]!)))],
      };
    });
}

/** Each `weft <topic> [<verb>] …` a fenced code block runs, with its README line and the flags it passes. */
function codeBlockCommands(): { line: number; id: string[]; flags: string[] }[] {
  const found: { line: number; id: string[]; flags: string[] }[] = [];
  let inBlock = false;
  fs.readFileSync(path.join(REPO, 'README.md'), 'utf8')
    .split('\n')
    .forEach((text, i) => {
      if (text.startsWith('```')) inBlock = !inBlock;
      if (!inBlock || text.startsWith('```')) return;
      // A shell comment is prose; `&&`, `;` and `|` end one command.
      for (const command of text.replace(/(^|\s)#.*$/, '').split(/&&|;|\|/)) {
        const words = command.trim().split(/\s+/);
        const at = words.indexOf('weft');
        const [topic, verb] = [words[at + 1], words[at + 2]];
        if (at < 0 || topic === undefined || !/^[a-z]/.test(topic)) continue;
        const id = verb !== undefined && fs.existsSync(path.join(REPO, 'cli', 'commands', topic, `${verb}.ts`)) ? [topic, verb] : [topic];
        found.push({ line: i + 1, id, flags: words.slice(at + 1).flatMap((w) => /^--([a-z][a-z-]*)/.exec(w)?.[1] ?? []) });
      }
    });
  return found;
}

async function flagsOf(id: string[]): Promise<Set<string>> {
  const file = path.join(REPO, 'cli', 'commands', ...id) + '.ts';
  if (!fs.existsSync(file)) throw new Error(`the README documents \`weft ${id.join(' ')}\`, but there is no ${path.relative(REPO, file)}`);
  const cmd = ((await import(file)) as { default: CommandLike }).default;
  const declared = { ...cmd.baseFlags, ...cmd.flags };
  const names = new Set(Object.keys(declared));
  for (const [name, flag] of Object.entries(declared)) if (flag.allowNo === true) names.add(`no-${name}`);
  if (cmd.enableJsonFlag === true) names.add('json');
  return names;
}

describe("the README's command table", () => {
  const rows = readmeRows();

  it('documents the commands, one row each', () => {
    expect(rows.length).toBeGreaterThanOrEqual(14);
    expect(rows.every((r) => r.commands.length > 0)).toBe(true);
  });

  it('names only flags that one of the commands of its row takes', async () => {
    const wrong: string[] = [];
    for (const row of rows) {
      const taken = new Set<string>();
      for (const id of row.commands) for (const f of await flagsOf(id)) taken.add(f);
      // "Every command that acts on one channel takes --channel <name>": a statement about all commands, checked below.
      for (const flag of row.flags) if (flag !== 'channel' && !taken.has(flag)) wrong.push(`--${flag} in the row of ${row.commands.map((c) => c.join(' ')).join(', ')}`);
    }
    expect(wrong).toEqual([]);
  });

  it('runs, in its code blocks, only commands there are, with flags they take', async () => {
    const commands = codeBlockCommands();
    expect(commands.length).toBeGreaterThanOrEqual(20);
    const wrong: string[] = [];
    for (const { line, id, flags } of commands) {
      const taken = await flagsOf(id).catch(() => undefined);
      if (taken === undefined) wrong.push(`README line ${line}: weft ${id.join(' ')} is no command`);
      else for (const flag of flags) if (!taken.has(flag)) wrong.push(`README line ${line}: weft ${id.join(' ')} takes no --${flag}`);
    }
    expect(wrong).toEqual([]);
  });

  it('is right that every command takes --json and --verbose', async () => {
    const ids = (dir: string, prefix: string[]): string[][] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? ids(path.join(dir, e.name), [...prefix, e.name]) : e.name.endsWith('.ts') ? [[...prefix, e.name.slice(0, -3)]] : [],
      );
    const all = ids(path.join(REPO, 'cli', 'commands'), []);
    expect(all.length).toBeGreaterThanOrEqual(30);
    for (const id of all) expect([id.join(' '), (await flagsOf(id)).has('json') && (await flagsOf(id)).has('verbose')]).toEqual([id.join(' '), true]);
  });
});
