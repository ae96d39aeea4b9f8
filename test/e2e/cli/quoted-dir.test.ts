import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { errorOf, runCli } from './run-cli';

/**
 * The arguments `weft` gets when a user pastes `command` into `sh`: `weft` is a shell function that
 * prints each of its arguments, so the command is read by the shell's own rules and nothing runs.
 */
function pastedArgs(command: string): string[] {
  const out = execFileSync('sh', ['-c', `weft() { printf '%s\\0' "$@"; }\n${command}`], { encoding: 'utf8' });
  return out.split('\0').slice(0, -1);
}

/** The command a printed line tells the user to run: what follows `marker`, up to the end of the line. */
function commandAfter(text: string, marker: string): string {
  const line = text.split('\n').find((l) => l.includes(marker));
  if (line === undefined) throw new Error(`no line with ${JSON.stringify(marker)} in:\n${text}`);
  return line.slice(line.indexOf(marker) + marker.length - 'weft '.length).trim();
}

describe('printed commands on a network directory whose path has a space and a quote', () => {
  let tmp: string;
  let dir: string;
  let initOut: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-quoted-'));
    dir = path.join(tmp, "my o'brien net");
    const init = await runCli(['network', 'init', dir, '--orgs', '1', '--base-port', String(await findFreePorts(5))]);
    if (init.code !== 0) throw new Error(`network init failed: ${init.stderr}`);
    initOut = init.stdout;
  }, 120_000);

  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("network init's next step, pasted into sh, names the directory", () => {
    expect(pastedArgs(commandAfter(initOut, 'next: weft '))).toEqual(['network', 'up', dir]);
  });

  it("an error's suggested command, pasted into sh, names the directory", async () => {
    const error = errorOf(await runCli(['network', 'status', dir, '--channel', 'nosuchchannel', '--json']));
    expect(error.code).toBe('UNKNOWN_CHANNEL');
    const suggestion = (error.details.suggestions as string[]).find((s) => s.includes('weft channel create'));
    expect(pastedArgs(commandAfter(suggestion ?? '', 'with: weft '))).toEqual(['channel', 'create', dir, 'nosuchchannel']);
  }, 60_000);
});
