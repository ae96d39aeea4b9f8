import * as path from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Contract } from '@hyperledger/fabric-gateway';
import { collectionPackage } from '../../support/lifecycle-collections';
import { sample } from '../../support/prometheus-text';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, PRIVATE_DIR } from './network-fixture';

const utf8 = new TextDecoder();
/** Bytes of private data one client may hold per peer: a few of the flooder's endorsements. */
const QUOTA = 16_000;
const VALUE = 'v'.repeat(4_000);

/**
 * Both orgs' peers endorse every transaction (MAJORITY of two) and keep its private writes in their
 * transient stores. One client endorses and never submits; the other's transaction must still
 * commit with its values taken from each peer's own store, not pulled from the other peer.
 */
describe('a client flooding the transient store with endorsements it never submits', () => {
  let net: InProcessNetwork;
  let honest: Contract;
  let flooder: Contract;

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-transient-',
      // No reconciliation: a value the commit neither held nor pulled would stay missing.
      peerSection: { privateData: { transientStoreMaxBytesPerSender: QUOTA, reconciliationEnabled: false } },
    });
    await deployChaincodeInProcess(net, { projectDir: PRIVATE_DIR, label: 'private_1', name: 'private', collections: collectionPackage({ name: 'shared' }) });
    honest = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    flooder = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(() => net?.close());

  const metrics = async (peer: 0 | 1): Promise<string> => (await fetch(`http://${net.peers[peer].operationsAddress() as string}/metrics`)).text();
  const put = (contract: Contract, key: string) => contract.newProposal('Put', { arguments: ['shared', key], transientData: { value: Buffer.from(VALUE) } });
  /** The txids of `txIds` a peer's transient store holds, read from its file (WAL: a reader sees every committed write). */
  const heldBy = (peer: 0 | 1, txIds: readonly string[]): string[] => {
    const db = new Sqlite(path.join(net.peerFiles[peer].dataDir, 'transient', `${CHANNEL}.sqlite`), { readonly: true });
    try {
      const has = db.prepare('SELECT COUNT(*) AS n FROM transient WHERE txid = ?');
      return txIds.filter((t) => (has.get(t) as { n: number }).n > 0);
    } finally {
      db.close();
    }
  };

  it('evicts only the flooder’s own oldest entries; the other client’s transaction commits without a pull', async () => {
    const mine = put(honest, 'kept');
    const endorsed = await mine.endorse();
    const flood: string[] = [];
    for (let i = 0; i < 8; i++) {
      const proposal = put(flooder, `flood${i}`);
      await proposal.endorse();
      flood.push(proposal.getTransactionId());
    }
    for (const peer of [0, 1] as const) {
      expect(heldBy(peer, [mine.getTransactionId()])).toEqual([mine.getTransactionId()]);
      const kept = heldBy(peer, flood);
      // At most its quota's worth: the newest, the oldest evicted.
      expect(kept.length).toBeLessThan(QUOTA / VALUE.length);
      expect(kept).toEqual(flood.slice(flood.length - kept.length));
      expect(sample(await metrics(peer), 'transient_store_evictions', { channel: CHANNEL, kind: 'endorsed' })).toBe(flood.length - kept.length);
    }

    const status = await (await endorsed.submit()).getStatus();
    expect(status.successful).toBe(true);
    await peersInSync(net.peers);
    for (const peer of [0, 1] as const) {
      const reader = peer === 0 ? honest : flooder;
      expect(utf8.decode(await reader.evaluateTransaction('Get', 'shared', 'kept'))).toBe(VALUE);
      // Taken from its own store: the commit asked no other peer.
      expect(sample(await metrics(peer), 'gossip_privdata_pull_duration_count', { channel: CHANNEL })).toBe(0);
    }
  });
});
