import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { MspError } from '../../../../core/errors';

export { signWith } from '../../../../cli/testing/conformance-fixtures';

/** `code: message` of the MspError `fn` throws, or `ok` when it returns; any other error is rethrown. */
export function mspOutcome(fn: () => unknown, ok = 'valid'): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof MspError) return `${err.code}: ${err.message}`;
    throw err;
  }
  return ok;
}

/** The code of the MspError `fn` throws, or `ok` when it returns; any other error is rethrown. */
export function mspCodeOf(fn: () => unknown, ok = 'valid'): string {
  return mspOutcome(fn, ok).split(':')[0]!;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `weft-msp-${prefix}-`));
}
