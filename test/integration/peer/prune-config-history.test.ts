/**
 * A peer pruned to a snapshot (`KvLedger.prune`) under the peer's channel manager and committer,
 * with a chaincode that has collections: the pruned ledger keeps its private data (for other peers'
 * reconciliation) and records none missing, validates later blocks as the peer holding every block,
 * and its later snapshots carry the collection config history of the pruned blocks, so they equal
 * that peer's (the same `snapshot_hash`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KvLedger } from '../../../core/ledger/kv-ledger';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import { readConfigHistoryFiles } from '../../../core/ledger/snapshot-config-history';
import { readSnapshotMetadata, verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { testDefinition } from '../../support/chaincode-definition';
import { collectionPackage, type CollectionSpec } from '../../support/lifecycle-collections';
import { commitOnEvery, type Harness, openHarness, snapshotAtLastBlock } from './channel-harness';
import { commitTx } from './lifecycle-harness';
import { CHANNEL, generateMaterial, genesisBlock, tmpDir } from './network-fixture';
import { privateTx } from './private-harness';

const BOTH = "OR('Org1MSP.member', 'Org2MSP.member')";
const ORG1 = "OR('Org1MSP.member')";

it('keeps private data and the collection config history of the pruned blocks, and exports the full peer’s snapshot', async () => {
  const dir = tmpDir('weft-prune-confighistory-');
  const m = await generateMaterial(dir);
  const genesis = genesisBlock(m, 7050);
  const full = openHarness(m, path.join(dir, 'full'), genesis);
  let pruned = openHarness(m, path.join(dir, 'pruned'), genesis);
  const both = () => [full, pruned];

  const commitEverywhere = (tx: { envelope: Uint8Array; txId: string; pvt?: Uint8Array }): Promise<number> => commitOnEvery(full, both(), tx);
  const define = (sequence: number, collections: readonly CollectionSpec[]) =>
    commitEverywhere(commitTx(full, testDefinition('pd', { sequence, version: `${sequence}.0`, collectionsBytes: collectionPackage(...collections).serializeBinary() })));
  const snapshotOf = (h: Harness, name: string): Promise<string> => snapshotAtLastBlock(h, path.join(dir, `snapshots-${name}`));
  const hashOf = (snap: string): string => Buffer.from(readSnapshotMetadata(snap).snapshotHash).toString('hex');

  try {
    await define(1, [{ name: 'shared', policy: BOTH }, { name: 'mine', policy: ORG1 }]);
    const written = await commitEverywhere(privateTx(full, 'pd', { shared: { s: '1' }, mine: { m: '1' } }));
    await define(2, [{ name: 'shared', policy: BOTH }, { name: 'mine', policy: ORG1 }]);
    const snap = await snapshotOf(pruned, 'at-prune');
    await define(3, [{ name: 'shared', policy: ORG1 }, { name: 'mine', policy: ORG1 }]);
    const heldBefore = pruned.joined.channel.ledger.getPrivateDataByBlock(written);
    expect(heldBefore.size).toBe(1);

    pruned.channels.close();
    const metadata = await verifySnapshotFiles(snap);
    const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: path.join(dir, 'pruned') }));
    try {
      const ledger = manager.open(CHANNEL) as KvLedger;
      const result = ledger.prune(
        { lastBlockNumber: metadata.lastBlockNumber, lastBlockHash: metadata.lastBlockHash, previousBlockHash: metadata.previousBlockHash, snapshotHash: metadata.snapshotHash },
        readConfigHistoryFiles(snap, new Set(metadata.fileHashes.keys()), metadata.lastBlockNumber),
        { vacuum: true },
      );
      expect(result.blocksRemoved).toBe(metadata.lastBlockNumber + 1);
    } finally {
      manager.close();
    }
    pruned = openHarness(m, path.join(dir, 'pruned'), genesis);
    const ledger = pruned.joined.channel.ledger;
    expect(ledger.snapshotBootstrap()?.lastBlockNumber).toBe(metadata.lastBlockNumber);
    // Unlike a peer joined from the snapshot, it holds the values: nothing missing, and another peer may still pull them.
    expect(ledger.missingPvtData(100)).toEqual([]);
    expect(ledger.getPrivateDataByBlock(written)).toEqual(heldBefore);

    await commitEverywhere(privateTx(full, 'pd', { shared: { s: '2' } }));
    await define(4, [{ name: 'shared', policy: ORG1 }, { name: 'mine', policy: BOTH }]);
    const [fromFull, fromPruned] = [await snapshotOf(full, 'full-later'), await snapshotOf(pruned, 'pruned-later')];
    for (const name of ['confighistory.data', 'confighistory.metadata']) expect(fs.readFileSync(path.join(fromPruned, name))).toEqual(fs.readFileSync(path.join(fromFull, name)));
    expect(hashOf(fromPruned)).toBe(hashOf(fromFull));
  } finally {
    full.channels.close();
    pruned.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
