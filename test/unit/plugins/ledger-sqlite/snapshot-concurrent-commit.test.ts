/**
 * An export's view is fixed at `captured`: blocks committed while the worker thread is still writing a
 * large state change nothing it writes (SQLite WAL read transactions on both files).
 */
import * as path from 'node:path';
import { makeFixture, type Fixture } from '../../../../core/ledger/conformance-fixture';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

const KEYS = 20_000;

describe('ledger-sqlite: commits during a snapshot export', () => {
  let f: Fixture;
  afterEach(() => f.close());

  it('leave the snapshot equal to one taken with no commit in between', async () => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    f.commit([
      f.tx('fill', (s) => {
        for (let k = 0; k < KEYS; k++) s.setState('cc', `k${k}`, Buffer.from(`v${k}`.repeat(10)));
      }),
    ]);
    const reference = await f.ledger.exportSnapshot(path.join(f.dir, 'reference')).done;

    const exp = f.ledger.exportSnapshot(path.join(f.dir, 'during'));
    await exp.captured;
    let committed = 0;
    let finished = false;
    void exp.done.finally(() => (finished = true));
    // Rewrite and delete keys block by block while the thread writes, until it has finished.
    while (!finished) {
      f.commit([
        f.tx(`change${committed}`, (s) => {
          for (let k = committed * 500; k < committed * 500 + 500; k++) {
            if (k % 2 === 0) s.deleteState('cc', `k${k % KEYS}`);
            else s.setState('cc', `k${k % KEYS}`, Buffer.from('new'));
          }
        }),
      ]);
      committed++;
      await new Promise((r) => setImmediate(r));
    }
    const during = await exp.done;
    expect(committed).toBeGreaterThan(1);
    expect(Buffer.from(during.snapshotHash).toString('hex')).toBe(Buffer.from(reference.snapshotHash).toString('hex'));
  });
});
