import { OpenQueries, QUERY_BATCH_SIZE } from '../../../../core/chaincode/host-queries';

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
    const first = q.start(s.items, (i) => i * 2);
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
    const first = q.start(s.items, (i) => i);
    const rest = q.next(first.id);
    expect([rest.results.length, rest.hasMore, s.pulled()]).toEqual([50, false, 150]);
    const exact = new OpenQueries(100).start(source(300).items, (i) => i);
    expect([exact.results.length, exact.hasMore]).toEqual([100, false]);
    const other = q.start(source(10).items, (i) => i);
    expect(other.id).not.toBe(first.id);
    q.close(other.id);
    q.close('no such id');
    expect(() => q.next(other.id)).toThrow('query iterator not found');
  });
});
