import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export { signWith } from '../../../../cli/testing/conformance-fixtures';

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `weft-msp-${prefix}-`));
}
