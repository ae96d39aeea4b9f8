import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { NodeError } from '../../../../core/errors';
import { boundDial } from '../../../../core/node/grpc-dial-timeout';

/**
 * The bound on one connection's set-up, on real loopback sockets, driving the connector grpc-js
 * would use as it does (connect after TCP is up): an answering server's connection outlives the
 * bound; a silent one is destroyed at it, with the reason grpc-js then reports.
 */
const BOUND_MS = 100;
const servers: net.Server[] = [];
const sockets: net.Socket[] = [];

afterAll(() => {
  for (const s of sockets) s.destroy();
  for (const s of servers) s.close();
});

/** A server on loopback that writes `greeting` on each connection (nothing when undefined) and keeps it open. */
async function listen(greeting: string | undefined): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.push(socket);
    if (greeting !== undefined) socket.write(greeting);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

async function tcp(port: number): Promise<net.Socket> {
  const socket = net.connect(port, '127.0.0.1');
  sockets.push(socket);
  await new Promise((resolve) => socket.once('connect', resolve));
  return socket;
}

const connector = (credentials: grpc.ChannelCredentials, port: number) =>
  boundDial(credentials, `127.0.0.1:${port}`, BOUND_MS)._createSecureConnector({ scheme: 'dns', path: `127.0.0.1:${port}` }, {});

/** Waits past the bound: the timer has fired by then. */
const pastTheBound = () => new Promise((resolve) => setTimeout(resolve, 3 * BOUND_MS));

it('leaves a connection whose server answered open past the bound', async () => {
  const port = await listen('settings');
  const { socket } = await connector(grpc.credentials.createInsecure(), port).connect(await tcp(port));
  // grpc-js's HTTP/2 session reads the socket; this stands in for it.
  await new Promise((resolve) => socket.once('data', resolve));
  await pastTheBound();
  expect(socket.destroyed).toBe(false);
});

it('gives the bound again when this process stalled past it, its timer firing before the reads: what the server sent is not silence', async () => {
  const port = await listen('settings');
  const { socket } = await connector(grpc.credentials.createInsecure(), port).connect(await tcp(port));
  // The event loop held past the bound: when it runs again the timer fires before the server's bytes are read.
  const until = Date.now() + 3 * BOUND_MS;
  while (Date.now() < until) {
    // busy: a stalled or starved process
  }
  await new Promise((resolve) => socket.once('data', resolve));
  await pastTheBound();
  expect(socket.destroyed).toBe(false);
});

it('destroys a plaintext connection whose server sent nothing, with a DIAL_TIMEOUT naming address, bound and stage', async () => {
  const port = await listen(undefined);
  const { socket } = await connector(grpc.credentials.createInsecure(), port).connect(await tcp(port));
  // grpc-js listens for the error while it waits for the server's settings.
  const failed = new Promise<Error>((resolve) => socket.once('error', resolve));
  const err = await failed;
  expect(err).toBeInstanceOf(NodeError);
  expect(err).toMatchObject({ code: 'DIAL_TIMEOUT', details: { address: `127.0.0.1:${port}`, timeoutMs: BOUND_MS, stage: 'HTTP/2 settings frame' } });
  expect(socket.destroyed).toBe(true);
});

it('fails a TLS handshake the server never answers, and destroys its socket', async () => {
  const port = await listen(undefined);
  const raw = await tcp(port);
  // The system's roots: the server never gets as far as showing a certificate.
  const attempt = connector(grpc.credentials.createSsl(), port).connect(raw);
  await expect(attempt).rejects.toMatchObject({ code: 'DIAL_TIMEOUT', message: expect.stringContaining(`no TLS handshake from 127.0.0.1:${port} within ${BOUND_MS} ms`) });
  expect(raw.destroyed).toBe(true);
});
