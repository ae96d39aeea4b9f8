/** Damaged snapshots: each is refused with LEDGER_BAD_SNAPSHOT naming the file, and leaves no ledger or staging files behind. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeFixture, type Fixture, utf8 } from '../../../core/ledger/conformance-fixture';
import type { KvLedger } from '../../../core/ledger/kv-ledger';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import type { SnapshotMetadata } from '../../../core/ledger/snapshot';
import { readConfigHistoryFiles } from '../../../core/ledger/snapshot-config-history';
import { sha256Hex, signableMetadataJson, additionalMetadataJson, readSnapshotMetadata, verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

const provider = (dir: string): SqliteLedgerStoreProvider => new SqliteLedgerStoreProvider({ rootDir: dir });
const manager = (dir: string): LedgerManagerImpl => new LedgerManagerImpl(provider(dir));

describe('creating a ledger from a damaged snapshot', () => {
  let f: Fixture;
  let good: string;

  beforeAll(async () => {
    f = makeFixture(provider);
    const sim = f.ledger.newTxSimulator('t1');
    sim.setState('cc', 'a', utf8('1'));
    sim.setPrivateData('cc', 'coll', 'p', utf8('s'));
    const env = buildRwSetEnvelope({ txId: 't1', rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
    const pvt = sim.getPrivateSimulationResults() as Uint8Array;
    sim.done();
    f.ledger.commit(f.chain.block([env]), undefined, new Map([[0, pvt]]));
    good = path.join(f.dir, 'good');
    await f.ledger.exportSnapshot(good).done;
  });

  afterAll(() => f.close());

  /** A copy of the good snapshot, changed by `damage`. */
  function damaged(damage: (dir: string) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-badsnap-'));
    for (const n of fs.readdirSync(good)) fs.writeFileSync(path.join(dir, n), fs.readFileSync(path.join(good, n)));
    damage(dir);
    return dir;
  }

  /** Rewrites a data file and signs the metadata again over it, so only the file's content is wrong. */
  function resigned(dir: string, change: Partial<SnapshotMetadata> = {}, file?: [string, Buffer]): void {
    const m = readSnapshotMetadata(dir);
    const hashes = new Map(m.fileHashes);
    if (file !== undefined) {
      fs.writeFileSync(path.join(dir, file[0]), file[1]);
      hashes.set(file[0], Buffer.from(sha256Hex(file[1]), 'hex'));
    }
    const signable = signableMetadataJson({ ...m, fileHashes: hashes, ...change });
    fs.writeFileSync(path.join(dir, '_snapshot_signable_metadata.json'), signable);
    fs.writeFileSync(path.join(dir, '_snapshot_additional_metadata.json'), additionalMetadataJson(Buffer.from(sha256Hex(Buffer.from(signable)), 'hex')));
  }

  const read = (name: string): Buffer => fs.readFileSync(path.join(good, name));
  const cases: [string, string, (dir: string) => void][] = [
    ['a listed file is missing', 'public_state.data', (d) => fs.rmSync(path.join(d, 'public_state.data'))],
    ['a data file differs from its hash', 'txids.data', (d) => fs.writeFileSync(path.join(d, 'txids.data'), Buffer.concat([read('txids.data'), Buffer.of(0)]))],
    ['snapshot_hash is not the signable file’s', '_snapshot_additional_metadata.json', (d) => fs.writeFileSync(path.join(d, '_snapshot_additional_metadata.json'), `{"snapshot_hash": "${'00'.repeat(32)}"}`)],
    ['the signable metadata is not JSON', '_snapshot_signable_metadata.json', (d) => fs.writeFileSync(path.join(d, '_snapshot_signable_metadata.json'), '{"channel_name": ')],
    ['the channel name is invalid', '_snapshot_signable_metadata.json', (d) => resigned(d, { channelName: 'Bad_Name' })],
    ['a file name is a path', '_snapshot_signable_metadata.json', (d) => resigned(d, { fileHashes: new Map([['../x', new Uint8Array(32)]]) })],
    ['a data file has an unknown format byte', 'txids.data', (d) => resigned(d, {}, ['txids.data', Buffer.concat([Buffer.of(2), read('txids.data').subarray(1)])])],
    ['a record does not decode', 'public_state.data', (d) => resigned(d, {}, ['public_state.data', Buffer.of(1, 3, 0x0a, 0x05, 0x61)])],
    ['a key is not UTF-8', 'public_state.data', (d) => resigned(d, {}, ['public_state.data', Buffer.of(1, 7, 0x0a, 0x01, 0xff, 0x22, 0x02, 0x00, 0x00)])],
    ['a record is truncated', 'private_state_hashes.data', (d) => resigned(d, {}, ['private_state_hashes.data', read('private_state_hashes.data').subarray(0, 20)])],
    ['the counts disagree with the data', 'txids.data', (d) => resigned(d, {}, ['txids.metadata', Buffer.of(1, 5)])],
    [
      'a key appears twice',
      'public_state.data',
      (d) => {
        resigned(d, {}, ['public_state.metadata', Buffer.concat([Buffer.of(1, 1, 2), Buffer.from('cc'), Buffer.of(2)])]);
        resigned(d, {}, ['public_state.data', Buffer.concat([read('public_state.data'), read('public_state.data').subarray(1)])]);
      },
    ],
    ['a public namespace is a private one', 'public_state.metadata', (d) => resigned(d, {}, ['public_state.metadata', Buffer.concat([Buffer.of(1, 1, 8), Buffer.from('cc$$pcol'), Buffer.of(1)])])],
  ];

  it.each(cases)('refuses it when %s, naming %s, and leaves nothing', async (_what, file, damage) => {
    const dir = damaged(damage);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-badsnap-root-'));
    const m = manager(root);
    try {
      await expect(m.createFromSnapshot(dir)).rejects.toMatchObject({ code: 'LEDGER_BAD_SNAPSHOT', details: expect.objectContaining({ file }) });
      expect(m.list()).toEqual([]);
      expect(fs.readdirSync(root)).toEqual([]);
      // The good snapshot still goes in afterwards.
      const ledger = await m.createFromSnapshot(good);
      expect(ledger.height()).toBe(1);
    } finally {
      m.close();
      fs.rmSync(dir, { recursive: true, force: true });
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes no state file left alone by an import killed between its renames for the new ledger', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-badsnap-root-'));
    try {
      const first = manager(root);
      await first.createFromSnapshot(good);
      first.close();
      // What a kill after the state file's rename and before the block file's leaves.
      fs.rmSync(path.join(root, 'ch1.sqlite'));
      const m = manager(root);
      expect(m.list()).toEqual([]);
      const ledger = m.create('ch1');
      expect(ledger.height()).toBe(0);
      expect(ledger.newQueryExecutor().getState('cc', 'a')).toBeUndefined();
      m.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses to open a ledger from a snapshot whose state file is gone, rather than replay blocks it never had', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-badsnap-root-'));
    try {
      const first = manager(root);
      await first.createFromSnapshot(good);
      first.close();
      fs.rmSync(path.join(root, 'ch1_state.sqlite'));
      const m = manager(root);
      expect(() => m.open('ch1')).toThrow(
        expect.objectContaining({ code: 'LEDGER_CORRUPT', message: expect.stringContaining('the state or history as of block 0, where the ledger starts (joined from a snapshot at it, or pruned to it), is gone') }),
      );
      m.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('says the same of a ledger pruned to a snapshot (joined from the genesis block: nothing was taken from a snapshot) whose state file is gone', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-badsnap-pruned-'));
    try {
      const m = manager(root);
      const ledger = m.create('ch1') as KvLedger;
      const chain = new TestChain();
      const commit = (txId: string): void => {
        const sim = ledger.newTxSimulator(txId);
        sim.setState('cc', txId, utf8(txId));
        ledger.commit(chain.block([buildRwSetEnvelope({ txId, rwset: sim.getTxSimulationResults(), channelId: 'ch1' })]));
        sim.done();
      };
      commit('t0');
      commit('t1');
      const snapshot = path.join(root, 'at-1');
      await ledger.exportSnapshot(snapshot).done;
      commit('t2');
      const meta = await verifySnapshotFiles(snapshot);
      const history = readConfigHistoryFiles(snapshot, new Set(meta.fileHashes.keys()), meta.lastBlockNumber);
      ledger.prune({ lastBlockNumber: meta.lastBlockNumber, lastBlockHash: meta.lastBlockHash, previousBlockHash: meta.previousBlockHash, snapshotHash: meta.snapshotHash }, history, { vacuum: false });
      m.close();
      fs.rmSync(path.join(root, 'ch1_state.sqlite'));
      const again = manager(root);
      expect(() => again.open('ch1')).toThrow(
        expect.objectContaining({ code: 'LEDGER_CORRUPT', message: expect.stringContaining('the state or history as of block 1, where the ledger starts (joined from a snapshot at it, or pruned to it), is gone') }),
      );
      again.close();
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
