import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every file under `root` with its bytes (base64), by path relative to `root`: equal before and after means nothing was written. */
export function fileTreeOf(root: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [path.relative(root, path.join(e.parentPath, e.name)), fs.readFileSync(path.join(e.parentPath, e.name), 'base64')]),
  );
}
