/**
 * The Gateway's ChaincodeEvents as Fabric's (internal/pkg/gateway/chaincodeevents.go and
 * chaincodeevents_test.go): start positions, resuming after a transaction, and the
 * gateway/ChaincodeEvents ACL, over the real channel of the channel harness.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ChaincodeEventsRequest, ChaincodeEventsResponse, SignedChaincodeEventsRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import type { SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { seekPosition } from '../../support/seek-position';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { Endorser } from '../../../core/peer/endorser/endorser';
import type { EndorsementCollector } from '../../../core/peer/gateway/endorsement-collector';
import { GatewayService } from '../../../core/peer/gateway/gateway-service';
import { buildProposal, parseSignedProposal, signProposal } from '../../../core/protocol/proposal';
import { buildProposalResponse, parseProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { buildTransactionEnvelope } from '../../../core/protocol/transaction';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, genesisBlock, tmpDir } from './network-fixture';

let dir: string;
let m: Material;
let h: Harness;
let strict: Harness;
let serial = 0;

beforeAll(async () => {
  dir = tmpDir('weft-gateway-events-');
  m = await generateMaterial(dir);
  h = openHarness(m, path.join(dir, 'ledgers'));
  strict = openHarness(m, path.join(dir, 'strict'), genesisBlock(m, 7050, '100ms', CHANNEL, [], { 'gateway/ChaincodeEvents': '/Channel/Application/Admins' }));
}, 60_000);

afterAll(() => {
  h?.channels.close();
  strict?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const gateway = (harness: Harness): GatewayService =>
  new GatewayService({
    endorser: {} as Endorser,
    collector: {} as EndorsementCollector,
    local: { address: 'peer0.org1:7051', mspId: 'Org1MSP', processProposal: () => Promise.reject(new Error('unused')) },
    peers: () => [],
    channel: (id) => harness.channels.channel(id),
    broadcasters: () => [],
    endorsementTimeoutMs: 1000,
    broadcastTimeoutMs: 1000,
    isSystemChaincode: () => false,
  });

/**
 * A transaction of `chaincode` (defined in `beforeAll`) that writes a key of its own and emits an
 * event: VALID when both orgs endorse it, ENDORSEMENT_POLICY_FAILURE (MAJORITY) with one.
 */
function eventTx(chaincode: string, valid = true, eventName?: string): { envelope: Uint8Array; txId: string } {
  const creator = h.users[0];
  const built = buildProposal({ channelId: CHANNEL, chaincodeName: chaincode, args: [Buffer.from('f')], creator: creator.serialized });
  const proposal = parseSignedProposal(signProposal(built.proposalBytes, creator));
  const event = new ChaincodeEvent();
  event.setChaincodeId(chaincode);
  event.setTxId(built.txId);
  event.setEventName(eventName ?? `ev-${built.txId.slice(0, 8)}`);
  const results = rwset({ [chaincode]: { [`key${++serial}`]: Uint8Array.from([serial]) } });
  const responses = (valid ? h.peers : h.peers.slice(0, 1)).map((endorser) =>
    parseProposalResponse(
      buildProposalResponse({ proposal, response: { status: 200 }, results, events: event.serializeBinary(), chaincodeId: { name: chaincode, version: '1.0' }, endorser }),
    ),
  );
  return { envelope: buildTransactionEnvelope(proposal, responses, creator), txId: built.txId };
}

function eventsRequest(options: { start?: SeekPosition; after?: string; signer?: Signer; channelId?: string }): Uint8Array {
  const signer = options.signer ?? h.users[0];
  const req = new ChaincodeEventsRequest();
  req.setChannelId(options.channelId ?? CHANNEL);
  req.setChaincodeId('kv');
  req.setIdentity(signer.serialized);
  if (options.start !== undefined) req.setStartPosition(options.start);
  if (options.after !== undefined) req.setAfterTransactionId(options.after);
  const bytes = req.serializeBinary();
  const signed = new SignedChaincodeEventsRequest();
  signed.setRequest(bytes);
  signed.setSignature(signer.sign(bytes));
  return signed.serializeBinary();
}

/** Opens a stream; `until` collects the events (block: txids) sent so far, then ends it. */
function open(gw: GatewayService, request: Uint8Array): { done: Promise<void>; until(): Promise<[number, string[]][]> } {
  const ac = new AbortController();
  const got: [number, string[]][] = [];
  const done = gw.chaincodeEvents(
    request,
    async (bytes) => {
      const res = ChaincodeEventsResponse.deserializeBinary(bytes);
      got.push([res.getBlockNumber(), res.getEventsList().map((e) => e.getTxId())]);
    },
    ac.signal,
  );
  return {
    done,
    until: async () => {
      await new Promise((r) => setTimeout(r, 30));
      ac.abort();
      await done;
      return got;
    },
  };
}

