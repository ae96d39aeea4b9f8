import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The bytes of the files under a node's data directory (ledgers, snapshots, chaincode packages,
 * transient store), as `du` would sum them, symbolic links not followed; undefined when there is no
 * such directory. What an operator watches a peer's disk with, before and after a prune.
 */
export function dataDirBytes(dir: string): number | undefined {
  if (!fs.existsSync(dir)) return undefined;
  let total = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return; // removed while walked (a snapshot being written), or unreadable: not counted
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) total += fs.statSync(full, { throwIfNoEntry: false })?.size ?? 0;
    }
  };
  walk(dir);
  return total;
}

/** Bytes as `7.3 MiB`. */
export function mebibytes(bytes: number): string {
  return `${(bytes / 1048576).toFixed(1)} MiB`;
}
