/**
 * A peer's outgoing connections when the address accepts TCP and never answers (a load balancer
 * with no backend, a port another process held): grpc-js bounds neither the TLS handshake nor
 * HTTP/2's start, so a client stayed CONNECTING on that socket for ever, each call failing at its
 * own deadline, and never reached the real server once it listened there. With the dial timeout the
 * dial fails UNAVAILABLE naming the address and the bound, and a later call reaches the server.
 * Real gRPC on loopback: a black hole (a plain `net.Server` keeping the sockets it accepts), then a
 * gRPC server on the same port while the black hole's connections stay open. And an address where
 * TCP itself is never answered (a host dropping packets): the dial fails at the same bound, not at
 * the OS's TCP timeout.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { nodeCredentials } from '../../../cli/services/client/peer-client';
import { findFreePorts } from '../../../cli/services/free-ports';
import { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { CLI_DIAL_TIMEOUT_MS } from '../../../core/node/dial-timeouts';
import { AtomicBroadcastDef, MembershipServiceDef, PrivateDataServiceDef } from '../../../core/peer/grpc/raw-service';
import { type ClientTls, OrdererClient } from '../../../core/peer/orderer/orderer-client';
import { generateOrg } from '../../../plugins/msp-x509';
import { eventually, tmpDir } from './network-fixture';

/** Low, so the tests are quick; the calls' own deadlines are far longer, so only the bound can fail them first. */
const DIAL_TIMEOUT_MS = 300;
const CALL_DEADLINE_MS = 8_000;

let dir: string;
let serverTls: grpc.ServerCredentials;
let clientTls: ClientTls;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  dir = tmpDir('weft-dial-timeout-');
  const org = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer' }, dir);
  const peer0 = org.nodes.peer0!;
  serverTls = grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(peer0.tlsCertPath), private_key: fs.readFileSync(peer0.tlsKeyPath) }], false);
  clientTls = { rootCerts: fs.readFileSync(org.tlsCaCertPath), serverNameOverride: 'localhost' };
}, 30_000);

afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Listens on `port`, accepts every connection and never sends a byte. `stopListening` frees the port and keeps the accepted connections open. */
async function blackHole(port: number): Promise<{ stopListening(): void }> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  cleanups.push(() => {
    for (const s of accepted) s.destroy();
    server.close();
  });
  // close() frees the port at once; its callback would wait for the accepted connections to end.
  return { stopListening: () => server.close() };
}

/**
 * An address where TCP itself gets no answer, as a host that drops packets: a process listens on
 * `port` with a one-place queue and never accepts (its event loop blocked), the queue is filled, and
 * the kernel then drops every further SYN, so a connect stays pending until the OS gives up (~2 min).
 */
async function silentTcp(port: number): Promise<void> {
  const listener = spawn(
    process.execPath,
    ['-e', `require('net').createServer().listen({ port: ${port}, host: '127.0.0.1', backlog: 1 }, () => { process.stdout.write('listening'); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000); })`],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  cleanups.push(() => listener.kill('SIGKILL'));
  await new Promise((resolve, reject) => {
    listener.stdout.once('data', resolve);
    listener.once('exit', (code) => reject(new Error(`the listener exited (${code}) before listening`)));
  });
  // Connections the kernel completes queue up unaccepted; once a connect stays pending, the queue is full.
  for (;;) {
    const filler = net.connect(port, '127.0.0.1');
    cleanups.push(() => filler.destroy());
    const connected = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 500);
      filler.once('connect', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    if (!connected) return;
  }
}

/** A gRPC server on `port` (where the black hole listened), set up by `define`. */
async function grpcServer(port: number, credentials: grpc.ServerCredentials, define: (server: grpc.Server) => void): Promise<void> {
  const server = new grpc.Server();
  define(server);
  cleanups.push(() => server.forceShutdown());
  await new Promise<number>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, credentials, (err, p) => (err ? reject(err) : resolve(p))));
}

/** The rejection of `call`, which must fail. */
async function failure(call: Promise<unknown>): Promise<grpc.ServiceError> {
  return call.then(
    () => {
      throw new Error('the call succeeded against the black hole');
    },
    (err: grpc.ServiceError) => err,
  );
}

