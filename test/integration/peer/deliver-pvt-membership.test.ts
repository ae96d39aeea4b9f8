/**
 * DeliverWithPrivateData's collection filter over the channel harness: each collection's membership
 * is decided once per request, not once per transaction, with the same answers, and a chaincode
 * redefined while a request streams is judged by its new definition from then on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { DeliverService, DeliverStatus, type DeliverSink } from '../../../core/peer/deliver/deliver-service';
import { EndorsementPolicies } from '../../../core/peer/validation/endorsement-policies';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { seekPosition } from '../../support/seek-position';
import { commitBlock, endorsedTx, openHarness, type Harness } from './channel-harness';
import { CHANNEL, generateMaterial, tmpDir } from './network-fixture';
import { definitionWithCollections, privateTx, type PrivateTx } from './private-harness';

const ORG1_ONLY = "OR('Org1MSP.member')";

let dir: string;
let h: Harness;
let service: DeliverService;
/** Member orgs policies the service compiled, each time it decided a membership. */
let compiled = 0;
/** The block of three transactions each writing both collections. */
let written: number;

async function commitPrivate(txs: readonly PrivateTx[]): Promise<number> {
  const channel = h.joined.channel;
  for (const tx of txs) channel.transient.persist(tx.txId, tx.pvt, channel.height());
  expect(await commitBlock(h, txs.map((t) => t.envelope))).toEqual(txs.map(() => TxValidationCode.VALID));
  return channel.height() - 1;
}

async function define(sequence: number, both: string): Promise<void> {
  const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWithCollections('pd', sequence, [{ name: 'both', policy: both }, { name: 'org1', policy: ORG1_ONLY }]) });
  expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
}

beforeAll(async () => {
  dir = tmpDir('weft-deliver-pvt-membership-');
  h = openHarness(await generateMaterial(dir), path.join(dir, 'ledgers'));
  const real = new EndorsementPolicies(new FabricPolicyProvider());
  const policies: Pick<EndorsementPolicies, 'signaturePolicy'> = {
    signaturePolicy: (...args) => {
      compiled++;
      return real.signaturePolicy(...args);
    },
  };
  service = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, policies });
  await define(1, "OR('Org1MSP.member', 'Org2MSP.member')");
  written = await commitPrivate([0, 1, 2].map((i) => privateTx(h, 'pd', { both: { [`b${i}`]: 'x' }, org1: { [`o${i}`]: 'y' } })));
}, 60_000);

afterAll(() => {
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Block number → transaction number → the `<chaincode>/<collection>`s sent with it. */
type Delivered = Record<number, Record<number, string[]>>;

/** Serves one DeliverWithPrivateData request of `signer` for blocks [start, stop]; `onBlock` runs as each block is written. */
async function deliver(signer: Signer, start: number, stop: number, onBlock: (n: number) => Promise<void> = async () => undefined): Promise<Delivered> {
  const seek = new SeekInfo();
  seek.setStart(seekPosition(start));
  seek.setStop(seekPosition(stop));
  const request = buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: CHANNEL, data: seek.serializeBinary(), signer });
  const out: Delivered = {};
  const sink: DeliverSink = {
    write: async (bytes) => {
      const bpd = DeliverResponse.deserializeBinary(bytes).getBlockAndPrivateData();
      if (bpd === undefined) return;
      const n = bpd.getBlock()?.getHeader()?.getNumber() ?? -1;
      const txs: Record<number, string[]> = {};
      bpd.getPrivateDataMapMap().forEach((set, txNum) => {
        txs[txNum] = set.getNsPvtRwsetList().flatMap((ns) => ns.getCollectionPvtRwsetList().map((c) => `${ns.getNamespace()}/${c.getCollectionName()}`));
      });
      out[n] = txs;
      await onBlock(n);
    },
    closed: () => false,
    gone: new Promise<void>(() => undefined),
  };
  expect(await service.serve(request, 'private', sink)).toBe(DeliverStatus.SUCCESS);
  return out;
}

describe('DeliverWithPrivateData collection membership', () => {
  it('decides each collection once per request, with the answers it gave per transaction', async () => {
    compiled = 0;
    expect(await deliver(h.users[1], written, written)).toEqual({ [written]: { 0: ['pd/both'], 1: ['pd/both'], 2: ['pd/both'] } });
    expect(compiled).toBe(2);
    compiled = 0;
    expect(await deliver(h.users[0], written, written)).toEqual({ [written]: { 0: ['pd/both', 'pd/org1'], 1: ['pd/both', 'pd/org1'], 2: ['pd/both', 'pd/org1'] } });
    expect(compiled).toBe(2);
  });

  it('judges the blocks after a redefinition committed mid-request by the new definition', async () => {
    let later = -1;
    const delivered = await deliver(h.users[1], written, written + 2, async (n) => {
      if (n !== written) return;
      // Org2 leaves the collection, then a block writes it again.
      await define(2, ORG1_ONLY);
      later = await commitPrivate([privateTx(h, 'pd', { both: { late: 'z' } })]);
    });
    expect(later).toBe(written + 2);
    expect(delivered).toEqual({ [written]: { 0: ['pd/both'], 1: ['pd/both'], 2: ['pd/both'] }, [written + 1]: {}, [later]: {} });
    // The block holds the collection: a member still receives it.
    expect(await deliver(h.users[0], later, later)).toEqual({ [later]: { 0: ['pd/both'] } });
  });
});
