/**
 * The orderer's Deliver to a client that stops reading: Fabric's grpc-go blocks the stream's Send
 * once 64 KiB (its write quota) is not yet taken by HTTP/2 flow control, so such a client pins
 * about one block. Over a real orderer node (TLS gRPC, operations endpoint) and a raw HTTP/2
 * client that reads nothing, the blocks the orderer counts as sent stay at that.
 */
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { buildSeekEnvelope } from '../../../core/protocol/deliver-request';
import type { Signer } from '../../../core/protocol/signer';
import { sample } from '../../support/prometheus-text';
import { abClient, adminRequest, broadcast, clientSigner, deliver, generateMaterial, genesisBlock, type Material, seekEnvelope, tmpDir, txEnvelope, writeNodeConfig } from './orderer-fixture';
import { grpcFrame, grpcMessages } from '../../support/grpc-frames';

const CHANNEL = 'slowch';
const BLOCKS = 20;
const ENVELOPE_BYTES = 256 * 1024;

let dir: string;
let m: Material;
let node: OrdererNode;
let client: AtomicBroadcastClient;
let signer: Signer;
let grpcPort: number;
let operations: string;

beforeAll(async () => {
  dir = tmpDir('weft-orderer-slow-');
  m = await generateMaterial(dir);
  node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0', { operations: true }).configFile));
  const endpoints = await node.start();
  grpcPort = endpoints.grpcPort;
  operations = endpoints.operationsAddress!;
  client = abClient(m, grpcPort);
  signer = clientSigner(m);
  // One 256 KiB envelope per block: each block is well over the write quota.
  const block = genesisBlock(m, CHANNEL, { batchSize: { maxMessageCount: 1, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 }, batchTimeout: '1h' });
  expect((await adminRequest(m, endpoints.adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: block })).status).toBe(201);
  const answers = await broadcast(client, Array.from({ length: BLOCKS }, () => txEnvelope(signer, CHANNEL, ENVELOPE_BYTES)));
  expect(answers.every((a) => a.status === Status.SUCCESS)).toBe(true);
  await deliver(client, seekEnvelope(signer, CHANNEL, BLOCKS, BLOCKS));
}, 120_000);

afterAll(async () => {
  client?.close();
  await node?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function blocksSent(): Promise<number> {
  const text = await (await fetch(`http://${operations}/metrics`)).text();
  return sample(text, 'deliver_blocks_sent', { channel: CHANNEL, filtered: 'false', data_type: 'block' });
}

it('sends a client that does not read about one block past its window, and every block once it reads', async () => {
  const sentBefore = await blocksSent();
  // A raw HTTP/2 client: nothing reads its stream, so its window (64 KiB) is all the orderer can send.
  const session = http2.connect(`https://127.0.0.1:${grpcPort}`, { ca: fs.readFileSync(m.ordererOrg.tlsCaCertPath), servername: 'localhost' });
  session.on('error', () => undefined);
  try {
    const stream = session.request({ ':method': 'POST', ':path': '/orderer.AtomicBroadcast/Deliver', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    stream.end(grpcFrame(buildSeekEnvelope({ channelId: CHANNEL, start: 1, stop: BLOCKS, signer })));
    // grpc-js's buffer of 16 messages would have let it queue 16 blocks (4 MiB) by now.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await blocksSent()) - sentBefore).toBeLessThanOrEqual(2);

    const chunks: Buffer[] = [];
    const ended = new Promise<void>((resolve) => stream.on('end', resolve));
    stream.on('data', (c: Buffer) => chunks.push(c));
    await ended;
    const responses = grpcMessages(Buffer.concat(chunks), (b) => DeliverResponse.deserializeBinary(b));
    expect(responses.filter((r) => r.hasBlock()).map((r) => r.getBlock()?.getHeader()?.getNumber())).toEqual(Array.from({ length: BLOCKS }, (_, i) => i + 1));
    expect(responses.at(-1)?.getStatus()).toBe(Status.SUCCESS);
  } finally {
    session.destroy();
  }
}, 60_000);
