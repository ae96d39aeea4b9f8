import { StateLock, type StateHolder } from '../../../../core/ledger/state-lock';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('StateLock (Fabric commitRWLock: shared holds for simulations, exclusive for a commit, writer-preferring)', () => {
  it('runs a commit only after every hold granted before it ends, and holds asked for meanwhile after the commit', async () => {
    const lock = new StateLock();
    const order: string[] = [];
    const first = await lock.read('tx1');
    const second = await lock.read('tx2');
    const commit = lock.exclusive(() => order.push('commit'));
    const third = lock.read('tx3').then((release) => {
      order.push('tx3');
      return release;
    });
    await turn();
    expect(order).toEqual([]);
    first();
    first(); // A second release is no release of someone else's hold.
    await turn();
    expect(order).toEqual([]);
    second();
    await commit;
    (await third)();
    expect(order).toEqual(['commit', 'tx3']);
  });

  it('lets holds share the state while no commit waits', async () => {
    const lock = new StateLock();
    const holds = await Promise.all([lock.read('a'), lock.read('b'), lock.read('c')]);
    expect(lock.holders().map((h) => h.label)).toEqual(['a', 'b', 'c']);
    for (const release of holds) release();
    expect(await lock.exclusive(() => 'free')).toBe('free');
  });

  it('reports who holds the state when a commit has waited too long', async () => {
    const stalls: { holders: readonly StateHolder[]; waitedMs: number }[] = [];
    const lock = new StateLock(30, (holders, waitedMs) => stalls.push({ holders, waitedMs }));
    const release = await lock.read('simulation of transaction leaky');
    const commit = lock.exclusive(() => 'committed');
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(stalls).toHaveLength(1);
    expect(stalls[0].holders.map((h) => h.label)).toEqual(['simulation of transaction leaky']);
    expect(stalls[0].waitedMs).toBeGreaterThanOrEqual(25);
    release();
    expect(await commit).toBe('committed');
  });

  it('releases the state when the commit throws', async () => {
    const lock = new StateLock();
    await expect(
      lock.exclusive(() => {
        throw new Error('disk gone');
      }),
    ).rejects.toThrow('disk gone');
    (await lock.read('next'))();
  });
});
