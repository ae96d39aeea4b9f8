import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { NodeLogging } from '../../../../core/node/logger';
import type { BroadcastHandler } from '../../../../core/orderer/broadcast-handler';
import type { DeliverHandler } from '../../../../core/orderer/deliver-handler';
import { OrdererGrpcServer } from '../../../../core/orderer/grpc-server';
import type { DeliverSink } from '../../../../core/peer/deliver/deliver-service';
import { PeerGrpcServer, type PeerServices } from '../../../../core/peer/grpc/peer-grpc-server';
import { generateMaterial, tmpDir } from '../../../integration/orderer/orderer-fixture';
import { eventually } from '../../../integration/peer/network-fixture';
import { memoryAfterFullGc } from '../../../support/full-gc';

const raw = (b: Buffer): Buffer => b;
const BLOCKS = 5000;
/** About 400 bytes per block were kept: 2 MB a round. What a round may leave (grpc-js's own bookkeeping) is far below. */
const KEPT_AT_MOST = 512 * 1024;
const BLOCK = Buffer.alloc(64, 7);
const SUCCESS = 200;

/** V8 heap bytes in use once garbage is collected. */
const heapKept = (): number => memoryAfterFullGc().heapUsed;

/**
 * Serves `BLOCKS` responses on one Deliver stream per request, twice on the same open stream, and
 * returns how many more heap bytes are in use after the second round than after the first. A stream
 * lives as long as its peer is connected: what it keeps per block must not grow with the blocks.
 */
async function bytesKeptPerRound(port: number, method: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}): Promise<number> {
  const client = new grpc.Client(`127.0.0.1:${port}`, credentials, options);
  try {
    const call = client.makeBidiStreamRequest(method, raw, raw);
    call.on('error', () => undefined);
    let received = 0;
    call.on('data', () => received++);
    call.write(Buffer.alloc(1));
    await eventually(() => expect(received).toBe(BLOCKS));
    const afterFirst = heapKept();
    call.write(Buffer.alloc(1));
    await eventually(() => expect(received).toBe(2 * BLOCKS));
    const afterSecond = heapKept();
    call.cancel();
    return afterSecond - afterFirst;
  } finally {
    client.close();
  }
}

/**
 * One Deliver stream carries every block a peer commits for as long as it stays connected (days).
 * Each block's send used to race the write against a promise living as long as the stream, which
 * left one reaction (with the settled race) per block on it: about 400 bytes per block per stream,
 * never released while the stream lived. Real gRPC on loopback; a stand-in handler sends the blocks.
 */
describe('a Deliver stream keeps nothing per block it sends', () => {
  test("the orderer's", async () => {
    const dir = tmpDir('weft-deliver-memory-');
    const m = await generateMaterial(dir);
    const node = m.ordererOrg.nodes.orderer!;
    const deliver = {
      metrics: undefined,
      handle: async (_req: Uint8Array, sink: { sendBlock(block: Uint8Array): Promise<void> }) => {
        for (let i = 0; i < BLOCKS; i++) await sink.sendBlock(BLOCK);
        return SUCCESS;
      },
    } as unknown as DeliverHandler;
    const server = new OrdererGrpcServer(
      {
        address: '127.0.0.1:0',
        tls: { cert: fs.readFileSync(node.tlsCertPath), key: fs.readFileSync(node.tlsKeyPath), clientRootCAs: [], clientAuthRequired: false },
        maxRecvMessageBytes: 1024 * 1024,
        maxSendMessageBytes: 1024 * 1024,
        maxInFlightPerStream: 16,
      },
      {} as BroadcastHandler,
      deliver,
      new NodeLogging('silent').logger('test'),
    );
    await server.start();
    try {
      const tls = grpc.credentials.createSsl(fs.readFileSync(node.tlsCaPath));
      const kept = await bytesKeptPerRound(server.port, '/orderer.AtomicBroadcast/Deliver', tls, { 'grpc.ssl_target_name_override': 'orderer.example.com' });
      expect(kept).toBeLessThan(KEPT_AT_MOST);
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("the peer's", async () => {
    const deliver = {
      serve: async (_req: Uint8Array, _kind: unknown, sink: DeliverSink) => {
        for (let i = 0; i < BLOCKS; i++) await sink.write(BLOCK);
        return undefined;
      },
    };
    const server = new PeerGrpcServer({ endorser: {}, deliver } as unknown as PeerServices, new NodeLogging('silent').logger('test'), {
      endorserService: 0,
      deliverService: 0,
      gatewayService: 0,
    });
    const port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
    try {
      expect(await bytesKeptPerRound(port, '/protos.Deliver/Deliver', grpc.credentials.createInsecure())).toBeLessThan(KEPT_AT_MOST);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
