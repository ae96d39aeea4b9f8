/**
 * Fabric's connection timeout (grpc-go's `ConnectionTimeout`, 5 s by default): an accepted
 * connection that has not finished TLS and HTTP/2's preface in time is closed, so connections that
 * never make a call cannot hold the node's file descriptors. Over the peer's real gRPC server with
 * TLS on loopback, and the orderer node's.
 */
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { NodeLogging } from '../../../core/node/logger';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { PeerGrpcServer, type PeerServices } from '../../../core/peer/grpc/peer-grpc-server';
import type { TlsFiles } from '../../../core/peer/peer-config';
import { type Material, generateMaterial, tmpDir } from '../peer/network-fixture';
import * as ordererFixture from '../orderer/orderer-fixture';

const TIMEOUT_MS = 400;

/** Resolves when the server has closed `socket`'s connection (read on, or its end is never seen). */
function closedByServer(socket: net.Socket): Promise<void> {
  socket.resume();
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
}

describe('the peer gRPC server', () => {
  let dir: string;
  let m: Material;
  let server: PeerGrpcServer;
  let port: number;

  beforeAll(async () => {
    dir = tmpDir('weft-conn-timeout-');
    m = await generateMaterial(dir);
    const node = m.orgs[0].nodes.peer0;
    const files = { enabled: true, certFile: node.tlsCertPath, keyFile: node.tlsKeyPath, clientAuthRequired: false, rootCertFiles: [] } as unknown as TlsFiles;
    server = new PeerGrpcServer({ endorser: {}, deliver: {} } as unknown as PeerServices, new NodeLogging('silent').logger('test'), undefined, undefined, TIMEOUT_MS);
    port = await server.start('127.0.0.1:0', files);
  });

  afterAll(async () => {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes a connection that never starts its TLS handshake', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await closedByServer(socket);
  }, 30_000);

  it('closes a connection that finished TLS but never sends the HTTP/2 preface', async () => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(m.orgs[0].tlsCaCertPath), servername: 'localhost', ALPNProtocols: ['h2'] });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    await closedByServer(socket);
  }, 30_000);

  it('keeps an established connection that makes no call for longer than the timeout, and serves it', async () => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: fs.readFileSync(m.orgs[0].tlsCaCertPath), servername: 'localhost' });
    session.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      await new Promise((r) => setTimeout(r, 3 * TIMEOUT_MS));
      expect(session.closed || session.destroyed).toBe(false);
      // A call on it is answered: grpc-js refuses a method no service has, on this same connection.
      const stream = session.request({ ':method': 'POST', ':path': '/no.Such/Method', 'content-type': 'application/grpc', te: 'trailers' });
      stream.end();
      const trailers = await new Promise<http2.IncomingHttpHeaders>((resolve) => stream.once('trailers', resolve).once('response', (h) => h['grpc-status'] !== undefined && resolve(h)).resume());
      expect(trailers['grpc-status']).toBe('12'); // UNIMPLEMENTED
    } finally {
      session.destroy();
    }
  }, 30_000);
});

describe('the peer gRPC server without TLS', () => {
  let server: PeerGrpcServer;
  let port: number;

  beforeAll(async () => {
    server = new PeerGrpcServer({ endorser: {}, deliver: {} } as unknown as PeerServices, new NodeLogging('silent').logger('test'), undefined, undefined, TIMEOUT_MS);
    port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as unknown as TlsFiles);
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('closes a connection that never sends the HTTP/2 preface', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await closedByServer(socket);
  }, 30_000);

  it('keeps an established connection that makes no call for longer than the timeout', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    try {
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      await new Promise((r) => setTimeout(r, 3 * TIMEOUT_MS));
      expect(session.closed || session.destroyed).toBe(false);
    } finally {
      session.destroy();
    }
  }, 30_000);
});

describe('the orderer gRPC server', () => {
  let dir: string;
  let node: OrdererNode;

  afterAll(async () => {
    await node?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("closes a TLS connection that never sends the HTTP/2 preface after Fabric's default 5 s", async () => {
    dir = tmpDir('weft-conn-timeout-orderer-');
    const m = await ordererFixture.generateMaterial(dir);
    node = new OrdererNode(loadOrdererConfig(ordererFixture.writeNodeConfig(m, 'orderer0').configFile));
    const { grpcPort } = await node.start();
    const socket = tls.connect({ host: '127.0.0.1', port: grpcPort, ca: fs.readFileSync(m.ordererOrg.tlsCaCertPath), servername: 'localhost', ALPNProtocols: ['h2'] });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.once('secureConnect', () => resolve()));
    await closedByServer(socket);
  }, 30_000);
});
