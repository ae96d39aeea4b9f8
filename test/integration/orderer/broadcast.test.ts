import * as fs from 'node:fs';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BroadcastResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { buildEnvelope } from '../../../core/protocol/envelope';
import { envelopeFormProblem, goEnvelope } from '../../../core/protocol/envelope-encoding';
import { cat, len, vint } from '../../support/raw-protobuf';
import { loadMspConfig, loadSigningIdentity, TestOrg, type TestIdentity } from '../../../plugins/msp-x509';
import {
  abClient,
  adminRequest,
  batchSizeUpdate,
  broadcast,
  clientSigner,
  clientTlsCertHash,
  deliver,
  envelopeTxId,
  fetchBlock,
  generateMaterial,
  genesisBlock,
  ordererAdminSigner,
  seekEnvelope,
  testIdentitySigner,
  tmpDir,
  txEnvelope,
  waitForTxIds,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';

const DAY = 24 * 3600 * 1000;

describe('Broadcast over gRPC with TLS: ingress checks and statuses', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let client: AtomicBroadcastClient;
  let org2: TestOrg;
  let good: TestIdentity;
  let expired: TestIdentity;
  let revoked: TestIdentity;
  let peerRole: TestIdentity;
  let foreign: TestIdentity;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-broadcast-');
    m = await generateMaterial(dir);
    org2 = await TestOrg.create({ mspId: 'Org2MSP' });
    good = await org2.issue('good', { role: 'client' });
    expired = await org2.issue('expired', { role: 'client', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    revoked = await org2.issue('revoked', { role: 'client' });
    peerRole = await org2.issue('peer9', { role: 'peer' });
    await org2.revoke(revoked);
    const evil = await TestOrg.create({ mspId: 'Org2MSP', domain: 'evil.example.com' });
    foreign = await evil.issue('mallory', { role: 'client' });

    node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0', { mutualTls: true }).configFile));
    const { grpcPort, adminPort } = await node.start();
    client = abClient(m, grpcPort, true);
    const block = genesisBlock(m, 'ch1', {
      applicationOrgs: [
        { mspId: 'Org1MSP', mspConfig: loadMspConfig(m.peerOrg.mspDir, 'Org1MSP') },
        { mspId: 'Org2MSP', mspConfig: org2.mspConfig() },
      ],
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 64 * 1024, preferredMaxBytes: 32 * 1024 },
    });
    const joined = await adminRequest(m, adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: block });
    expect(joined.status).toBe(201);
  });

  afterAll(async () => {
    client?.close();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function one(envelope: Uint8Array): Promise<{ status: number; info: string }> {
    const [answer] = await broadcast(client, [envelope]);
    return answer!;
  }

  it('accepts a writer of either org and an orderer identity', async () => {
    expect(await one(txEnvelope(clientSigner(m), 'ch1'))).toEqual({ status: Status.SUCCESS, info: '' });
    expect(await one(txEnvelope(testIdentitySigner(good), 'ch1'))).toEqual({ status: Status.SUCCESS, info: '' });
    const orderer = loadSigningIdentity(m.ordererOrg.nodes.orderer!.mspDir, 'OrdererMSP');
    expect((await one(txEnvelope(orderer, 'ch1', 100, HeaderType.MESSAGE))).status).toBe(Status.SUCCESS);
  });

  it.each([
    ['garbage bytes', () => Buffer.from('definitely not protobuf \xff\xff\xff'), /envelope/],
    ['an empty envelope', () => Buffer.alloc(0), /empty/],
    ['a payload without header', () => Buffer.from([0x0a, 0x00]), /payload/],
    ['a DELIVER_SEEK_INFO envelope', () => seekEnvelope(clientSigner(m), 'ch1', 'oldest', 'newest'), /DELIVER_SEEK_INFO cannot be broadcast/],
    ['a CONFIG envelope', () => txEnvelope(clientSigner(m), 'ch1', 10, HeaderType.CONFIG), /CONFIG cannot be broadcast/],
    ['an envelope over AbsoluteMaxBytes', () => txEnvelope(clientSigner(m), 'ch1', 70 * 1024), /exceeds the channel's AbsoluteMaxBytes of 65536/],
    ['an expired creator', () => txEnvelope(testIdentitySigner(expired), 'ch1'), /expired/],
  ])('answers BAD_REQUEST to %s, saying why', async (_name, make, info) => {
    const answer = await one(make());
    expect(answer.status).toBe(Status.BAD_REQUEST);
    expect(answer.info).toMatch(info);
  });

  it('answers BAD_REQUEST for an unknown channel, as Fabric (NOT_FOUND is Deliver\'s answer only)', async () => {
    const answer = await one(txEnvelope(clientSigner(m), 'nosuchchannel'));
    expect(answer).toEqual({ status: Status.BAD_REQUEST, info: 'channel "nosuchchannel" does not exist on this orderer' });
  });

  it.each([
    ['a revoked identity', () => testIdentitySigner(revoked), /not valid.*revoked|revoked/i],
    ['an identity from a foreign CA claiming a channel MSP', () => testIdentitySigner(foreign), /not valid/],
    ['a peer (not a Writer of its org)', () => testIdentitySigner(peerRole), /\/Channel\/Writers/],
  ])('answers FORBIDDEN to %s', async (_name, signer, info) => {
    const answer = await one(txEnvelope(signer(), 'ch1'));
    expect(answer.status).toBe(Status.FORBIDDEN);
    expect(answer.info).toMatch(info);
  });

  it('answers FORBIDDEN to a tampered signature and to an unsigned envelope', async () => {
    const signer = clientSigner(m);
    const tampered = { serialized: signer.serialized, sign: (msg: Uint8Array) => signer.sign(Buffer.concat([msg, Buffer.from('x')])) };
    const bad = await one(txEnvelope(tampered, 'ch1'));
    expect(bad.status).toBe(Status.FORBIDDEN);
    expect(bad.info).toMatch(/signature/);
    const unsigned = buildEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'ch1', data: Buffer.alloc(10) });
    expect((await one(unsigned)).status).toBe(Status.FORBIDDEN);
  });

  /** How often each of `txIds` was ordered, once `marker` (broadcast after them) is in a block. */
  async function timesOrdered(txIds: readonly string[], marker: Uint8Array): Promise<number[]> {
    const signer = clientSigner(m);
    expect((await one(marker)).status).toBe(Status.SUCCESS);
    const request = seekEnvelope(signer, 'ch1', 'oldest', 'max', 'block', false, { tlsCertHash: clientTlsCertHash(m) });
    const markerTxId = envelopeTxId(marker);
    const out = await deliver(client, request, undefined, (ids) => ids.flat().includes(markerTxId));
    return txIds.map((t) => out.txIds.flat().filter((id) => id === t).length);
  }

  it('answers SUCCESS to an envelope broadcast again, as Fabric, and orders it once', async () => {
    const signer = clientSigner(m);
    const env = txEnvelope(signer, 'ch1');
    expect(await one(env)).toEqual({ status: Status.SUCCESS, info: '' });
    // A client that lost the first answer sends it again, later on another stream, and twice at once.
    expect(await one(env)).toEqual({ status: Status.SUCCESS, info: '' });
    const [a, b] = await Promise.all([one(env), one(env)]);
    expect([a, b]).toEqual([{ status: Status.SUCCESS, info: '' }, { status: Status.SUCCESS, info: '' }]);
    // Both copies on one stream before the first was answered.
    const fresh = txEnvelope(signer, 'ch1');
    expect(await broadcast(client, [fresh, fresh])).toEqual([{ status: Status.SUCCESS, info: '' }, { status: Status.SUCCESS, info: '' }]);
    expect(await timesOrdered([envelopeTxId(env), envelopeTxId(fresh)], txEnvelope(signer, 'ch1'))).toEqual([1, 1]);
  });

  it('orders an envelope signed anew for a transaction id it has ordered, as Fabric (the peers mark it DUPLICATE_TXID)', async () => {
    const signer = clientSigner(m);
    const sent = txEnvelope(signer, 'ch1');
    const { payload } = goEnvelope(sent);
    const resigned = cat(len(1, payload), len(2, signer.sign(payload)));
    expect(Buffer.from(resigned)).not.toEqual(Buffer.from(sent));
    expect(await broadcast(client, [sent, resigned])).toEqual([{ status: Status.SUCCESS, info: '' }, { status: Status.SUCCESS, info: '' }]);
    expect(await timesOrdered([envelopeTxId(sent)], txEnvelope(signer, 'ch1'))).toEqual([2]);
  });

  it('refuses a config update broadcast again, as Fabric', async () => {
    const admin = ordererAdminSigner(m);
    const update = batchSizeUpdate('ch1', { maxMessageCount: 10, absoluteMaxBytes: 64 * 1024, preferredMaxBytes: 32 * 1024 }, [admin], admin);
    const [first, again] = await broadcast(client, [update, update]);
    expect(first).toEqual({ status: Status.SUCCESS, info: '' });
    // Refused by the replay check, or, once the first is applied, by the stale read set: BAD_REQUEST either way.
    expect(again!.status).toBe(Status.BAD_REQUEST);
    expect((await one(update)).status).toBe(Status.BAD_REQUEST);
  });

  it('keeps serving after bad input: answers in order on one stream, then delivers the good ones', async () => {
    const signer = clientSigner(m);
    const goodEnvs = [txEnvelope(signer, 'ch1'), txEnvelope(signer, 'ch1')];
    const answers = await broadcast(client, [Buffer.from('junk'), goodEnvs[0]!, txEnvelope(signer, 'other'), goodEnvs[1]!]);
    expect(answers.map((a) => a.status)).toEqual([Status.BAD_REQUEST, Status.SUCCESS, Status.BAD_REQUEST, Status.SUCCESS]);
    const found = await waitForTxIds(client, signer, 'ch1', goodEnvs.map(envelopeTxId), clientTlsCertHash(m));
    expect(found).toHaveLength(2);
    expect(found.every((n) => n > 0)).toBe(true);
  });

  it('stores an envelope in the form a Fabric orderer marshals it, which Fabric 3 peers require, whatever form it arrived in', async () => {
    const signer = clientSigner(m);
    const sent = txEnvelope(signer, 'ch1');
    const { payload, signature } = goEnvelope(sent);
    // Signature first, then an unknown field, then the payload: the same envelope to any decoder.
    const reordered = cat(len(2, signature), vint(3, 5), len(1, payload));
    expect((await one(reordered)).status).toBe(Status.SUCCESS);
    const [blockNum] = await waitForTxIds(client, signer, 'ch1', [envelopeTxId(sent)], clientTlsCertHash(m));
    const stored = (await fetchBlock(client, signer, 'ch1', blockNum!, clientTlsCertHash(m))).getData()!.getDataList_asU8();
    expect(stored).toHaveLength(1);
    expect(Buffer.from(stored[0]!)).toEqual(Buffer.concat([sent, Buffer.from([0x18, 0x05])]));
    expect(envelopeFormProblem(stored[0]!, 0)).toBeUndefined();
  });

  it('answers a Deliver request on this mutual-TLS orderer only when it names the TLS certificate of its connection', async () => {
    const signer = clientSigner(m);
    const bound = (tlsCertHash?: Uint8Array) => seekEnvelope(signer, 'ch1', 'oldest', 'oldest', 'block', false, { tlsCertHash });
    expect((await deliver(client, bound())).status).toBe(Status.BAD_REQUEST);
    expect((await deliver(client, bound(new Uint8Array(32).fill(1)))).status).toBe(Status.BAD_REQUEST);
    expect(await deliver(client, bound(clientTlsCertHash(m)))).toMatchObject({ blocks: [0], status: Status.SUCCESS });
  });

  it('stops reading a Broadcast stream whose client does not read its answers, and answers everything once it does', async () => {
    // Junk is answered at once (BAD_REQUEST), so only the client's unread answers can hold the stream.
    const count = 5000;
    const junk = Buffer.alloc(2048, 'j');
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Broadcast', (b: Buffer) => b, (b: Buffer) => BroadcastResponse.deserializeBinary(b));
    // Reading once and then no more: grpc-js buffers 16 answers and stops taking them off the wire.
    call.read(0);
    for (let i = 0; i < count; i++) call.write(junk);
    // Wait for the client's send buffer to settle: it drains if the orderer reads everything.
    let last = -1;
    for (let waited = 0; waited < 20_000 && call.writableLength !== last; waited += 1000) {
      last = call.writableLength;
      await new Promise((r) => setTimeout(r, 1000));
    }
    // Once its unread answers fill the stream's window, the orderer reads no more: the writes stay buffered.
    expect(call.writableLength).toBeGreaterThan(0);
    const statuses = new Set<number>();
    let answered = 0;
    await new Promise<void>((resolve, reject) => {
      call.on('data', (r: BroadcastResponse) => {
        statuses.add(r.getStatus());
        if (++answered === count) call.end();
      });
      call.on('error', reject);
      call.on('end', resolve);
      call.resume();
    });
    expect(answered).toBe(count);
    expect([...statuses]).toEqual([Status.BAD_REQUEST]);
  });
});
