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
