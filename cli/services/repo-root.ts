import * as fs from 'node:fs';
import * as path from 'node:path';

let cached: string | undefined;

/**
 * The Weft package root (where `templates/` and `chaincode-examples/` live), found by walking up
 * from this file: the same code runs from the TypeScript sources and from `dist/`.
 */
export function weftRoot(): string {
  if (cached !== undefined) return cached;
  let dir = __dirname;
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')) as { name?: string }).name === 'weft') {
      cached = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find the weft package root above ${__dirname}`);
    dir = parent;
  }
}