describe('ChaincodeEvents start positions and afterTransactionId (Fabric chaincodeEventsStartBlock and chaincodeEventMatcher)', () => {
  let blocks: { number: number; txIds: string[] }[];

  beforeAll(async () => {
    const define = (name: string): Uint8Array => endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites(name) }).envelope;
    expect(await commitBlock(h, [define('kv'), define('other')])).toEqual([TxValidationCode.VALID, TxValidationCode.VALID]);
    // Block a: kv, other, kv. Block b: kv (invalid), kv. Block c: kv.
    blocks = [];
    for (const txs of [[eventTx('kv'), eventTx('other'), eventTx('kv')], [eventTx('kv', false), eventTx('kv')], [eventTx('kv')]]) {
      const number = h.joined.channel.height();
      const flags = await commitBlock(h, txs.map((t) => t.envelope));
      expect(flags.filter((f) => f !== TxValidationCode.VALID)).toHaveLength(txs.length === 2 ? 1 : 0);
      blocks.push({ number, txIds: txs.map((t) => t.txId) });
    }
  });

  it('starts at the block of a committed afterTransactionId, whatever the requested start, and skips up to and including it', async () => {
    const [a, b, c] = blocks;
    const fromNext = open(gateway(h), eventsRequest({ start: seekPosition('next'), after: a.txIds[1] }));
    expect(await fromNext.until()).toEqual([
      [a.number, [a.txIds[2]]],
      [b.number, [b.txIds[1]]],
      [c.number, [c.txIds[0]]],
    ]);
    // Fabric does not look at the start position then: even Oldest is accepted.
    const fromOldest = open(gateway(h), eventsRequest({ start: seekPosition('oldest'), after: b.txIds[1] }));
    expect(await fromOldest.until()).toEqual([[c.number, [c.txIds[0]]]]);
  });

  it('skips every event until the afterTransactionId event when that transaction is not in the ledger yet', async () => {
    const [a] = blocks;
    const pending = eventTx('kv');
    const stream = open(gateway(h), eventsRequest({ start: seekPosition(a.number), after: pending.txId }));
    await new Promise((r) => setTimeout(r, 20));
    const later = eventTx('kv');
    await commitBlock(h, [pending.envelope, later.envelope]);
    expect(await stream.until()).toEqual([[h.joined.channel.height() - 1, [later.txId]]]);
  });

  it('leaves out an event without a name, as Fabric (validChaincodeEvent)', async () => {
    const stream = open(gateway(h), eventsRequest({ start: seekPosition('next') }));
    await new Promise((r) => setTimeout(r, 20));
    const unnamed = eventTx('kv', true, '');
    const named = eventTx('kv');
    expect(await commitBlock(h, [unnamed.envelope, named.envelope])).toEqual([TxValidationCode.VALID, TxValidationCode.VALID]);
    expect(await stream.until()).toEqual([[h.joined.channel.height() - 1, [named.txId]]]);
  });

  it('streams from a Specified start, and from the next commit with no start or NextCommit', async () => {
    const [a, b, c] = blocks;
    expect(await open(gateway(h), eventsRequest({ start: seekPosition(b.number) })).until()).toEqual(
      expect.arrayContaining([
        [b.number, [b.txIds[1]]],
        [c.number, [c.txIds[0]]],
      ]),
    );
    expect((await open(gateway(h), eventsRequest({ start: seekPosition(a.number) })).until())[0]).toEqual([a.number, [a.txIds[0], a.txIds[2]]]);
    for (const start of [undefined, seekPosition('next')]) {
      const stream = open(gateway(h), eventsRequest({ start }));
      await new Promise((r) => setTimeout(r, 20));
      const next = eventTx('kv');
      await commitBlock(h, [next.envelope]);
      expect(await stream.until()).toEqual([[h.joined.channel.height() - 1, [next.txId]]]);
    }
  });

  it('refuses an Oldest or Newest start position (INVALID_ARGUMENT, with Fabric’s message)', async () => {
    await expect(open(gateway(h), eventsRequest({ start: seekPosition('oldest') })).done).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: 'invalid start position type: *orderer.SeekPosition_Oldest',
    });
    await expect(open(gateway(h), eventsRequest({ start: seekPosition('newest'), after: 'not-committed' })).done).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: 'invalid start position type: *orderer.SeekPosition_Newest',
    });
  });
});

describe('ChaincodeEvents access', () => {
  it("follows the channel's ACL for gateway/ChaincodeEvents (default Readers)", async () => {
    const allowed = open(gateway(h), eventsRequest({ signer: h.peers[0] }));
    expect(await allowed.until()).toEqual([]);
    await expect(open(gateway(strict), eventsRequest({})).done).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
      message: expect.stringContaining('with policy [/Channel/Application/Admins]'),
    });
  });

  it('answers PERMISSION_DENIED for an unknown channel and INVALID_ARGUMENT for an empty request', async () => {
    await expect(open(gateway(h), eventsRequest({ channelId: 'nochannel' })).done).rejects.toMatchObject({
      code: GrpcStatus.PERMISSION_DENIED,
      message: 'Failed to get policy manager for channel [nochannel]',
    });
    await expect(open(gateway(h), new SignedChaincodeEventsRequest().serializeBinary()).done).rejects.toMatchObject({
      code: GrpcStatus.INVALID_ARGUMENT,
      message: 'a chaincode events request is required',
    });
  });
});
