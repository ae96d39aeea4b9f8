/**
 * DeliverWithPrivateData judges each block's collections as Fabric's `collPolicyChecker` does: by
 * the collection definition in force for that block (`MostRecentCollectionConfigBelow`), not the
 * one committed now, and sends a collection that is not member-only-read to any requester the
 * channel's event ACL admits. A collection the requester's org belongs to now is sent too, as
 * Fabric's private data pull sends it (a peer here pulls through this service).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { DeliverService, DeliverStatus, type DeliverSink } from '../../../core/peer/deliver/deliver-service';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { nOutOf, rolePrincipal, signedBy } from '../../../core/policy/policy-expression';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { collectionPackage, type CollectionSpec } from '../../support/lifecycle-collections';
import { seekPosition } from '../../support/seek-position';
import { commitBlock, endorsedTx, openHarness, type Harness } from './channel-harness';
import { CHANNEL, generateMaterial, tmpDir } from './network-fixture';
import { commitLifecycle, commitTx } from './lifecycle-harness';
import { definitionWithCollections, privateTx, type PrivateTx } from './private-harness';
import { testDefinition } from '../../support/chaincode-definition';

const ORG1 = "OR('Org1MSP.member')";
const BOTH = "OR('Org1MSP.member', 'Org2MSP.member')";

let dir: string;
let h: Harness;
let service: DeliverService;

/**
 * Commits definition `sequence` of chaincode `pd` as `_lifecycle`'s CommitChaincodeDefinition
 * writes it (Fabric's layout): reading the keys it replaces first (its read set names their versions).
 */
async function define(sequence: number, collections: readonly CollectionSpec[], name = 'pd', version = '1.0'): Promise<number> {
  const tx = commitTx(h, testDefinition(name, { sequence, version, collectionsBytes: collectionPackage(...collections).serializeBinary() }));
  expect(await commitLifecycle(h, [tx])).toEqual([TxValidationCode.VALID]);
  return h.joined.channel.height() - 1;
}

async function commitPrivate(tx: PrivateTx): Promise<number> {
  const channel = h.joined.channel;
  channel.transient.persist(tx.txId, tx.pvt, channel.height());
  expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
  return channel.height() - 1;
}

/** Block number → the `<chaincode>/<collection>`s sent with its transaction 0, for the blocks that sent any. */
async function deliver(signer: Signer, start: number, stop: number, contentType: SeekInfo.SeekContentTypeMap[keyof SeekInfo.SeekContentTypeMap] = SeekInfo.SeekContentType.BLOCK): Promise<Record<number, string[]>> {
  const seek = new SeekInfo();
  seek.setStart(seekPosition(start));
  seek.setStop(seekPosition(stop));
  seek.setContentType(contentType);
  const request = buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: seek.serializeBinary(), signer });
  const out: Record<number, string[]> = {};
  const sink: DeliverSink = {
    write: async (bytes) => {
      const bpd = DeliverResponse.deserializeBinary(bytes).getBlockAndPrivateData();
      if (bpd === undefined) return;
      const set = bpd.getPrivateDataMapMap().get(0);
      // The definitions' blocks carry no private data.
      if (set === undefined) return;
      const names = set.getNsPvtRwsetList().flatMap((ns) => ns.getCollectionPvtRwsetList().map((c) => `${ns.getNamespace()}/${c.getCollectionName()}`));
      out[bpd.getBlock()?.getHeader()?.getNumber() ?? -1] = names.sort();
    },
    closed: () => false,
    gone: new Promise<void>(() => undefined),
  };
  expect(await service.serve(request, 'private', sink)).toBe(DeliverStatus.SUCCESS);
  return out;
}

/** Blocks, in order: the definitions and the private writes judged under them. */
const at: Record<string, number> = {};

beforeAll(async () => {
  dir = tmpDir('weft-deliver-pvt-history-');
  h = openHarness(await generateMaterial(dir), path.join(dir, 'ledgers'));
  service = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, policies: new EndorsementPolicies(new FabricPolicyProvider()) });
  const writes = { grow: { g: '1' }, shrink: { s: '1' }, open: { o: '1' }, closed: { c: '1' } };
  // grow: Org1 only, then both orgs; shrink: both, then Org1 only; open: Org1 only, readable by
  // anyone until definition 3; closed: Org1 only throughout.
  at.def1 = await define(1, [
    { name: 'grow', policy: ORG1 },
    { name: 'shrink', policy: BOTH },
    { name: 'open', policy: ORG1, memberOnlyRead: false },
    { name: 'closed', policy: ORG1 },
  ]);
  at.w1 = await commitPrivate(privateTx(h, 'pd', writes));
  at.def2 = await define(2, [
    { name: 'grow', policy: BOTH },
    { name: 'shrink', policy: ORG1 },
    { name: 'open', policy: ORG1, memberOnlyRead: false },
    { name: 'closed', policy: ORG1 },
  ]);
  at.w2 = await commitPrivate(privateTx(h, 'pd', writes));
  // A third definition: block w1 is judged two definitions back.
  at.def3 = await define(3, [
    { name: 'grow', policy: BOTH },
    { name: 'shrink', policy: ORG1 },
    { name: 'open', policy: ORG1, memberOnlyRead: true },
    { name: 'closed', policy: ORG1 },
  ]);
  at.w3 = await commitPrivate(privateTx(h, 'pd', writes));
  // A fourth changing only the version: Fabric's serializer leaves the Collections key as it was.
  at.def4 = await define(
    4,
    [
      { name: 'grow', policy: BOTH },
      { name: 'shrink', policy: ORG1 },
      { name: 'open', policy: ORG1, memberOnlyRead: true },
      { name: 'closed', policy: ORG1 },
    ],
    'pd',
    '2.0',
  );
}, 60_000);

