import { resolveLimits, type ChaincodeInvocation } from '../../../../core/chaincode/chaincode-runtime';
import { createHostTable } from '../../../../core/chaincode/host-table';
import { HostSession } from '../../../../core/chaincode/host-session';
import type { KeyModification, KV } from '../../../../core/ledger/tx-simulator';
import { MemorySimulator, MemoryWorld } from './memory-simulator';
import { creator } from './fixtures';

const invocation: ChaincodeInvocation = { chaincodeName: 'cc', channelId: 'ch', txId: 'tx1', args: [Buffer.from('fn')], creator: creator('user1'), timestamp: { seconds: 10, nanos: 0 }, mspId: 'Org1MSP' };

/** The memory simulator's results handed out one at a time, counting how many the host pulled. */
class CountingSimulator extends MemorySimulator {
  pulled = 0;
  private *count<T>(items: Iterable<T>): Generator<T> {
    for (const item of items) {
      this.pulled++;
      yield item;
    }
  }
  override getStateRange(namespace: string, startKey: string, endKey: string): Iterable<KV> {
    return this.count(super.getStateRange(namespace, startKey, endKey));
  }
  override executeQuery(namespace: string, query: string): Iterable<KV> {
    return this.count(super.executeQuery(namespace, query));
  }
  override getHistoryForKey(namespace: string, key: string): Iterable<KeyModification> {
    return this.count(super.getHistoryForKey(namespace, key));
  }
}

/**
 * ABI 2 bundles get every result of a range, rich or history query in one reply, which the host
 * built in its own heap: up to `totalQueryLimit` values of up to `maxValueBytes` each. Such a reply
 * now counts against the transaction's byte limit as it is built, and stops with a clear error.
 */
describe('whole-reply queries (sandbox ABI 2) within the transaction byte limit', () => {
  const world = new MemoryWorld();
  for (let i = 10; i < 60; i++) {
    const value = Buffer.from(JSON.stringify({ n: 1, pad: 'x'.repeat(984) }));
    world.state.set(`cc\u0000\u0000r${String(i - 10).padStart(2, '0')}`, value);
    const sim = world.simulator(`w${i}`);
    sim.setState('cc', 'h', Buffer.alloc(1000, i));
    world.commit(sim);
  }
  let sim: CountingSimulator;
  let session: HostSession | undefined;
  const table = createHostTable(() => session);
  const begin = (maxTransactionBytes: number): void => {
    sim = new CountingSimulator(world, 'tx1');
    session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) }, resolveLimits({ maxTransactionBytes }));
  };
  const over = (call: string, total: number): string =>
    `the results of ${call}, which a chaincode packaged for sandbox ABI 2 receives all at once (re-package it to read them in batches), would bring what this transaction holds in the peer (its writes, query results pulled ahead, response and event) to ${total} bytes, over the limit of 10000 bytes (maxTransactionBytes)`;

  it('answers every result while they fit', () => {
    begin(100_000);
    expect(table.getStateByRange('r', 's').result).toHaveLength(50);
    expect(table.getQueryResult('{"selector":{"n":1}}').result).toHaveLength(50);
    expect(table.getHistoryForKey('h').result).toHaveLength(50);
  });

  it('refuses a reply past the limit, having pulled only what fits and one more', () => {
    begin(10_000);
    // Each result is 1003 bytes: a 3-byte key (or txid) and a 1000-byte value.
    expect(table.getStateByRange('r', 's')).toEqual({ error: over('getStateByRange', 10_030) });
    expect(sim.pulled).toBe(10);
    sim.pulled = 0;
    expect(table.getQueryResult('{"selector":{"n":1}}')).toEqual({ error: over('getQueryResult', 10_030) });
    expect(sim.pulled).toBe(10);
    sim.pulled = 0;
    expect(table.getHistoryForKey('h')).toEqual({ error: over('getHistoryForKey', 10_030) });
    expect(sim.pulled).toBe(10);
  });

  it("counts the transaction's writes, and keeps nothing of a refused reply", () => {
    begin(10_000);
    expect(table.putState('w', Buffer.alloc(5000))).toEqual({ result: undefined });
    expect(table.getStateByRange('r', 'r04').result).toHaveLength(4);
    expect(table.getStateByRange('r', 'r06').error).toBe(over('getStateByRange', 5001 + 5015));
    expect(session!.bytes.total).toBe(5001);
    expect(table.putState('w2', Buffer.alloc(4000))).toEqual({ result: undefined });
  });
});
