import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultLedgerOptions, KvLedger, RwSetBuilder } from '../../../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { definitionKey, encodeDefinition, LIFECYCLE_NAMESPACE } from '../../../core/peer/lifecycle/lifecycle-state';
import { LifecycleCollectionPolicy } from '../../../core/peer/privdata/collection-policy';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { collectionPackage } from '../../support/lifecycle-collections';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, type PeerConfig } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';
import { PeerNode } from '../../../core/peer/peer-node';
import { CHANNEL, freePort, generateMaterial, genesisBlock, tmpDir, writePeerConfig } from './network-fixture';
import { testDefinition } from '../../support/chaincode-definition';

/**
 * Offline maintenance of a peer's ledgers (`weft peer rebuild-dbs` / `unjoin`) on a real SQLite
 * ledger: it refuses a running peer's directory, checks every channel before changing any, and the
 * peer starts afterwards with what it left.
 */
describe('PeerLedgerAdmin', () => {
  let dir: string;
  let config: PeerConfig;

  beforeAll(async () => {
    dir = tmpDir('weft-ledger-admin-');
    const m = await generateMaterial(dir);
    const [port, opsPort] = [await freePort(), await freePort()];
    config = parsePeerConfig(loadNodeConfig(writePeerConfig(m, 0, [port, port + 1], opsPort).configFile));
    const peer = new PeerNode(config);
    await peer.start();
    peer.joinChannel(genesisBlock(m, port + 1));
    peer.joinChannel(genesisBlock(m, port + 1, '100ms', 'other'));
    await peer.stop();
  });

  afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is refused while the peer runs, and the peer is refused while it is open', async () => {
    const peer = new PeerNode(config);
    await peer.start();
    try {
      expect(() => PeerLedgerAdmin.open(config, 'test')).toThrow(expect.objectContaining({ code: 'NODE_DATA_DIR_IN_USE' }));
    } finally {
      await peer.stop();
    }
    const admin = PeerLedgerAdmin.open(config, 'weft peer rebuild-dbs');
    try {
      await expect(new PeerNode(config).start()).rejects.toMatchObject({ code: 'NODE_DATA_DIR_IN_USE', message: expect.stringContaining('weft peer rebuild-dbs') });
    } finally {
      admin.close();
    }
  });

  it('rebuilds every channel with progress, after checking that each one exists', () => {
    const admin = PeerLedgerAdmin.open(config, 'test');
    try {
      expect(admin.channels()).toEqual([CHANNEL, 'other']);
      expect(() => admin.rebuild([CHANNEL, 'nope'])).toThrow(expect.objectContaining({ code: 'PEER_UNKNOWN_CHANNEL', message: expect.stringContaining(`it has: ${CHANNEL}, other`) }));
      const progress: string[] = [];
      expect(admin.rebuild(undefined, (id, applied, height) => progress.push(`${id} ${applied}/${height}`))).toEqual([
        { channelId: CHANNEL, blocks: 1 },
        { channelId: 'other', blocks: 1 },
      ]);
      expect(progress).toEqual([`${CHANNEL} 1/1`, 'other 1/1']);
    } finally {
      admin.close();
    }
  });

  it('refuses a rollback that would not drop a block; reset leaves genesis-only channels as they are', () => {
    const admin = PeerLedgerAdmin.open(config, 'test');
    try {
      expect(() => admin.rollback(CHANNEL, 0)).toThrow(expect.objectContaining({ code: 'LEDGER_BAD_ROLLBACK', message: expect.stringContaining('below the newest (0)') }));
      expect(() => admin.rollback('nope', 0)).toThrow(expect.objectContaining({ code: 'PEER_UNKNOWN_CHANNEL' }));
      expect(admin.reset()).toEqual([
        { channelId: CHANNEL, blocks: 1 },
        { channelId: 'other', blocks: 1 },
      ]);
    } finally {
      admin.close();
    }
  });

  it('unjoins one channel; the peer starts with the others', async () => {
    const admin = PeerLedgerAdmin.open(config, 'test');
    try {
      admin.unjoin('other');
      expect(admin.channels()).toEqual([CHANNEL]);
      expect(() => admin.unjoin('other')).toThrow(expect.objectContaining({ code: 'PEER_UNKNOWN_CHANNEL' }));
    } finally {
      admin.close();
    }
    const peer = new PeerNode(config);
    await peer.start();
    try {
      expect(peer.channelIds()).toEqual([CHANNEL]);
      expect(peer.height(CHANNEL)).toBe(1);
    } finally {
      await peer.stop();
    }
  });

  it('rebuilds private data state as the peer committed it: a collection expires by its blockToLive', () => {
    // Blocks committed through the peer's own collection policy, as its committer would: a
    // definition whose collection lives 1 block, a private write, then blocks until it expires.
    const provider = new SqliteLedgerStoreProvider({ rootDir: path.join(config.node.dataDir, 'ledgers') });
    const store = provider.open(CHANNEL);
    const ledger = new KvLedger(CHANNEL, store, defaultLedgerOptions, undefined, new LifecycleCollectionPolicy(store.state, 'Org1MSP'));
    const chain = TestChain.after(ledger.getBlockByNumber(ledger.height() - 1));
    const definition = encodeDefinition(testDefinition('cc', { version: '1', validationParameter: new Uint8Array(0), collectionsBytes: collectionPackage({ name: 'short', blockToLive: 1 }).serializeBinary() }));
    const define = new RwSetBuilder();
    define.addWrite(LIFECYCLE_NAMESPACE, definitionKey('cc'), definition);
    ledger.commit(chain.block([buildRwSetEnvelope({ txId: 'define', rwset: define.buildBytes(), channelId: CHANNEL })]));
    const sim = ledger.newTxSimulator('write');
    sim.setPrivateData('cc', 'short', 'k', Buffer.from('brief'));
    const rwset = sim.getTxSimulationResults();
    const pvt = sim.getPrivateSimulationResults() as Uint8Array;
    sim.done();
    ledger.commit(chain.block([buildRwSetEnvelope({ txId: 'write', rwset, channelId: CHANNEL })]), undefined, new Map([[0, pvt]]));
    const hashOf = (l: KvLedger): Uint8Array | undefined => {
      const q = l.newQueryExecutor();
      try {
        return q.getPrivateDataHash('cc', 'short', 'k');
      } finally {
        q.done();
      }
    };
    expect(hashOf(ledger)).toBeDefined();
    for (let i = 0; i < 2; i++) ledger.commit(chain.block([]));
    expect(hashOf(ledger)).toBeUndefined();
    ledger.close();

    const admin = PeerLedgerAdmin.open(config, 'test');
    try {
      admin.rebuild([CHANNEL]);
    } finally {
      admin.close();
    }
    const rebuilt = new KvLedger(CHANNEL, provider.open(CHANNEL), defaultLedgerOptions);
    try {
      expect(hashOf(rebuilt)).toBeUndefined();
    } finally {
      rebuilt.close();
    }
  });
});
