import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl } from '../../../core/ledger';
import { SNAPSHOT_ADDITIONAL_METADATA_FILE, SNAPSHOT_SIGNABLE_METADATA_FILE } from '../../../core/ledger/snapshot-metadata';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

/** A Fabric 2.5.6 peer's snapshot of block 11 (test/fixtures/fabric-2.5/README.md). */
const FABRIC_SNAPSHOT = path.join(__dirname, '../../fixtures/fabric-2.5/snapshot-block-11/fabric-peer');

const json = (dir: string, file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
const hex = (b: Uint8Array | undefined): string => Buffer.from(b ?? []).toString('hex');

describe("a Fabric 2.5.6 peer's snapshot in a Weft ledger", () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-fabric-snap-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('imports at its block with its state, and exports the same data files Fabric wrote, with its commit hash', async () => {
    const fabricSignable = json(FABRIC_SNAPSHOT, SNAPSHOT_SIGNABLE_METADATA_FILE);
    const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: path.join(dir, 'ledgers') }));
    try {
      const ledger = await manager.createFromSnapshot(FABRIC_SNAPSHOT);
      const info = ledger.getBlockchainInfo();
      expect([info.height, hex(info.currentBlockHash), hex(info.previousBlockHash)]).toEqual([
        (fabricSignable.last_block_number as number) + 1,
        fabricSignable.last_block_hash,
        fabricSignable.previous_block_hash,
      ]);
      const q = ledger.newQueryExecutor();
      expect([...q.getStateRange('kv', '', '')].map((kv) => [kv.key, Buffer.from(kv.value).toString()])).toEqual([
        ['a', '1'],
        ['b', '2'],
      ]);
      q.done();

      const exported = path.join(dir, 'exported');
      await ledger.exportSnapshot(exported).done;
      // The ledger writes the state, private-state-hash and txid files; the peer adds confighistory (its own files, tested with the peer).
      const files = fs.readdirSync(exported).filter((f) => !f.startsWith('_snapshot')).sort();
      const fabricFiles = Object.keys(fabricSignable.snapshot_files_raw_hashes as Record<string, string>);
      expect(files).toEqual(fabricFiles.filter((f) => !f.startsWith('confighistory.')).sort());
      for (const file of files) expect([file, hex(fs.readFileSync(path.join(exported, file)))]).toEqual([file, hex(fs.readFileSync(path.join(FABRIC_SNAPSHOT, file)))]);
      expect(json(exported, SNAPSHOT_ADDITIONAL_METADATA_FILE).last_block_commit_hash).toBe(json(FABRIC_SNAPSHOT, SNAPSHOT_ADDITIONAL_METADATA_FILE).last_block_commit_hash);
    } finally {
      manager.close();
    }
  });
});
