import * as path from 'node:path';
import Database from 'better-sqlite3';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { approve, CHANNEL, eventually, gatewayFor } from './network-fixture';

/**
 * A peer whose ledger cannot take a block (here: another process holds the state database's write
 * lock past SQLite's busy timeout, as a full disk or a failing volume would refuse it) stops
 * committing that channel without skipping or half-writing the block, says so on /healthz, and
 * catches up once restarted.
 */
describe('a block the ledger cannot commit', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-commit-failure-' });
  });

  afterAll(async () => {
    await net?.close();
  });

  async function health(peer: PeerNode): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://${peer.operationsAddress() as string}/healthz`);
    return { status: res.status, body: await res.text() };
  }

  it('stops the channel, reports it unhealthy, and recovers on restart', async () => {
    expect((await health(net.peers[0])).status).toBe(200);
    const stateFile = path.join(net.peerFiles[0].dataDir, 'ledgers', `${CHANNEL}_state.sqlite`);
    const blocker = new Database(stateFile, { timeout: 0 });
    blocker.exec('BEGIN EXCLUSIVE');
    try {
      // Org2's approval makes block 1; its peer commits it, Org1's peer cannot.
      const admin = gatewayFor(net.m.orgs[1], net.clients[1], 'Admin');
      net.gateways.push(admin);
      await approve(admin, 'kv', 1, 'kv_1:0000');
      expect(net.peers[1].height(CHANNEL)).toBe(2);
      const unhealthy = await eventually(async () => {
        const h = await health(net.peers[0]);
        if (h.status !== 503) throw new Error(`still healthy: ${h.body}`);
        return h;
      }, 30_000);
      expect(unhealthy.body).toMatch(new RegExp(`channels not committing: ${CHANNEL} \\(block 1: `));
      expect(net.peers[0].height(CHANNEL)).toBe(1);
    } finally {
      blocker.exec('ROLLBACK');
      blocker.close();
    }
    // Still stopped after the lock is gone: nothing commits behind the failed block's back.
    expect(net.peers[0].height(CHANNEL)).toBe(1);

    await net.peers[0].stop();
    net.peers[0] = new PeerNode(parsePeerConfig(loadNodeConfig(net.peerFiles[0].configFile)));
    await net.peers[0].start();
    await eventually(() => expect(net.peers[0].height(CHANNEL)).toBe(2));
    expect((await health(net.peers[0])).status).toBe(200);
  });
});
