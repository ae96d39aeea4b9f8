import pino from 'pino';
import type { BlockPvtData, MissingPvtEntry } from '../../../../../core/ledger/private-data';
import type { OldPvtDataResult } from '../../../../../core/ledger/pvt-reconcile';
import { PvtReconciler, type ReconcilerChannel } from '../../../../../core/peer/privdata/pvt-reconciler';
import type { WantedPvt } from '../../../../../core/peer/privdata/pvt-puller';

const entry = (blockNum: number, collection: string, expiringBlock = 0): MissingPvtEntry => ({
  blockNum,
  txNum: 0,
  namespace: 'cc',
  collection,
  pvtRwsetHash: Buffer.alloc(32, blockNum),
  expiringBlock,
});
const id = (e: { blockNum?: number; txNum: number; collection: string }, blockNum = e.blockNum): string => `${blockNum}/${e.txNum}/${e.collection}`;

/**
 * A channel whose ledger holds `records` (most recent first, as the ledger keeps them) and whose
 * commit takes every offered collection that is still recorded.
 */
function channelOf(
  records: MissingPvtEntry[],
  height = 100,
  ineligible: MissingPvtEntry[] = [],
): ReconcilerChannel & { records: MissingPvtEntry[]; ineligible: MissingPvtEntry[]; commits: number } {
  const ch = {
    id: 'ch',
    records,
    ineligible,
    commits: 0,
    ledger: {
      height: () => height,
      ineligiblePvtCollections: () => [...new Set(ch.ineligible.map((r) => r.collection))].map((collection) => ({ namespace: 'cc', collection })),
      missingPvtData(limit: number, after?: MissingPvtEntry) {
        const from = after === undefined ? 0 : ch.records.findIndex((r) => id(r) === id(after)) + 1;
        return ch.records.slice(from, from + limit);
      },
    },
    // Org1 is this peer's org: it is a member of every collection but 'theirs'.
    members: (_ns: string, collection: string) => (collection === 'theirs' ? undefined : ['Org1MSP', 'Org2MSP']),
    commitOld(data: ReadonlyMap<number, BlockPvtData>): Promise<OldPvtDataResult> {
      ch.commits++;
      // The fake puller's bytes are the collection's name.
      const offered = new Set([...data].flatMap(([blockNum, txs]) => [...txs].map(([txNum, bytes]) => id({ txNum, collection: Buffer.from(bytes).toString() }, blockNum))));
      const reconciled = ch.records.filter((r) => offered.has(id(r)));
      ch.records = ch.records.filter((r) => !reconciled.includes(r));
      return Promise.resolve({ reconciled, ignored: [] });
    },
    markEligible({ collection }: { collection: string }, limit: number): Promise<number> {
      const moved = ch.ineligible.filter((r) => r.collection === collection).slice(0, limit);
      ch.ineligible = ch.ineligible.filter((r) => !moved.includes(r));
      ch.records = [...ch.records, ...moved].sort((a, b) => b.blockNum - a.blockNum);
      return Promise.resolve(moved.length);
    },
  };
  return ch;
}

/** A puller whose peers hold the collections named in `available` (`block/tx/collection`). */
function pullerWith(available: Set<string>) {
  const asked: { blockNum: number; wanted: readonly WantedPvt[]; timeoutMs?: number }[] = [];
  return {
    asked,
    pull(_channelId: string, blockNum: number, wanted: readonly WantedPvt[], have: Map<number, Uint8Array>, timeoutMs?: number): Promise<void> {
      asked.push({ blockNum, wanted, timeoutMs });
      for (const w of wanted) if (available.has(id(w, blockNum))) have.set(w.txNum, Buffer.from(w.collection));
      return Promise.resolve();
    },
  };
}

const options = { intervalMs: 10, batchSize: 3, deprioritizedMs: 60_000, pullTimeoutMs: 1234, logger: pino({ level: 'silent' }) };

