import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultLedgerOptions, KvLedger } from '../../../core/ledger';
import { TestChain } from '../../../core/ledger/test-blocks';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, type PeerConfig } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';
import { PeerNode } from '../../../core/peer/peer-node';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { CHANNEL, freePort, generateMaterial, genesisBlock, tmpDir, writePeerConfig } from './network-fixture';

/**
 * `PeerLedgerAdmin.pause` / `resume` on a real SQLite ledger (Fabric's `kvledger.PauseChannel` /
 * `ResumeChannel`): the status outlives the admin, and rebuild, rollback, reset and unjoin work on a
 * paused channel as Fabric's do on an INACTIVE ledger (they act on every ledger, whatever its status).
 */
describe('PeerLedgerAdmin pause and resume', () => {
  let dir: string;
  let config: PeerConfig;
  let otherGenesis: Uint8Array;

  beforeAll(async () => {
    dir = tmpDir('weft-ledger-admin-pause-');
    const m = await generateMaterial(dir);
    const [port, opsPort] = [await freePort(), await freePort()];
    config = parsePeerConfig(loadNodeConfig(writePeerConfig(m, 0, [port, port + 1], opsPort).configFile));
    otherGenesis = genesisBlock(m, port + 1, '100ms', 'other');
    const peer = new PeerNode(config);
    await peer.start();
    peer.joinChannel(genesisBlock(m, port + 1));
    peer.joinChannel(otherGenesis);
    await peer.stop();
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function withAdmin<T>(work: (admin: PeerLedgerAdmin) => T): T {
    const admin = PeerLedgerAdmin.open(config, 'test');
    try {
      return work(admin);
    } finally {
      admin.close();
    }
  }

  async function peerChannels(): Promise<string[]> {
    const peer = new PeerNode(config);
    await peer.start();
    try {
      return peer.channelIds();
    } finally {
      await peer.stop();
    }
  }

  it('pauses and resumes with typed refusals, the status surviving the admin', async () => {
    withAdmin((admin) => {
      expect(() => admin.pause('nope')).toThrow(expect.objectContaining({ code: 'PEER_UNKNOWN_CHANNEL', message: expect.stringContaining('channel nope') }));
      expect(() => admin.resume('nope')).toThrow(expect.objectContaining({ code: 'PEER_UNKNOWN_CHANNEL' }));
      // A repeat changes nothing and says so (Fabric logs "nothing to do").
      expect(admin.resume('other')).toBe(false);
      expect(admin.pause('other')).toBe(true);
      expect(admin.pause('other')).toBe(false);
    });
    withAdmin((admin) => {
      expect(admin.channelStatus()).toEqual({ active: [CHANNEL], paused: ['other'] });
      expect(admin.channels()).toEqual([CHANNEL, 'other']);
    });
    const running = new PeerNode(config);
    await running.start();
    try {
      expect(running.channelIds()).toEqual([CHANNEL]);
      // Readable beside the running peer, for weft network status.
      expect(PeerLedgerAdmin.channelStatusOf(config)).toEqual({ active: [CHANNEL], paused: ['other'] });
    } finally {
      await running.stop();
    }
    withAdmin((admin) => admin.resume('other'));
    expect(await peerChannels()).toEqual([CHANNEL, 'other']);
  });

  it('rebuilds, rolls back and resets a paused channel, which stays paused', async () => {
    // Two more blocks on `other`, committed as the peer would.
    const provider = new SqliteLedgerStoreProvider({ rootDir: path.join(config.node.dataDir, 'ledgers') });
    const ledger = new KvLedger('other', provider.open('other'), defaultLedgerOptions);
    const chain = TestChain.after(ledger.getBlockByNumber(0));
    for (let i = 0; i < 2; i++) ledger.commit(chain.block([]));
    ledger.close();

    withAdmin((admin) => {
      admin.pause('other');
      expect(admin.rebuild()).toEqual([
        { channelId: CHANNEL, blocks: 1 },
        { channelId: 'other', blocks: 3 },
      ]);
      expect(admin.rollback('other', 1)).toEqual({ channelId: 'other', blocks: 2 });
      expect(admin.reset()).toEqual([
        { channelId: CHANNEL, blocks: 1 },
        { channelId: 'other', blocks: 1 },
      ]);
      expect(admin.channelStatus()).toEqual({ active: [CHANNEL], paused: ['other'] });
    });
    expect(await peerChannels()).toEqual([CHANNEL]);
  });

  it('unjoins a paused channel; joined again, it is active', async () => {
    withAdmin((admin) => {
      expect(admin.channelStatus().paused).toEqual(['other']);
      admin.unjoin('other');
      expect(admin.channelStatus()).toEqual({ active: [CHANNEL], paused: [] });
    });
    const peer = new PeerNode(config);
    await peer.start();
    try {
      expect(peer.channelIds()).toEqual([CHANNEL]);
      peer.joinChannel(otherGenesis);
    } finally {
      await peer.stop();
    }
    withAdmin((admin) => expect(admin.channelStatus()).toEqual({ active: [CHANNEL, 'other'], paused: [] }));
    expect(await peerChannels()).toEqual([CHANNEL, 'other']);
  });
});
