import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { DeliverResponse, SeekInfo, SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg } from '../../../plugins/msp-x509';
import {
  abClient,
  adminRequest,
  broadcast,
  clientSigner,
  deliver,
  generateMaterial,
  genesisBlock,
  seekEnvelope,
  testIdentitySigner,
  tmpDir,
  txEnvelope,
  type Material,
  writeNodeConfig,
} from './orderer-fixture';
import { type Position, seekPosition } from '../../support/seek-position';

describe('Deliver over gRPC with TLS: SeekInfo combinations and authorization', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let client: AtomicBroadcastClient;
  let signer: Signer;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-deliver-');
    m = await generateMaterial(dir);
    node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0').configFile));
    const { grpcPort, adminPort } = await node.start();
    client = abClient(m, grpcPort);
    signer = clientSigner(m);
    // Blocks are cut by count only (2 per block); the timeout never fires during the test.
    const block = genesisBlock(m, 'dch', { batchSize: { maxMessageCount: 2, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 }, batchTimeout: '1h' });
    expect((await adminRequest(m, adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: block })).status).toBe(201);
    const answers = await broadcast(client, Array.from({ length: 6 }, () => txEnvelope(signer, 'dch')));
    expect(answers.every((a) => a.status === Status.SUCCESS)).toBe(true);
    await deliver(client, seekEnvelope(signer, 'dch', 3, 3)); // height 4 reached
  });

  afterAll(async () => {
    client?.close();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const table: [string, Position, Position, 'block' | 'fail', number[], number][] = [
    ['oldest → newest', 'oldest', 'newest', 'block', [0, 1, 2, 3], Status.SUCCESS],
    ['oldest → oldest', 'oldest', 'oldest', 'block', [0], Status.SUCCESS],
    ['newest → newest', 'newest', 'newest', 'block', [3], Status.SUCCESS],
    ['specified 1 → specified 2', 1, 2, 'block', [1, 2], Status.SUCCESS],
    ['specified 2 → newest', 2, 'newest', 'fail', [2, 3], Status.SUCCESS],
    ['specified 2 → specified 1 (stop before start)', 2, 1, 'block', [], Status.BAD_REQUEST],
    ['specified 9, beyond the height', 9, 9, 'block', [], Status.NOT_FOUND],
    ['FAIL_IF_NOT_READY at the next block', 4, 4, 'fail', [], Status.NOT_FOUND],
    ['FAIL_IF_NOT_READY past the end', 'oldest', 6, 'fail', [0, 1, 2, 3], Status.NOT_FOUND],
    ['FAIL_IF_NOT_READY next commit', 'next', 'next', 'fail', [], Status.NOT_FOUND],
  ];

  it.each(table)('%s', async (_name, start, stop, behavior, blocks, status) => {
    const out = await deliver(client, seekEnvelope(signer, 'dch', start, stop, behavior));
    expect(out.blocks).toEqual(blocks);
    expect(out.status).toBe(status);
  });

  it('answers NOT_FOUND to a start with no position type, as Fabric\'s ledger iterator does (NotFoundErrorIterator)', async () => {
    const seek = new SeekInfo();
    seek.setStart(new SeekPosition());
    seek.setStop(seekPosition(2));
    const request = buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId: 'dch', data: seek.serializeBinary(), signer });
    expect(await deliver(client, request)).toMatchObject({ blocks: [], status: Status.NOT_FOUND });
  });

  it('HEADER_WITH_SIG sends blocks without their data, except config blocks (Fabric IsConfigBlock)', async () => {
    const out = await deliver(client, seekEnvelope(signer, 'dch', 0, 2, 'block', true));
    expect(out.blocks).toEqual([0, 1, 2]);
    expect(out.dataCounts).toEqual([1, 0, 0]);
    const full = await deliver(client, seekEnvelope(signer, 'dch', 1, 2));
    expect(full.dataCounts).toEqual([2, 2]);
  });

  it('BLOCK_UNTIL_READY next-commit waits for the next block and streams it as it is written', async () => {
    const pending = deliver(client, seekEnvelope(signer, 'dch', 'next', 'next'));
    let registered!: () => void;
    const firstBlock = new Promise<void>((resolve) => (registered = resolve));
    const streaming = deliver(client, seekEnvelope(signer, 'dch', 'newest', 'max'), undefined, (ids) => {
      if (ids.length === 1) registered();
      return ids.length >= 2;
    });
    // Both seeks are in place once the streaming one has its first (current newest) block.
    await firstBlock;
    await broadcast(client, [txEnvelope(signer, 'dch'), txEnvelope(signer, 'dch')]);
    const next = await pending;
    expect(next.status).toBe(Status.SUCCESS);
    expect(next.blocks).toHaveLength(1);
    expect((await streaming).blocks).toEqual([next.blocks[0]! - 1, next.blocks[0]!]);
  });

  it('answers BAD_REQUEST to garbage and to a non-seek envelope, NOT_FOUND to an unknown channel', async () => {
    expect((await deliver(client, Buffer.from('garbage'))).status).toBe(Status.BAD_REQUEST);
    expect((await deliver(client, txEnvelope(signer, 'dch', 10, HeaderType.ENDORSER_TRANSACTION))).status).toBe(Status.BAD_REQUEST);
    expect((await deliver(client, seekEnvelope(signer, 'nochannel', 'oldest', 'newest'))).status).toBe(Status.NOT_FOUND);
  });

  it('answers BAD_REQUEST to a request stamped outside the 15-minute window (a replayed request)', async () => {
    const at = (minutes: number) => ({ timestamp: new Date(Date.now() + minutes * 60_000) });
    expect((await deliver(client, seekEnvelope(signer, 'dch', 'oldest', 'oldest', 'block', false, at(-16)))).status).toBe(Status.BAD_REQUEST);
    expect((await deliver(client, seekEnvelope(signer, 'dch', 'oldest', 'oldest', 'block', false, at(16)))).status).toBe(Status.BAD_REQUEST);
    expect(await deliver(client, seekEnvelope(signer, 'dch', 'oldest', 'oldest', 'block', false, at(-14)))).toMatchObject({ blocks: [0], status: Status.SUCCESS });
  });

  it('answers FORBIDDEN to a client outside /Channel/Readers and to a bad signature', async () => {
    const outsider = await (await TestOrg.create({ mspId: 'Org9MSP' })).issue('eve');
    const outsiderOut = await deliver(client, seekEnvelope(testIdentitySigner(outsider), 'dch', 'oldest', 'newest'));
    expect(outsiderOut).toMatchObject({ blocks: [], status: Status.FORBIDDEN });
    const tampered = { serialized: signer.serialized, sign: () => new Uint8Array(signer.sign(Buffer.from('other'))) };
    expect((await deliver(client, seekEnvelope(tampered, 'dch', 'oldest', 'newest'))).status).toBe(Status.FORBIDDEN);
  });

  it('ends the stream (gRPC OK) after a refused request, as Fabric\'s deliver handler returns after any status but SUCCESS', async () => {
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => DeliverResponse.deserializeBinary(b));
    const answers: string[] = [];
    call.on('data', (r: DeliverResponse) => answers.push(r.hasBlock() ? 'block' : `status ${r.getStatus()}`));
    const ended = new Promise<number>((resolve) => call.on('status', (s: grpc.StatusObject) => resolve(s.code)));
    call.on('error', () => undefined);
    call.write(seekEnvelope(signer, 'nochannel', 'oldest', 'newest'));
    call.write(seekEnvelope(signer, 'dch', 'oldest', 'oldest'));
    const open = new Promise<string>((resolve) => setTimeout(() => resolve('still open'), 2000).unref());
    expect(await Promise.race([ended, open])).toBe(grpc.status.OK);
    expect(answers).toEqual([`status ${Status.NOT_FOUND}`]);
  });

  it('reads the next request on a Deliver stream only once the current one is served', async () => {
    const request = seekEnvelope(signer, 'dch', 'newest', 'max');
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Deliver', (b: Uint8Array) => Buffer.from(b), (b: Buffer) => b);
    const first = new Promise<Buffer>((resolve) => call.once('data', resolve));
    call.on('error', () => undefined); // cancelled below
    // The first request never ends; the orderer must not read (and queue) the thousands behind it.
    for (let i = 0; i < 3000; i++) call.write(request);
    await first;
    await new Promise((r) => setTimeout(r, 1000));
    expect(call.writableLength).toBeGreaterThan(0);
    call.cancel();
  });

  it('stopping the orderer ends open Deliver streams with SERVICE_UNAVAILABLE and Broadcast streams once answered', async () => {
    let streaming!: () => void;
    const opened = new Promise<void>((resolve) => (streaming = resolve));
    const watcher = deliver(client, seekEnvelope(signer, 'dch', 'newest', 'max'), undefined, () => {
      streaming();
      return false;
    });
    await opened;
    const call = client.makeBidiStreamRequest('/orderer.AtomicBroadcast/Broadcast', (b: Buffer) => b, (b: Buffer) => b);
    const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
    const answered = new Promise((resolve) => call.once('data', resolve));
    call.on('end', () => undefined);
    call.write(Buffer.from(txEnvelope(signer, 'dch')));
    await answered;

    await node.stop();
    expect((await watcher).status).toBe(Status.SERVICE_UNAVAILABLE);
    // The orderer ended the Broadcast stream (OK), though the client never half-closed it.
    expect((await status).code).toBe(grpc.status.OK);
  });
});