const unary = (handler: (req: Buffer) => Uint8Array) => (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => callback(null, handler(call.request));

describe.each([
  { kind: 'TLS', tls: (): ClientTls => clientTls, server: (): grpc.ServerCredentials => serverTls, stage: 'TLS handshake' },
  { kind: 'plaintext', tls: (): ClientTls => ({}), server: (): grpc.ServerCredentials => grpc.ServerCredentials.createInsecure(), stage: 'HTTP/2 settings frame' },
])('dialling over $kind an address that accepts and never answers', ({ tls, server, stage }) => {
  it('a peer fails both its connections UNAVAILABLE within the dial timeout, naming address and bound, and reaches the peer that then listens there', async () => {
    const port = await findFreePorts(1);
    const address = `127.0.0.1:${port}`;
    const hole = await blackHole(port);
    const peer = new RemoteEndorser(address, 'Org2MSP', tls(), DIAL_TIMEOUT_MS);
    cleanups.push(() => peer.close());
    const reason = `no ${stage} from ${address} within ${DIAL_TIMEOUT_MS} ms`;

    // Membership has a connection of its own; the push goes on the endorsement connection.
    const exchange = () => peer.exchangeMembership(Buffer.from('hello'), Date.now() + CALL_DEADLINE_MS);
    const push = () => peer.pushPrivateData(Buffer.from('pvt'), Date.now() + CALL_DEADLINE_MS);
    for (const err of [await failure(exchange()), await failure(push())]) {
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(err.details).toContain(reason);
    }
    expect(peer.unreachable()).toBe(true);

    hole.stopListening();
    await grpcServer(port, server(), (s) => {
      s.addService(MembershipServiceDef, { exchange: unary((req) => Buffer.concat([Buffer.from('echo '), req])) });
      s.addService(PrivateDataServiceDef, { push: unary(() => new Uint8Array(0)) });
    });
    // A call made while grpc-js backs off before dialling again fails at once: the next ones reach the server.
    expect(Buffer.from(await eventually(exchange)).toString()).toBe('echo hello');
    await eventually(push);
    expect(peer.unreachable()).toBe(false);
  }, 30_000);

  it('an orderer client fails its Deliver stream UNAVAILABLE within the dial timeout, and opens one on the orderer that then listens there', async () => {
    const port = await findFreePorts(1);
    const address = `127.0.0.1:${port}`;
    const hole = await blackHole(port);
    const orderer = new OrdererClient(address, tls(), DIAL_TIMEOUT_MS);
    cleanups.push(() => orderer.close());

    const err = await failure(firstReply(orderer.deliver(), Buffer.from('seek')));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toContain(`no ${stage} from ${address} within ${DIAL_TIMEOUT_MS} ms`);

    hole.stopListening();
    await grpcServer(port, server(), (s) =>
      s.addService(AtomicBroadcastDef, {
        broadcast: (call: grpc.ServerDuplexStream<Buffer, Uint8Array>) => call.end(),
        deliver: (call: grpc.ServerDuplexStream<Buffer, Uint8Array>) =>
          call.once('data', (req: Buffer) => {
            call.write(Buffer.concat([Buffer.from('block for '), req]));
            call.end();
          }),
      }),
    );
    expect((await eventually(() => firstReply(orderer.deliver(), Buffer.from('seek')))).toString()).toBe('block for seek');
  }, 30_000);
});

describe('dialling an address that does not answer TCP at all (packets dropped, no reset)', () => {
  const reason = (address: string) => `no TCP connection to ${address} within ${DIAL_TIMEOUT_MS} ms`;

  it('a peer fails its call UNAVAILABLE within the dial timeout, naming address and bound, not at the OS TCP timeout', async () => {
    const port = await findFreePorts(1);
    const address = `127.0.0.1:${port}`;
    await silentTcp(port);
    const peer = new RemoteEndorser(address, 'Org2MSP', clientTls, DIAL_TIMEOUT_MS);
    cleanups.push(() => peer.close());

    const err = await failure(peer.exchangeMembership(Buffer.from('hello'), Date.now() + CALL_DEADLINE_MS));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toContain(reason(address));
  }, 30_000);

  it('an orderer client fails its Deliver stream UNAVAILABLE within the dial timeout, naming address and bound', async () => {
    const port = await findFreePorts(1);
    const address = `127.0.0.1:${port}`;
    await silentTcp(port);
    const orderer = new OrdererClient(address, {}, DIAL_TIMEOUT_MS);
    cleanups.push(() => orderer.close());

    const err = await failure(firstReply(orderer.deliver(), Buffer.from('seek')));
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toContain(reason(address));
  }, 30_000);
});

it("the CLI's connections give up at Fabric's peer.client.connTimeout, naming the node, and reach the peer that then listens there", async () => {
  const port = await findFreePorts(1);
  const hole = await blackHole(port);
  const node = { id: 'peer0.org1.example.com', mspDir: '', tlsRootCertPath: '' };
  const client = new grpc.Client(`127.0.0.1:${port}`, nodeCredentials(node, { tls: false }));
  cleanups.push(() => client.close());
  const ping = () =>
    new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest('/weft.test.Probe/Ping', (b: Buffer) => b, (b: Buffer) => b, Buffer.from('ping'), { deadline: Date.now() + CALL_DEADLINE_MS }, (err, res) =>
        err ? reject(err) : resolve(res!),
      ),
    );

  const err = await failure(ping());
  expect(err.code).toBe(grpc.status.UNAVAILABLE);
  expect(err.details).toContain(`no HTTP/2 settings frame from ${node.id} within ${CLI_DIAL_TIMEOUT_MS} ms`);

  hole.stopListening();
  await grpcServer(port, grpc.ServerCredentials.createInsecure(), (s) =>
    s.addService({ ping: { path: '/weft.test.Probe/Ping', requestStream: false, responseStream: false, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } }, { ping: unary((req) => Buffer.concat([Buffer.from('pong to '), req])) }),
  );
  expect((await eventually(ping)).toString()).toBe('pong to ping');
}, 30_000);

/** Sends `request` on `stream` and resolves with the first message back; rejects with the stream's error. */
function firstReply(stream: grpc.ClientDuplexStream<Uint8Array, Buffer>, request: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => stream.cancel(), CALL_DEADLINE_MS);
    stream.once('data', (b: Buffer) => {
      clearTimeout(timer);
      resolve(b);
      stream.cancel();
    });
    stream.once('error', (e: Error) => {
      clearTimeout(timer);
      reject(e);
    });
    stream.write(request);
  });
}