describe('the private data reconciler (Fabric’s reconciler)', () => {
  it('asks batch by batch for the most recent records this peer’s org should hold, block by block, and commits what it gets', async () => {
    const channel = channelOf([entry(9, 'theirs'), entry(8, 'a', 90), entry(8, 'b'), entry(7, 'expired', 60), entry(5, 'c'), entry(2, 'd')], 80);
    const puller = pullerWith(new Set(['8/0/a', '5/0/c']));
    const rounds: string[] = [];
    const metrics = { observeReconciliation: (ch: string, seconds: number) => rounds.push(`${ch} ${seconds >= 0}`) };
    expect(await new PvtReconciler(channel, puller, { ...options, metrics }).reconcile()).toBe(2);
    // Not a member of 'theirs'; 'expired' went with block 60; block 2 comes in the second batch.
    expect(puller.asked.map((a) => [a.blockNum, a.wanted.map((w) => w.collection), a.timeoutMs])).toEqual([
      [8, ['a', 'b'], 1234],
      [5, ['c'], 1234],
      [2, ['d'], 1234],
    ]);
    expect(puller.asked[0].wanted[0]).toMatchObject({ txNum: 0, memberMspIds: ['Org1MSP', 'Org2MSP'], pvtRwsetHash: Buffer.alloc(32, 8) });
    expect(channel.records.map((r) => id(r))).toEqual(['9/0/theirs', '8/0/b', '7/0/expired', '2/0/d']);
    // The second batch got nothing, so there was nothing to commit.
    expect(channel.commits).toBe(1);
    expect(rounds).toEqual(['ch true']);
  });

  it('ends a round at a batch no peer gave anything of, and leaves it out of rounds until the deprioritized interval has passed', async () => {
    let now = 1_000;
    const channel = channelOf([entry(3, 'a'), entry(2, 'b'), entry(1, 'c')]);
    const puller = pullerWith(new Set(['1/0/c']));
    const reconciler = new PvtReconciler(channel, puller, { ...options, batchSize: 2, now: () => now });
    expect(await reconciler.reconcile()).toBe(0);
    expect(channel.commits).toBe(0);
    expect(await reconciler.reconcile()).toBe(1);
    expect(puller.asked.map((a) => a.blockNum)).toEqual([3, 2, 1]);
    expect(await reconciler.reconcile()).toBe(0);
    expect(puller.asked).toHaveLength(3);
    now += options.deprioritizedMs;
    await reconciler.reconcile();
    expect(puller.asked.map((a) => a.blockNum)).toEqual([3, 2, 1, 3, 2]);
  });

  it('asks too for what a collection wrote before this peer’s org joined it, and not for a collection it has not joined', async () => {
    const before = Array.from({ length: 1_500 }, (_, i) => entry(2_000 - i, 'joined'));
    const channel = channelOf([entry(3_000, 'a')], 5_000, [...before, entry(7, 'theirs')]);
    const puller = pullerWith(new Set(['3000/0/a', '2000/0/joined']));
    expect(await new PvtReconciler(channel, puller, options).reconcile()).toBe(2);
    expect(puller.asked.slice(0, 3).map((a) => [a.blockNum, a.wanted.map((w) => w.collection)])).toEqual([
      [3000, ['a']],
      [2000, ['joined']],
      [1999, ['joined']],
    ]);
    // The round went on to a second batch, which got nothing and ended it.
    expect(puller.asked.map((a) => a.blockNum)).toEqual([3000, 2000, 1999, 1998, 1997, 1996]);
    expect(channel.ineligible.map((r) => id(r))).toEqual(['7/0/theirs']);
    expect(channel.records).toHaveLength(1_499);
  });

  it('pages past many records it cannot ask for', async () => {
    const records = [...Array.from({ length: 600 }, (_, i) => entry(1000 - i, 'theirs')), entry(5, 'a')];
    const puller = pullerWith(new Set(['5/0/a']));
    expect(await new PvtReconciler(channelOf(records), puller, options).reconcile()).toBe(1);
    expect(puller.asked.map((a) => a.blockNum)).toEqual([5]);
  });

  it('runs a round every interval once started, and stop waits for the round under way', async () => {
    const channel = channelOf([entry(4, 'a'), entry(3, 'b')]);
    const puller = pullerWith(new Set(['4/0/a', '3/0/b']));
    const reconciler = new PvtReconciler(channel, puller, { ...options, batchSize: 1 });
    reconciler.start();
    for (let i = 0; i < 200 && channel.records.length > 0; i++) await new Promise((r) => setTimeout(r, 5));
    await reconciler.stop();
    expect(channel.records).toEqual([]);
    const asked = puller.asked.length;
    expect(asked).toBe(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(puller.asked).toHaveLength(asked);
  });
});
