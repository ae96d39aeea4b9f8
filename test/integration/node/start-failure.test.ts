import * as fs from 'node:fs';
import * as net from 'node:net';
import { findFreePorts } from '../../../cli/services/free-ports';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import * as ordererFixture from '../orderer/orderer-fixture';
import * as peerFixture from '../peer/network-fixture';

/** Binds `port` on loopback, as another program holding it would. */
async function hold(port: number): Promise<net.Server> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return server;
}

async function release(server: net.Server): Promise<void> {
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

/** True when nothing listens on `port` any more: a node that failed to start let its ports go. */
async function isFree(port: number): Promise<boolean> {
  try {
    await release(await hold(port));
    return true;
  } catch {
    return false;
  }
}

/**
 * A node whose last listener cannot bind (its operations port is taken) fails to start with the
 * bind error, and stops what it had already started: no gRPC or admin port stays bound, and the
 * same config starts once the port is free.
 */
describe('a node that fails to start', () => {
  let dir: string;

  beforeEach(() => {
    dir = ordererFixture.tmpDir('weft-start-failure-');
  });

  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('orderer: releases its gRPC and admin ports', async () => {
    const m = await ordererFixture.generateMaterial(dir);
    const base = await findFreePorts(3);
    const [grpcPort, adminPort, operationsPort] = [base, base + 1, base + 2];
    const { configFile } = ordererFixture.writeNodeConfig(m, 'orderer0', { grpcPort, adminPort, operations: true, operationsPort });
    const blocker = await hold(operationsPort);
    try {
      await expect(new OrdererNode(loadOrdererConfig(configFile)).start()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(await isFree(grpcPort)).toBe(true);
      expect(await isFree(adminPort)).toBe(true);
    } finally {
      await release(blocker);
    }
    const node = new OrdererNode(loadOrdererConfig(configFile));
    try {
      expect(await node.start()).toMatchObject({ grpcPort, adminPort, operationsAddress: `127.0.0.1:${operationsPort}` });
    } finally {
      await node.stop();
    }
  });

  it('peer: releases its gRPC port and ledgers', async () => {
    const m = await peerFixture.generateMaterial(dir);
    const base = await findFreePorts(3);
    const { configFile } = peerFixture.writePeerConfig(m, 0, [base, base + 1], base + 2);
    const startPeer = async (): Promise<PeerNode> => {
      const peer = new PeerNode(parsePeerConfig(loadNodeConfig(configFile)));
      await peer.start();
      return peer;
    };
    const first = await startPeer();
    first.joinChannel(peerFixture.genesisBlock(m, base + 1));
    await first.stop();

    const blocker = await hold(base + 2);
    try {
      await expect(startPeer()).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(await isFree(base)).toBe(true);
    } finally {
      await release(blocker);
    }
    const peer = await startPeer();
    try {
      expect(peer.port).toBe(base);
      expect(peer.channelIds()).toEqual([peerFixture.CHANNEL]);
      expect(peer.height(peerFixture.CHANNEL)).toBe(1);
    } finally {
      await peer.stop();
    }
  });

  it('a second node on a data directory in use is refused before it binds anything', async () => {
    const m = await ordererFixture.generateMaterial(dir);
    const { configFile } = ordererFixture.writeNodeConfig(m, 'orderer0', { operations: true });
    const first = new OrdererNode(loadOrdererConfig(configFile));
    await first.start();
    const base = await findFreePorts(1);
    const config = loadOrdererConfig(configFile);
    const second = new OrdererNode({ ...config, orderer: { ...config.orderer, listenAddress: `127.0.0.1:${base}` } });
    try {
      await expect(second.start()).rejects.toMatchObject({
        code: 'NODE_DATA_DIR_IN_USE',
        message: expect.stringContaining(`is in use by orderer orderer0.example.com (pid ${process.pid}`),
      });
      expect(await isFree(base)).toBe(true);
    } finally {
      await first.stop();
    }
    await second.start();
    await second.stop();
  });
});
