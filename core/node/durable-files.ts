import * as fs from 'node:fs';

/**
 * fsyncs a file or a directory by its path. A new file, or one renamed into place, survives a power
 * loss only once the directory holding its entry is synced too.
 */
export function fsyncPath(target: string): void {
  const fd = fs.openSync(target, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replaces `file` whole: written beside it, then renamed over it, so a reader (a running node, the
 * next run of a command) sees the old content or the new, never half of it. Not synced: a power
 * loss may leave the old one.
 */
export function replaceFile(file: string, data: string | Uint8Array, options?: { readonly mode?: number }): void {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, data, options);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    throw err;
  }
}
