import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Debian's softhsm2 module (apt package softhsm2; .ci/run installs it). */
export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

/** Tokens of one test file, in a SoftHSM token directory of this process's own. */
export interface SoftHsm {
  /** The SOFTHSM2_CONF in force; child processes (the CLI) need it in their environment. */
  readonly conf: string;
  /** Initialises a token with user PIN `pin` and returns its label: `name` made unique to this file. */
  initToken(name: string, pin: string): string;
  /** Deletes this file's tokens. */
  remove(): void;
}

/**
 * SoftHSM reads SOFTHSM2_CONF from the real environment when the module is initialised, and jest
 * gives each test file a copy of `process.env`: `process.loadEnvFile` is what reaches the real
 * one. It sets a variable only when absent, so the config is one per jest worker process (a temp
 * token folder, never /var/lib/softhsm), and each file's tokens get labels of their own.
 */
export function softHsm(prefix: string): SoftHsm {
  const dir = path.join(os.tmpdir(), `weft-softhsm-${process.pid}`);
  const conf = path.join(dir, 'softhsm2.conf');
  if (!fs.existsSync(conf)) {
    fs.mkdirSync(path.join(dir, 'tokens'), { recursive: true });
    fs.writeFileSync(conf, `directories.tokendir = ${path.join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
    fs.writeFileSync(path.join(dir, 'env'), `SOFTHSM2_CONF=${conf}\n`);
  }
  process.loadEnvFile(path.join(dir, 'env'));
  process.env.SOFTHSM2_CONF = conf;
  const suffix = randomBytes(3).toString('hex');
  const labels: string[] = [];
  const util = (args: string[]): void => {
    execFileSync('softhsm2-util', args, { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: 'pipe' });
  };
  return {
    conf,
    initToken: (name, pin) => {
      const label = `${prefix}-${name}-${suffix}`.slice(0, 32);
      util(['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`]);
      labels.push(label);
      return label;
    },
    remove: () => {
      for (const label of labels) util(['--delete-token', '--token', label]);
    },
  };
}
