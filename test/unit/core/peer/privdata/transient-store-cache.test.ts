import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Database from 'better-sqlite3';
import { TransientStore } from '../../../../../core/peer/privdata/transient-store';

describe('TransientStore page cache', () => {
  let dir: string;
  beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-transient-cache-'))));
  afterEach(() => {
    jest.restoreAllMocks();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('opens its file with a 2 MiB page cache, not SQLite’s 15.6 MiB default', () => {
    // The store keeps its connection to itself: the spy only notes which connection it opened,
    // whose cache_size is then read back from SQLite.
    const pragma = jest.spyOn(Database.prototype, 'pragma');
    const store = TransientStore.open(path.join(dir, 'ch1.sqlite'));
    try {
      const conn = pragma.mock.contexts[0] as Database.Database;
      expect(conn.name).toBe(path.join(dir, 'ch1.sqlite'));
      expect(conn.pragma('cache_size', { simple: true })).toBe(-2048);
    } finally {
      store.close();
    }
  });
});
