import { MAX_OPEN_QUERIES, OpenQueries, QUERY_BATCH_SIZE, type HeldBytes } from '../../../../core/chaincode/host-queries';

/** Counts how many results the host pulled from the ledger's iterator. */
function source(n: number): { items: Iterable<number>; pulled: () => number } {
  let pulled = 0;
  function* gen(): Generator<number> {
    for (let i = 0; i < n; i++) {
      pulled++;
      yield i;
    }
  }
  return { items: gen(), pulled: () => pulled };
}

describe("open query iterators in Fabric's batches (QueryResponseGenerator)", () => {
  it('answers 100 results per batch, pulling one ahead, until the results end', () => {
    const q = new OpenQueries(100_000);
    const s = source(250);
    const first = q.start(() => s.items, (i) => i * 2);
    expect([first.results.length, first.results[99], first.hasMore, s.pulled()]).toEqual([QUERY_BATCH_SIZE, 198, true, 101]);
    const second = q.next(first.id);
    expect([second.results[0], second.results.length, second.hasMore, s.pulled()]).toEqual([200, 100, true, 201]);
    const last = q.next(first.id);
    expect([last.results.length, last.hasMore, s.pulled()]).toEqual([50, false, 250]);
    expect(() => q.next(first.id)).toThrow('query iterator not found');
  });

  it('stops at the total limit without pulling past it, and closes quietly', () => {
    const q = new OpenQueries(150);
    const s = source(300);
    const first = q.start(() => s.items, (i) => i);
    const rest = q.next(first.id);
    expect([rest.results.length, rest.hasMore, s.pulled()]).toEqual([50, false, 150]);
    const exact = new OpenQueries(100).start(() => source(300).items, (i) => i);
    expect([exact.results.length, exact.hasMore]).toEqual([100, false]);
    const other = q.start(() => source(10).items, (i) => i);
    expect(other.id).not.toBe(first.id);
    q.close(other.id);
    q.close('no such id');
    expect(() => q.next(other.id)).toThrow('query iterator not found');
  });

  it('refuses to open more than MAX_OPEN_QUERIES at once, before running the query; closing one makes room', () => {
    expect(MAX_OPEN_QUERIES).toBeGreaterThanOrEqual(100);
    const q = new OpenQueries(100_000, undefined, 3);
    const ids = [0, 1, 2].map(() => q.start(() => source(500).items, (i) => i).id);
    let ran = false;
    expect(() =>
      q.start(() => {
        ran = true;
        return source(1).items;
      }, (i) => i),
    ).toThrow('this transaction already holds 3 open query iterators, the most it may: close the iterators it no longer reads (iterator.close()) before opening more');
    expect(ran).toBe(false);
    // One read to its end closes itself, as does one closed by the chaincode.
    q.next(ids[0]);
    q.next(ids[0]);
    q.next(ids[0]);
    expect(q.next(ids[0]).hasMore).toBe(false);
    q.close(ids[1]);
    expect(() => [0, 1].map(() => q.start(() => source(500).items, (i) => i))).not.toThrow();
  });

  it('closeAll closes every open iterator (the transaction ended) and gives back what they held ahead', () => {
    let held = 0;
    const bytes: HeldBytes = { hold: (n) => void (held += n), release: (n) => void (held -= n) };
    const q = new OpenQueries(100_000, bytes);
    const returned: number[] = [];
    const rows = (n: number, tag: number): Iterable<{ key: string; value: Uint8Array }> => ({
      *[Symbol.iterator]() {
        try {
          for (let i = 0; i < n; i++) yield { key: `k${i}`, value: new Uint8Array(1000) };
        } finally {
          returned.push(tag);
        }
      },
    });
    const a = q.start(() => rows(300, 1), (kv) => kv.key);
    q.start(() => rows(300, 2), (kv) => kv.key);
    q.start(() => rows(5, 3), (kv) => kv.key);
    // The third ended within its first batch; the others each hold result 101 (key 'k100', 1000 bytes) ahead.
    expect([returned, held]).toEqual([[3], 2 * 1004]);
    q.next(a.id);
    expect(held).toBe(2 * 1004);
    q.closeAll();
    expect([returned.sort(), held]).toEqual([[1, 2, 3], 0]);
    expect(() => q.next(a.id)).toThrow('query iterator not found');
  });

  it('a result pulled ahead that passes the byte limit fails the call and closes the iterator', () => {
    const bytes: HeldBytes = {
      hold: (n, what) => {
        if (n > 500) throw new Error(`${what()}: over`);
      },
      release: () => undefined,
    };
    const q = new OpenQueries(100_000, bytes);
    let closed = false;
    const big: Iterable<{ key: string; value: Uint8Array }> = {
      *[Symbol.iterator]() {
        try {
          for (let i = 0; i < 200; i++) yield { key: 'k', value: new Uint8Array(1000) };
        } finally {
          closed = true;
        }
      },
    };
    expect(() => q.start(() => big, (kv) => kv.key)).toThrow('a query result pulled ahead for the next batch: over');
    expect(closed).toBe(true);
  });
});
