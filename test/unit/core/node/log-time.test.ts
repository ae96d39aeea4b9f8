import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const REGISTER = path.resolve(__dirname, '../../../support/ts-register.js');
const MODULE = path.resolve(__dirname, '../../../../core/node/logger');

describe("a node's log entries", () => {
  it('carry their time as ISO 8601 in UTC, to the millisecond', () => {
    // In a child: the root logger writes to the process's stderr, as a node's does to its log file.
    const script = `
      const { NodeLogging } = require(${JSON.stringify(MODULE)});
      new NodeLogging('warn', { node: 'peer0.org1.example.com' }).logger('committer').warn({ block: 3 }, 'transaction invalid');`;
    const before = Date.now();
    const run = spawnSync(process.execPath, ['--no-node-snapshot', '-r', REGISTER, '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const entry = JSON.parse(run.stderr.trim()) as Record<string, unknown>;
    expect(entry).toMatchObject({ level: 40, component: 'committer', node: 'peer0.org1.example.com', block: 3, msg: 'transaction invalid' });
    expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    const at = Date.parse(entry.time as string);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
  });
});
