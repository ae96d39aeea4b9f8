/**
 * Fabric's collection config history in ledger snapshots (`confighistory.data` / `.metadata`,
 * `core/ledger/confighistory/mgr.go`), on real SQLite ledgers under the peer's channel manager and
 * committer: what the files list, that every peer at a height exports the same snapshot (one joined
 * from a snapshot included, which carries the history it imported), and what a joined peer judges
 * by the definitions older than its first block (the import's missing records, DeliverWithPrivateData).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { readConfigHistoryFiles } from '../../../core/ledger/snapshot-config-history';
import { readSnapshotMetadata } from '../../../core/ledger/snapshot-metadata';
import { DeliverService, DeliverStatus, type DeliverSink } from '../../../core/peer/deliver/deliver-service';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { collectionPackage, type CollectionSpec } from '../../support/lifecycle-collections';
import { seekPosition } from '../../support/seek-position';
import { commitOnEvery, type Harness, openHarness, snapshotAtLastBlock } from './channel-harness';
import { commitTx } from './lifecycle-harness';
import { CHANNEL, generateMaterial, genesisBlock, type Material, tmpDir } from './network-fixture';
import { privateTx } from './private-harness';
import { testDefinition } from '../../support/chaincode-definition';

const ORG1 = "OR('Org1MSP.member')";
const ORG2 = "OR('Org2MSP.member')";
const BOTH = "OR('Org1MSP.member', 'Org2MSP.member')";

let dir: string;
let m: Material;
/** Two peers that hold every block, and (once joined) one from the snapshot of the first. */
let full: Harness;
let other: Harness;
let fresh: Harness | undefined;
const at: Record<string, number> = {};

function peers(): Harness[] {
  return fresh === undefined ? [full, other] : [full, other, fresh];
}

const commitEverywhere = (tx: { envelope: Uint8Array; txId: string; pvt?: Uint8Array }): Promise<number> => commitOnEvery(full, peers(), tx);

/** Definition `sequence` of `name` as `_lifecycle`'s CommitChaincodeDefinition writes it (reading the keys it replaces). */
function define(name: string, sequence: number, collections: readonly CollectionSpec[], version = '1.0'): Promise<number> {
  const tx = commitTx(full, testDefinition(name, { sequence, version, collectionsBytes: collections.length === 0 ? new Uint8Array(0) : collectionPackage(...collections).serializeBinary() }));
  return commitEverywhere(tx);
}

const snapshotOf = (h: Harness, name: string): Promise<string> => snapshotAtLastBlock(h, path.join(dir, `snapshots-${name}`));

const hashOf = (snap: string): string => Buffer.from(readSnapshotMetadata(snap).snapshotHash).toString('hex');
const historyIn = (snap: string) =>
  readConfigHistoryFiles(snap, new Set(fs.readdirSync(snap)), readSnapshotMetadata(snap).lastBlockNumber).map((e) => ({
    chaincode: e.chaincode,
    blockNum: e.blockNum,
    collections: Buffer.from(e.collections).toString('hex'),
  }));
const pkg = (...collections: CollectionSpec[]): string => Buffer.from(collectionPackage(...collections).serializeBinary()).toString('hex');

/** Block number → the `<chaincode>/<collection>`s the peer's DeliverWithPrivateData sends `signer` with its transaction 0. */
async function deliver(h: Harness, signer: Signer, start: number, stop: number): Promise<Record<number, string[]>> {
  const service = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, policies: new EndorsementPolicies(new FabricPolicyProvider()) });
  const seek = new SeekInfo();
  seek.setStart(seekPosition(start));
  seek.setStop(seekPosition(stop));
  const request = buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: seek.serializeBinary(), signer });
  const out: Record<number, string[]> = {};
  const sink: DeliverSink = {
    write: async (bytes) => {
      const bpd = DeliverResponse.deserializeBinary(bytes).getBlockAndPrivateData();
      const set = bpd?.getPrivateDataMapMap().get(0);
      if (bpd === undefined || set === undefined) return;
      out[bpd.getBlock()?.getHeader()?.getNumber() ?? -1] = set
        .getNsPvtRwsetList()
        .flatMap((ns) => ns.getCollectionPvtRwsetList().map((c) => `${ns.getNamespace()}/${c.getCollectionName()}`))
        .sort();
    },
    closed: () => false,
    gone: new Promise<void>(() => undefined),
  };
  expect(await service.serve(request, 'private', sink)).toBe(DeliverStatus.SUCCESS);
  return out;
}