afterAll(() => {
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('DeliverWithPrivateData judges collections as of each block', () => {
  it('sends the collections the requester’s org belonged to when the block was committed, those not member-only-read then, and those it belongs to now', async () => {
    // Org2 left shrink after w1 (judged two definitions back), open became member-only-read for
    // w3, Org2 joined grow after w1 (a pull by its peers reconciles what was written before).
    expect(await deliver(h.users[1], at.w1, at.w3)).toEqual({
      [at.w1]: ['pd/grow', 'pd/open', 'pd/shrink'],
      [at.w2]: ['pd/grow', 'pd/open'],
      [at.w3]: ['pd/grow'],
    });
  });

  it('sends a member every collection of every block', async () => {
    const all = ['pd/closed', 'pd/grow', 'pd/open', 'pd/shrink'];
    expect(await deliver(h.users[0], at.w1, at.w3)).toEqual({ [at.w1]: all, [at.w2]: all, [at.w3]: all });
  });

  it('answers a block alone as within a longer range', async () => {
    expect(await deliver(h.users[1], at.w1, at.w1)).toEqual({ [at.w1]: ['pd/grow', 'pd/open', 'pd/shrink'] });
    expect(await deliver(h.users[1], at.w2, at.w2)).toEqual({ [at.w2]: ['pd/grow', 'pd/open'] });
  });

  it('sends no one a collection whose member orgs policy does not compile, and the block’s other collections as before', async () => {
    // Only a `_lifecycle` write that CommitChaincodeDefinition did not judge can hold such a policy.
    const broken = new SignaturePolicyEnvelope();
    broken.setRule(nOutOf(1, [signedBy(5)]));
    broken.setIdentitiesList([rolePrincipal('Org1MSP', 'member')]);
    await define(1, [{ name: 'broken', policy: broken }, { name: 'fine', policy: ORG1 }], 'pb');
    const n = await commitPrivate(privateTx(h, 'pb', { broken: { b: '1' }, fine: { f: '1' } }));
    expect(await deliver(h.users[0], n, n)).toEqual({ [n]: ['pb/fine'] });
  });

  it('infers nothing of a definition older than one whose commit did not read the definition it replaced', async () => {
    // Written as a raw `_lifecycle` write, not as CommitChaincodeDefinition writes it: nothing leads back to definition 1.
    const rawDefine = async (sequence: number, policy: string): Promise<void> => {
      const results = definitionWithCollections('pr', sequence, [{ name: 'c', policy }]);
      const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results });
      expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
    };
    await rawDefine(1, BOTH);
    const n = await commitPrivate(privateTx(h, 'pr', { c: { k: '1' } }));
    expect(await deliver(h.users[1], n, n)).toEqual({ [n]: ['pr/c'] });
    await rawDefine(2, ORG1);
    // Org2 was a member when the block was committed, but the peer cannot tell: only the definition of now counts.
    expect(await deliver(h.users[1], n, n)).toEqual({});
    expect(await deliver(h.users[0], n, n)).toEqual({ [n]: ['pr/c'] });
  });

  it('judges a block by a definition an earlier Weft version committed, once a definition in Fabric\'s layout replaced it', async () => {
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWithCollections('pm', 1, [{ name: 'c', policy: BOTH }]) });
    expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
    const n = await commitPrivate(privateTx(h, 'pm', { c: { k: '1' } }));
    await define(2, [{ name: 'c', policy: ORG1 }], 'pm');
    // Org2 was a member under the legacy definition 1, which the block was committed under.
    expect(await deliver(h.users[1], n, n)).toEqual({ [n]: ['pm/c'] });
    const later = await commitPrivate(privateTx(h, 'pm', { c: { k: '2' } }));
    expect(await deliver(h.users[1], later, later)).toEqual({});
  });

  it('sends the private data with a block header alone too, as Fabric looks it up by the block number', async () => {
    expect(await deliver(h.users[1], at.w2, at.w2, SeekInfo.SeekContentType.HEADER_WITH_SIG)).toEqual({ [at.w2]: ['pd/grow', 'pd/open'] });
  });
});
