import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl } from '../../../../core/ledger/ledger-manager-impl';
import { TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

/**
 * The SQLite plugin's pause marker (`<channelId>.paused`) across interrupted operations: what a crash
 * can leave behind must read as one status or the other, and never pause a channel joined anew.
 */
describe('ledger-sqlite pause marker', () => {
  let dir: string;
  let provider: SqliteLedgerStoreProvider;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pause-marker-'));
    provider = new SqliteLedgerStoreProvider({ rootDir: dir });
    new LedgerManagerImpl(provider).create('ch', new TestChain().block([])).close();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is one file beside the ledger, not a channel of list()', () => {
    provider.setPaused('ch', true);
    expect(fs.existsSync(provider.pausedFile('ch'))).toBe(true);
    expect(JSON.parse(fs.readFileSync(provider.pausedFile('ch'), 'utf8'))).toEqual({ pausedAt: expect.stringMatching(/^\d{4}-/) });
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
    expect(provider.list()).toEqual(['ch']);
    provider.setPaused('ch', false);
    expect(fs.existsSync(provider.pausedFile('ch'))).toBe(false);
  });

  it('ignores a pause write cut short before its rename', () => {
    // replaceFile writes `<marker>.<pid>.tmp` first: a crash there leaves only that.
    fs.writeFileSync(`${provider.pausedFile('ch')}.4242.tmp`, '{"pausedAt":');
    expect(new SqliteLedgerStoreProvider({ rootDir: dir }).paused('ch')).toBe(false);
  });

  it('does not pause a channel joined again after a remove cut short before its marker went', () => {
    provider.setPaused('ch', true);
    // A remove interrupted after the ledger's files and before the marker.
    for (const f of [provider.stateFile('ch'), provider.file('ch')]) for (const s of ['', '-wal', '-shm']) fs.rmSync(f + s, { force: true });
    const again = new SqliteLedgerStoreProvider({ rootDir: dir });
    expect(again.paused('ch')).toBe(false);
    expect(again.list()).toEqual([]);
    new LedgerManagerImpl(again).create('ch', new TestChain().block([])).close();
    expect(again.paused('ch')).toBe(false);
    expect(fs.existsSync(again.pausedFile('ch'))).toBe(false);
  });
});
