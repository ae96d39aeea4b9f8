import { resolveLimits, type ChaincodeInvocation } from '../../../../core/chaincode/chaincode-runtime';
import { createHostTable } from '../../../../core/chaincode/host-table';
import { HostSession } from '../../../../core/chaincode/host-session';
import { OpenQueries, transactionScope } from '../../../../core/chaincode/host-queries';
import type { HostKV, HostQueryBatch } from '../../../../core/chaincode/host-api';
import { MemoryWorld } from './memory-simulator';
import { creator } from './fixtures';

const invocation = (txId: string, channelId = 'ch'): ChaincodeInvocation => ({
  chaincodeName: 'cc',
  channelId,
  txId,
  args: [Buffer.from('fn')],
  creator: creator('user1'),
  timestamp: { seconds: 10, nanos: 0 },
  mspId: 'Org1MSP',
});

/**
 * The host's side of a query iterator kept past its transaction: bundles packaged before the
 * sandbox's own check carry their old iterators, which send whatever id they were given. An id
 * from an ended transaction must name no iterator of the running one, on next() and on close().
 */
describe('query iterator ids are bound to their transaction', () => {
  const world = new MemoryWorld();
  for (let i = 0; i < 250; i++) world.state.set(`cc\u0000\u0000k${String(i).padStart(3, '0')}`, Buffer.from(String(i)));
  let session: HostSession | undefined;
  const table = createHostTable(() => session);
  const begin = (txId: string, channelId = 'ch'): HostSession => {
    session?.close();
    session = new HostSession(invocation(txId, channelId), { simulator: world.simulator(txId), invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) }, resolveLimits({}));
    return session;
  };
  const open = (): HostQueryBatch<HostKV> => table.openStateByRange('k', 'l').result as HostQueryBatch<HostKV>;

  it("answers a kept id with 'query iterator not found', on next() and close(), and leaves the running transaction's iterator alone", () => {
    begin('tx1');
    const kept = open();
    expect(kept.hasMore).toBe(true);
    begin('tx2');
    const own = open();
    expect(own.id).not.toBe(kept.id);
    const foreign = `query iterator not found: iterator ${JSON.stringify(kept.id)} was not opened by this transaction (an iterator can be read only in the transaction that opened it)`;
    expect(table.queryStateNext(kept.id)).toEqual({ error: foreign });
    expect(table.queryStateClose(kept.id)).toEqual({ error: foreign });
    // The running transaction's iterator was neither read nor closed by those calls.
    const next = table.queryStateNext(own.id).result as HostQueryBatch<HostKV>;
    expect([next.results[0][0], next.results.length, next.hasMore]).toEqual(['k100', 100, true]);
    // Its own ids keep Fabric's answers: closing twice is quiet, reading a closed one is not found.
    expect(table.queryStateClose(own.id)).toEqual({ result: undefined });
    expect(table.queryStateClose(own.id)).toEqual({ result: undefined });
    expect(table.queryStateNext(own.id)).toEqual({ error: 'query iterator not found' });
  });

  it('hands out the same ids for the same transaction on every peer, and different ids on another channel', () => {
    begin('tx9');
    const a = open().id;
    begin('tx9');
    expect(open().id).toBe(a);
    expect(a).toBe(`${transactionScope('ch', 'tx9')}1`);
    expect(transactionScope('ch', 'tx9')).toMatch(/^[0-9a-f]{16}\.$/);
    expect(transactionScope('other', 'tx9')).not.toBe(transactionScope('ch', 'tx9'));
    // The separator keeps (channel, txId) pairs apart that concatenate alike.
    expect(transactionScope('ch', 'atx')).not.toBe(transactionScope('cha', 'tx'));
  });
});

describe('a query iterator whose ledger read fails', () => {
  it('is closed, so it does not count against the open iterators the transaction may hold', () => {
    const q = new OpenQueries(100_000, undefined, 1);
    const failing = (after: number): Iterable<number> => ({
      *[Symbol.iterator]() {
        for (let i = 0; i < after; i++) yield i;
        throw new Error('history read failed: disk I/O error');
      },
    });
    expect(() => q.start(() => failing(0), (i) => i)).toThrow('history read failed: disk I/O error');
    const second = q.start(() => failing(150), (i) => i);
    expect(second.hasMore).toBe(true);
    expect(() => q.next(second.id)).toThrow('history read failed: disk I/O error');
    expect(() => q.next(second.id)).toThrow(/^query iterator not found$/);
    expect(q.start(() => [1, 2, 3], (i) => i)).toMatchObject({ results: [1, 2, 3], hasMore: false });
  });
});
