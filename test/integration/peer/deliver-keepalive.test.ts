/**
 * gRPC keepalive on the peer's server, over real gRPC on loopback through a TCP relay that can turn
 * into a black hole (no byte crosses, no socket closes): the peer's pings close a Deliver stream
 * whose client vanished, releasing it (Fabric's `deliver_streams_closed`); and a client pinging far
 * more often than a grpc-go server's policy allows (Fabric's `peer.keepalive.minInterval`, 60 s) is
 * answered, never sent GOAWAY `too_many_pings`.
 */
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { PeerClient } from '../../../cli/services/client/peer-client';
import type { NodeLayout } from '../../../cli/services/network/network-layout';
import { NodeLogging } from '../../../core/node/logger';
import { DeliverMetrics } from '../../../core/node/operations/deliver-metrics';
import { DeliverService } from '../../../core/peer/deliver/deliver-service';
import { PeerGrpcServer, type PeerServices } from '../../../core/peer/grpc/peer-grpc-server';
import { buildSeekEnvelope } from '../../../core/protocol/deliver-request';
import { grpcFrame } from '../../support/grpc-frames';
import { type KeepaliveRelay, startKeepaliveRelay } from '../../support/keepalive-relay';
import { type Harness, commitBlock, endorsedTx, openHarness, rwset } from './channel-harness';
import { CHANNEL, eventually, generateMaterial, tmpDir } from './network-fixture';

const SERVER_KEEPALIVE = { intervalMs: 300, timeoutMs: 300 };

let dir: string;
let h: Harness;
let registry: Registry;
let server: PeerGrpcServer;
let relay: KeepaliveRelay;

beforeAll(async () => {
  dir = tmpDir('weft-deliver-keepalive-');
  const m = await generateMaterial(dir);
  h = openHarness(m, path.join(dir, 'ledgers'));
  const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'kv', results: rwset({ kv: { k: Buffer.from('v') } }) });
  await commitBlock(h, [tx.envelope]);
  registry = new Registry();
  const deliver = new DeliverService((id) => h.channels.channel(id), { timeWindowMs: 15 * 60_000, metrics: new DeliverMetrics(registry) });
  server = new PeerGrpcServer(
    { endorser: {}, deliver } as unknown as PeerServices,
    new NodeLogging('silent').logger('test'),
    { endorserService: 0, deliverService: 0, gatewayService: 0 },
    undefined,
    undefined,
    SERVER_KEEPALIVE,
  );
  const port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
  relay = await startKeepaliveRelay(`127.0.0.1:${port}`);
}, 120_000);

afterAll(async () => {
  await relay?.close();
  await server?.stop();
  h?.channels.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function counter(name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

describe("the peer's keepalive", () => {
  it('closes a Deliver stream whose client went silent (black hole) within its interval and timeout, and counts it closed', async () => {
    const closedBefore = await counter('deliver_streams_closed');
    // A raw HTTP/2 client: it sends no pings of its own, and never learns the relay stopped.
    const session = http2.connect(`http://${relay.address}`);
    session.on('error', () => undefined);
    try {
      const stream = session.request({ ':method': 'POST', ':path': '/protos.Deliver/Deliver', 'content-type': 'application/grpc', te: 'trailers' });
      stream.on('error', () => undefined);
      let received = 0;
      stream.on('data', (c: Buffer) => (received += c.length));
      // From block 1 on, waiting for blocks not yet committed: a stream that never ends by itself.
      stream.write(grpcFrame(buildSeekEnvelope({ channelId: CHANNEL, start: 1, signer: h.users[0] })));
      await eventually(() => expect(received).toBeGreaterThan(0));
      expect(await counter('deliver_streams_opened')).toBe(closedBefore + 1);
      // Pinged and answered while the client is there: the stream stays.
      const pingsBefore = relay.frames.serverPings;
      await eventually(() => expect(relay.frames.serverPings).toBeGreaterThanOrEqual(pingsBefore + 2), 5_000);
      expect(await counter('deliver_streams_closed')).toBe(closedBefore);

      relay.blackHole();
      const silentAt = Date.now();
      await eventually(async () => expect(await counter('deliver_streams_closed')).toBe(closedBefore + 1), 10_000);
      // The next ping (within the interval) goes unanswered for the timeout; a second of slack for a loaded machine.
      expect(Date.now() - silentAt).toBeLessThan(SERVER_KEEPALIVE.intervalMs + SERVER_KEEPALIVE.timeoutMs + 1_000);
      // Its send budget is returned with it.
      await eventually(() => expect(server.sendBudget.bufferedBytes).toBe(0));
    } finally {
      session.destroy();
    }
  }, 30_000);

  it('answers an idle CLI client pinging every 100 ms without GOAWAY, on one connection (grpc-go under Fabric\'s 60 s minInterval would send too_many_pings within a second)', async () => {
    // Only what PeerClient reads of a node: where to dial and the name it presents.
    const node = { id: 'peer0.org1.example.com', address: relay.address } as NodeLayout;
    const client = new PeerClient(node, { tls: false }, { intervalMs: 100, timeoutMs: 1_000 });
    const connectionsBefore = relay.connections();
    const pingsBefore = relay.frames.clientPings.length;
    const unsupported = expect.objectContaining({ code: 'SNAPSHOT_UNSUPPORTED' });
    try {
      // A call the peer answers (it serves no snapshots here) opens the connection; then no call at all.
      await expect(client.snapshot('QueryPendings', new Uint8Array(0))).rejects.toEqual(unsupported);
      await new Promise((r) => setTimeout(r, 3_000));
      const pings = relay.frames.clientPings.slice(pingsBefore);
      expect(pings.length).toBeGreaterThanOrEqual(15);
      // At the interval asked for: grpc-js waits for each answer, then the interval.
      const gaps = pings.slice(1).map((t, i) => t - pings[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(90);
      expect(relay.frames.goaways).toEqual([]);
      await expect(client.snapshot('QueryPendings', new Uint8Array(0))).rejects.toEqual(unsupported);
      expect(relay.connections()).toBe(connectionsBefore + 1);
    } finally {
      client.close();
    }
  }, 30_000);
});
