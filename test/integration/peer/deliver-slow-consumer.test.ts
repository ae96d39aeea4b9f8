/**
 * A Deliver client that stops reading pins what the peer buffered for it until it reads again or
 * leaves. Fabric's grpc-go blocks the stream's Send once 64 KiB (its write quota) is not yet taken
 * by HTTP/2 flow control; the peer must hold no more than that plus the block being sent, however
 * many blocks the client asked for, over the real gRPC server and a real channel's ledger.
 */
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { Registry } from 'prom-client';
import { NodeLogging } from '../../../core/node/logger';
import { STREAM_WRITE_QUOTA_BYTES } from '../../../core/node/grpc-send-budget';
import { DeliverMetrics } from '../../../core/node/operations/deliver-metrics';
import { DeliverService } from '../../../core/peer/deliver/deliver-service';
import { PeerGrpcServer, type PeerServices } from '../../../core/peer/grpc/peer-grpc-server';
import { buildSeekEnvelope } from '../../../core/protocol/deliver-request';
import { type Harness, commitBlock, endorsedTx, openHarness, rwset } from './channel-harness';
import { CHANNEL, eventually, generateMaterial, tmpDir } from './network-fixture';
import { grpcFrame, grpcMessages } from '../../support/grpc-frames';

const BLOCKS = 24;
const VALUE_BYTES = 256 * 1024;

let dir: string;
let h: Harness;
let registry: Registry;
let server: PeerGrpcServer;
let port: number;

beforeAll(async () => {
  dir = tmpDir('weft-deliver-slow-');
  const m = await generateMaterial(dir);
  h = openHarness(m, path.join(dir, 'ledgers'));
  // Blocks well over the write quota: one carries a 256 KiB value.
  for (let i = 0; i < BLOCKS; i++) {
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'kv', results: rwset({ kv: { [`k${i}`]: Buffer.alloc(VALUE_BYTES, i) } }) });
    await commitBlock(h, [tx.envelope]);
  }
  registry = new Registry();
  const deliver = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, metrics: new DeliverMetrics(registry) });
  server = new PeerGrpcServer({ endorser: {}, deliver } as unknown as PeerServices, new NodeLogging('silent').logger('test'), { endorserService: 0, deliverService: 0, gatewayService: 0 });
  port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
}, 120_000);

afterAll(async () => {
  await server?.stop();
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function blocksSent(): Promise<number> {
  const metric = await registry.getSingleMetric('deliver_blocks_sent')?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe('Deliver to a client that does not read', () => {
  it('holds at most the write quota and the block being sent, then serves every block once the client reads', async () => {
    // A raw HTTP/2 client: nothing reads its stream, so its window (64 KiB) is all the peer can send.
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/protos.Deliver/Deliver', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      // One request, then the client half-closes: the peer ends the stream after its status.
      stream.end(grpcFrame(buildSeekEnvelope({ channelId: CHANNEL, start: 1, stop: BLOCKS, signer: h.users[0] })));
      // The peer has sent what the client's window takes and waits with one block more.
      await eventually(() => expect(server.sendBudget.bufferedBytes).toBeGreaterThan(STREAM_WRITE_QUOTA_BYTES));
      // grpc-js's buffer of 16 messages would have let it read and queue 16 blocks (4 MiB) by now.
      await new Promise((r) => setTimeout(r, 1000));
      expect(await blocksSent()).toBeLessThanOrEqual(3);
      expect(server.sendBudget.bufferedBytes).toBeLessThanOrEqual(STREAM_WRITE_QUOTA_BYTES + 2 * (VALUE_BYTES + 16 * 1024));

      const chunks: Buffer[] = [];
      const ended = new Promise<void>((resolve) => stream.on('end', resolve));
      stream.on('data', (c: Buffer) => chunks.push(c));
      await ended;
      const responses = grpcMessages(Buffer.concat(chunks), (b) => DeliverResponse.deserializeBinary(b));
      expect(responses.filter((r) => r.hasBlock()).map((r) => r.getBlock()?.getHeader()?.getNumber())).toEqual(Array.from({ length: BLOCKS }, (_, i) => i + 1));
      expect(responses.at(-1)?.getStatus()).toBe(200);
      await eventually(() => expect(server.sendBudget.bufferedBytes).toBe(0));
    } finally {
      session.destroy();
    }
  }, 60_000);

  it('returns what a stream held when its client leaves without reading', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    const stream = session.request({ ':method': 'POST', ':path': '/protos.Deliver/Deliver', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    stream.write(grpcFrame(buildSeekEnvelope({ channelId: CHANNEL, start: 1, signer: h.users[0] })));
    await eventually(() => expect(server.sendBudget.bufferedBytes).toBeGreaterThan(0));
    session.destroy();
    await eventually(() => expect(server.sendBudget.bufferedBytes).toBe(0));
  }, 60_000);
});

describe('ChaincodeEvents to a client that does not read', () => {
  it('takes no more events from the Gateway than the write quota and the one being sent', async () => {
    let sent = 0;
    let ended = false;
    // Stands for the Gateway's event stream: a 256 KiB response for every block, as fast as they are taken.
    const gateway = {
      chaincodeEvents: async (_req: Uint8Array, send: (res: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void> => {
        while (!signal.aborted) {
          await send(Buffer.alloc(VALUE_BYTES, 1));
          sent++;
        }
        ended = true;
      },
      close: () => undefined,
    };
    const events = new PeerGrpcServer({ endorser: {}, deliver: {}, gateway } as unknown as PeerServices, new NodeLogging('silent').logger('test'), { endorserService: 0, deliverService: 0, gatewayService: 0 });
    const eventsPort = await events.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
    const session = http2.connect(`http://127.0.0.1:${eventsPort}`);
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/gateway.Gateway/ChaincodeEvents', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      stream.end(grpcFrame(new Uint8Array(0)));
      await eventually(() => expect(events.sendBudget.bufferedBytes).toBeGreaterThan(STREAM_WRITE_QUOTA_BYTES));
      await new Promise((r) => setTimeout(r, 1000));
      // grpc-js's buffer of 16 messages would have taken 15 of them by now.
      expect(sent).toBeLessThanOrEqual(2);
      session.destroy();
      await eventually(() => expect({ ended, buffered: events.sendBudget.bufferedBytes }).toEqual({ ended: true, buffered: 0 }));
    } finally {
      session.destroy();
      await events.stop();
    }
  }, 60_000);
});
