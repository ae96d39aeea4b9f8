import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { packageChaincode } from '../../../../core/chaincode/packager';

/**
 * A chaincode project with a syntax error failed to package with esbuild's text alone, "cannot
 * bundle chaincode <dir>: Expected ";" but found "is"", which names no file and no line.
 */
describe('packaging a project whose code does not parse', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cc-syntax-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('names the file, line and column of each error, as a compiler does', async () => {
    fs.mkdirSync(path.join(dir, 'lib'));
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'broken', version: '1.0.0', main: 'index.js' }));
    fs.writeFileSync(path.join(dir, 'index.js'), "module.exports.contracts = [require('./lib/contract')];\n");
    fs.writeFileSync(path.join(dir, 'lib', 'contract.js'), "'use strict';\n\nthis is not js(\n");
    await expect(packageChaincode({ projectDir: dir, label: 'broken_1' })).rejects.toMatchObject({
      code: 'CHAINCODE_BUNDLE_FAILED',
      message: `cannot bundle chaincode ${dir}: lib/contract.js:3:6: Expected ";" but found "is"`,
      details: { errors: ['lib/contract.js:3:6: Expected ";" but found "is"'] },
    });
  });
});
