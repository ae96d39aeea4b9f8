/**
 * Pins the snapshot files of a tiny ledger to bytes built by hand from Fabric's rules
 * (`common/ledger/snapshot/file.go`, `privacyenabledstate/snapshot.go`, `blkstorage` ExportTxIds,
 * `kvledger/snapshot.go`), independently of the writer.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { storedCommitHash } from '../../../../core/ledger/commit-hash';
import { makeFixture, type Fixture, utf8 } from '../../../../core/ledger/conformance-fixture';
import { buildRwSetEnvelope } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

const sha = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();
const b = (...parts: (number | string | Uint8Array)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('ledger-sqlite snapshot files: Fabric bytes', () => {
  let f: Fixture;
  let snap: string;

  beforeAll(async () => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    f.commit([f.tx('ab', (s) => s.setState('cc', 'k', utf8('v')))]);
    const sim = f.ledger.newTxSimulator('c');
    sim.setState('cc', 'k2', utf8('w'));
    sim.setStateMetadata('cc', 'k2', { A: utf8('x') });
    sim.setPrivateData('cc', 'coll', 'p', utf8('s'));
    const env = buildRwSetEnvelope({ txId: 'c', rwset: sim.getTxSimulationResults(), channelId: 'ch1' });
    const pvt = sim.getPrivateSimulationResults() as Uint8Array;
    sim.done();
    f.ledger.commit(f.chain.block([env]), undefined, new Map([[0, pvt]]));
    snap = path.join(f.dir, 'snap');
    await f.ledger.exportSnapshot(snap).done;
  });

  afterAll(() => f.close());

  const file = (name: string): Buffer => fs.readFileSync(path.join(snap, name));

  it('writes txids by length then bytes, deduplicated, with their count', () => {
    // Fabric iterates its txid index, whose keys length-prefix the txid: 'c' comes before 'ab'.
    expect(file('txids.data')).toEqual(b(0x01, 0x01, 'c', 0x02, 'ab'));
    expect(file('txids.metadata')).toEqual(b(0x01, 0x02));
  });

  it('writes public state as SnapshotRecords in (namespace, key) order with order-preserving versions', () => {
    // SnapshotRecord{key=1, value=2, metadata=3, version=4}; version.Height.ToBytes of (0,0) = 00 00, of (1,0) = 01 01 00.
    const r1 = b(0x0a, 0x01, 'k', 0x12, 0x01, 'v', 0x22, 0x02, 0x00, 0x00);
    // KVMetadataWrite{entries=2: KVMetadataEntry{name=1 "A", value=2 "x"}}
    const metadata = b(0x12, 0x06, 0x0a, 0x01, 'A', 0x12, 0x01, 'x');
    const r2 = b(0x0a, 0x02, 'k2', 0x12, 0x01, 'w', 0x1a, metadata.length, metadata, 0x22, 0x03, 0x01, 0x01, 0x00);
    expect(file('public_state.data')).toEqual(b(0x01, r1.length, r1, r2.length, r2));
    expect(file('public_state.metadata')).toEqual(b(0x01, 0x01, 0x02, 'cc', 0x02));
  });

  it('writes private state hashes with the key hash as bytes and no private value', () => {
    const r = b(0x0a, 0x20, sha('p'), 0x12, 0x20, sha('s'), 0x22, 0x03, 0x01, 0x01, 0x00);
    expect(file('private_state_hashes.data')).toEqual(b(0x01, r.length, r));
    expect(file('private_state_hashes.metadata')).toEqual(b(0x01, 0x01, 0x09, 'cc$$hcoll', 0x01));
    expect(fs.readdirSync(snap).some((n) => n.includes('private_state.') || n.includes('pvt'))).toBe(false);
  });

  it('writes the metadata JSON as Go json.MarshalIndent does, and files read-only', () => {
    const info = f.ledger.getBlockchainInfo();
    const names = ['private_state_hashes.data', 'private_state_hashes.metadata', 'public_state.data', 'public_state.metadata', 'txids.data', 'txids.metadata'];
    const expected =
      '{\n' +
      '    "channel_name": "ch1",\n' +
      '    "last_block_number": 1,\n' +
      `    "last_block_hash": "${Buffer.from(info.currentBlockHash).toString('hex')}",\n` +
      `    "previous_block_hash": "${Buffer.from(info.previousBlockHash).toString('hex')}",\n` +
      '    "snapshot_files_raw_hashes": {\n' +
      names.map((n) => `        "${n}": "${sha(file(n)).toString('hex')}"`).join(',\n') +
      '\n    },\n' +
      '    "state_db_type": "CouchDB"\n' +
      '}';
    expect(file('_snapshot_signable_metadata.json').toString('utf8')).toBe(expected);
    const commitHash = Buffer.from(storedCommitHash('ch1', f.ledger.getBlockByNumber(info.height - 1) as Block)).toString('hex');
    expect(commitHash).toHaveLength(64);
    expect(file('_snapshot_additional_metadata.json').toString('utf8')).toBe(`{\n    "snapshot_hash": "${sha(expected).toString('hex')}",\n    "last_block_commit_hash": "${commitHash}"\n}`);
    for (const n of [...names, '_snapshot_signable_metadata.json', '_snapshot_additional_metadata.json']) expect(fs.statSync(path.join(snap, n)).mode & 0o777).toBe(0o444);
  });
});
