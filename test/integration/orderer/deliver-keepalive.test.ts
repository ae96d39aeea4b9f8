/**
 * The orderer's gRPC keepalive, over real TLS gRPC on loopback through a TCP relay that turns into
 * a black hole (no byte crosses, no socket closes): the orderer's pings close a Deliver stream whose
 * client vanished (a peer whose host lost power), and count it closed (`deliver_streams_closed`).
 */
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { NodeLogging } from '../../../core/node/logger';
import { DeliverMetrics } from '../../../core/node/operations/deliver-metrics';
import { BroadcastHandler, defaultBroadcastOptions } from '../../../core/orderer/broadcast-handler';
import { DeliverHandler } from '../../../core/orderer/deliver-handler';
import { OrdererGrpcServer } from '../../../core/orderer/grpc-server';
import { Registrar } from '../../../core/orderer/registrar';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite/sqlite-ledger-store-provider';
import { loadSigningIdentity, X509MspProvider } from '../../../plugins/msp-x509';
import { SoloConsenter } from '../../../plugins/orderer-solo';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { grpcFrame } from '../../support/grpc-frames';
import { type KeepaliveRelay, startKeepaliveRelay } from '../../support/keepalive-relay';
import { clientSigner, generateMaterial, genesisBlock, type Material, seekEnvelope, tmpDir } from './orderer-fixture';

const CHANNEL = 'kach';
const KEEPALIVE = { intervalMs: 300, timeoutMs: 300 };

let dir: string;
let m: Material;
let registrar: Registrar;
let registry: Registry;
let server: OrdererGrpcServer;
let relay: KeepaliveRelay;

beforeAll(async () => {
  dir = tmpDir('weft-orderer-keepalive-');
  m = await generateMaterial(dir);
  const logging = new NodeLogging('silent');
  registrar = new Registrar({
    ledgers: new SqliteLedgerStoreProvider({ rootDir: path.join(dir, 'ledgers') }),
    consenter: new SoloConsenter({ logLevel: 'silent', syncWal: false }),
    providers: { mspProvider: new X509MspProvider(), policyProvider: new FabricPolicyProvider() },
    signer: loadSigningIdentity(m.ordererOrg.nodes.orderer!.mspDir, 'OrdererMSP'),
    dataDir: path.join(dir, 'orderer'),
    logger: logging.logger('orderer.common.multichannel'),
  });
  registrar.start();
  registrar.join(genesisBlock(m, CHANNEL));
  registry = new Registry();
  const node = m.ordererOrg.nodes.orderer!;
  server = new OrdererGrpcServer(
    {
      address: '127.0.0.1:0',
      tls: { cert: fs.readFileSync(node.tlsCertPath), key: fs.readFileSync(node.tlsKeyPath), clientRootCAs: [], clientAuthRequired: false },
      maxRecvMessageBytes: 1024 * 1024,
      maxSendMessageBytes: 1024 * 1024,
      maxInFlightPerStream: 16,
      keepalive: KEEPALIVE,
    },
    new BroadcastHandler(registrar, defaultBroadcastOptions, logging.logger('orderer.common.broadcast')),
    new DeliverHandler(registrar, { timeWindowMs: 15 * 60_000, metrics: new DeliverMetrics(registry) }),
    logging.logger('comm.grpc.server'),
  );
  await server.start();
  relay = await startKeepaliveRelay(`127.0.0.1:${server.port}`);
}, 60_000);

afterAll(async () => {
  await relay?.close();
  await server?.stop();
  await registrar?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function counter(name: string): Promise<number> {
  const metric = await registry.getSingleMetric(name)?.get();
  return (metric?.values ?? []).reduce((sum, v) => sum + v.value, 0);
}

it('closes a Deliver stream whose client went silent (black hole) within its interval and timeout, and counts it closed', async () => {
  // A raw HTTP/2 client: it sends no pings of its own, and never learns the relay stopped.
  const session = http2.connect(`https://${relay.address}`, { ca: fs.readFileSync(m.ordererOrg.tlsCaCertPath), servername: 'localhost' });
  session.on('error', () => undefined);
  try {
    const stream = session.request({ ':method': 'POST', ':path': '/orderer.AtomicBroadcast/Deliver', 'content-type': 'application/grpc', te: 'trailers' });
    stream.on('error', () => undefined);
    let received = 0;
    stream.on('data', (c: Buffer) => (received += c.length));
    // The genesis block, then waiting for blocks that never come: a stream that never ends by itself.
    stream.write(grpcFrame(seekEnvelope(clientSigner(m), CHANNEL, 'oldest', 'max')));
    await until(() => received > 0);
    expect(await counter('deliver_streams_opened')).toBe(1);
    // Its pings answered for several intervals: the stream stays.
    await new Promise((r) => setTimeout(r, 4 * KEEPALIVE.intervalMs));
    expect(await counter('deliver_streams_closed')).toBe(0);

    relay.blackHole();
    const silentAt = Date.now();
    await until(async () => (await counter('deliver_streams_closed')) === 1, 10_000);
    // The next ping (within the interval) goes unanswered for the timeout; a second of slack for a loaded machine.
    expect(Date.now() - silentAt).toBeLessThan(KEEPALIVE.intervalMs + KEEPALIVE.timeoutMs + 1_000);
  } finally {
    session.destroy();
  }
}, 30_000);

async function until(done: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
