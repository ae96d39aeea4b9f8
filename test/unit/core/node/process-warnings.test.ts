import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

const REGISTER = path.resolve(__dirname, '../../../support/ts-register.js');
const MODULE = path.resolve(__dirname, '../../../../core/node/node-process');

describe('logProcessWarnings', () => {
  it("sends a node process's warnings to its structured log, the known TLS server-name one at debug, none raw to stderr", () => {
    // In a child: the warning listeners are process-wide.
    const script = `
      const pino = require('pino');
      require(${JSON.stringify(MODULE)}).logProcessWarnings(pino({ level: 'debug' }, pino.destination({ fd: 1, sync: true })));
      require('node:tls').connect({ host: '127.0.0.1', port: 1, servername: '127.0.0.1' }).on('error', () => {});
      process.emitWarning('something else', 'ExperimentalWarning');
      setTimeout(() => {}, 300);`;
    const run = spawnSync(process.execPath, ['--no-node-snapshot', '-r', REGISTER, '-e', script], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    const lines = run.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { level: number; code?: string; warning?: string; msg: string });
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 20, code: 'DEP0123', warning: 'DeprecationWarning', msg: expect.stringContaining('TLS ServerName') }),
        expect.objectContaining({ level: 40, warning: 'ExperimentalWarning', msg: 'something else' }),
      ]),
    );
    expect(run.stderr).not.toMatch(/Warning/);
  });
});