beforeAll(async () => {
  dir = tmpDir('weft-snapshot-confighistory-');
  m = await generateMaterial(dir);
  const genesis = genesisBlock(m, 7050);
  full = openHarness(m, path.join(dir, 'full'), genesis);
  other = openHarness(m, path.join(dir, 'other'), genesis);
  // shrink: both orgs, then Org2 alone (Org1 leaves after w1 wrote to it); keep: both, Org1 alone after the snapshot.
  at.def1 = await define('pd', 1, [{ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: BOTH }, { name: 'keep', policy: BOTH }]);
  at.w1 = await commitEverywhere(privateTx(full, 'pd', { grow: { g: '1' }, shrink: { s: '1' } }));
  // The same collections, a new version: Fabric records the definition's collections again.
  at.def2 = await define('pd', 2, [{ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: BOTH }, { name: 'keep', policy: BOTH }], '2.0');
  at.def3 = await define('pd', 3, [{ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: ORG2 }, { name: 'keep', policy: BOTH }]);
  // No collections: no entry. `p` sorts after `pd` in Fabric's keys ("pd~" < "p~").
  at.plain = await define('plain', 1, []);
  at.p = await define('p', 1, [{ name: 'c', policy: BOTH }]);
}, 120_000);

afterAll(() => {
  for (const h of [full, other, fresh]) h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('collection config history in snapshots', () => {
  let snap: string;

  it('lists an entry per definition commit of a chaincode with collections, in Fabric’s key order, equal on two peers', async () => {
    snap = await snapshotOf(full, 'full');
    const second = await snapshotOf(other, 'other');
    const three = [{ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: BOTH }, { name: 'keep', policy: BOTH }];
    expect(historyIn(snap)).toEqual([
      { chaincode: 'pd', blockNum: at.def3, collections: pkg({ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: ORG2 }, { name: 'keep', policy: BOTH }) },
      { chaincode: 'pd', blockNum: at.def2, collections: pkg(...three) },
      { chaincode: 'pd', blockNum: at.def1, collections: pkg(...three) },
      { chaincode: 'p', blockNum: at.p, collections: pkg({ name: 'c', policy: BOTH }) },
    ]);
    expect([...readSnapshotMetadata(snap).fileHashes.keys()]).toEqual(expect.arrayContaining(['confighistory.data', 'confighistory.metadata']));
    expect(hashOf(second)).toBe(hashOf(snap));
    for (const name of ['confighistory.data', 'confighistory.metadata']) expect(fs.readFileSync(path.join(second, name))).toEqual(fs.readFileSync(path.join(snap, name)));
  });

  it('records at import what Org1 may hold by the membership at the data’s block, as Fabric (a member then, not now)', async () => {
    // On another channel already: the harness joins CHANNEL from the snapshot alone.
    const opened = openHarness(m, path.join(dir, 'fresh'), genesisBlock(m, 7050, '100ms', 'other-channel'));
    await opened.channels.joinBySnapshot(snap);
    fresh = { ...opened, joined: opened.channels.get(CHANNEL)! };
    const ledger = fresh.joined.channel.ledger;
    const missing = ledger.missingPvtData(100).map((e) => `${e.blockNum}/${e.namespace}/${e.collection}`);
    // Org1 was a member of shrink when w1 wrote it (Org2 alone since): Fabric's import counts it eligible.
    expect(missing.sort()).toEqual([`${at.w1}/pd/grow`, `${at.w1}/pd/shrink`].sort());
    expect(ledger.ineligiblePvtCollections()).toEqual([]);
  });

  it('judges a block after the snapshot by the imported definition in force then, in DeliverWithPrivateData', async () => {
    const h = fresh!;
    at.w5 = await commitEverywhere(privateTx(full, 'pd', { keep: { k: '5' } }));
    // keep: Org1 alone from here; at w5 Org2 was a member (by definition 3, from before the snapshot).
    at.def4 = await define('pd', 4, [{ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: ORG2 }, { name: 'keep', policy: ORG1 }]);
    expect(await deliver(full, full.users[1], at.w5, at.w5)).toEqual({ [at.w5]: ['pd/keep'] });
    expect(await deliver(h, h.users[1], at.w5, at.w5)).toEqual({ [at.w5]: ['pd/keep'] });
  });

  it('carries the imported history into the snapshots a joined peer takes: the same as a peer that holds every block', async () => {
    const h = fresh!;
    // A redefinition with the same collections after the snapshot: an entry from a block the joined peer holds.
    at.def5 = await define('pd', 5, [{ name: 'grow', policy: ORG1 }, { name: 'shrink', policy: ORG2 }, { name: 'keep', policy: ORG1 }], '5.0');
    const fromFull = await snapshotOf(full, 'full-later');
    const fromJoined = await snapshotOf(h, 'fresh-later');
    expect(historyIn(fromJoined).map((e) => [e.chaincode, e.blockNum])).toEqual([
      ['pd', at.def5],
      ['pd', at.def4],
      ['pd', at.def3],
      ['pd', at.def2],
      ['pd', at.def1],
      ['p', at.p],
    ]);
    expect(historyIn(fromJoined)).toEqual(historyIn(fromFull));
    expect(hashOf(fromJoined)).toBe(hashOf(fromFull));
  });
});
