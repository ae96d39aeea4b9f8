import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { isAlive } from '../../../../cli/services/network/node-processes';

function stateOf(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

describe('isAlive', () => {
  it('counts a running process as alive and an exited, unreaped one (a zombie) as gone', async () => {
    // `sleep` never waits for children: the backgrounded `sleep 0.3` it inherits from sh stays a
    // zombie until `sleep 30` exits, as a node does under a PID 1 that reaps late or never. The child
    // outlives the `exec`: sh itself may reap a child that exits before it execs (a `true &` did).
    const parent = spawn('sh', ['-c', 'sleep 0.3 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
      for (let i = 0; i < 200 && stateOf(zombie) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
      expect(stateOf(zombie)).toBe('Z');
      expect(() => process.kill(zombie, 0)).not.toThrow(); // what the old check relied on
      expect(isAlive(zombie)).toBe(false);
      expect(isAlive(parent.pid!)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
    await new Promise((r) => parent.once('exit', r));
    expect(isAlive(parent.pid!)).toBe(false);
  });
});
