import { TxValidationCode as V } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { makeFixture, utf8, type Fixture } from '../../../../core/ledger/conformance-fixture';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

/**
 * The peer warns of each invalid transaction with a reason; for a read conflict the operator needs
 * the key (a hot key), not only the code's general meaning. The ledger's commit result says, for
 * each transaction MVCC invalidated, which key or range and what changed it.
 */
describe('MVCC conflict reasons in the commit result', () => {
  let f: Fixture;
  beforeEach(() => {
    f = makeFixture((dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));
    f.commit([f.tx('seed', (s) => (s.setState('assets', 'hot', utf8('1')), s.setState('assets', 'b', utf8('2'))))]);
  });
  afterEach(() => f.close());

  const commit = (envelopes: Uint8Array[]) => f.ledger.commit(f.chain.block(envelopes));

  it('names the key written earlier in the same block, and by which transaction', () => {
    const first = f.tx('t1', (s) => (s.getState('assets', 'hot'), s.setState('assets', 'hot', utf8('t1'))));
    const second = f.tx('t2', (s) => (s.getState('assets', 'hot'), s.setState('assets', 'hot', utf8('t2'))));
    const result = commit([first, second]);
    expect(result.validationCodes).toEqual([V.VALID, V.MVCC_READ_CONFLICT]);
    expect([...(result.conflicts ?? new Map<number, string>())]).toEqual([[1, 'key "hot" of namespace assets was written by transaction 0 earlier in this block']]);
  });

  it('names a key changed by an earlier block with the version read and the version now, or that it is gone', () => {
    const stale = f.tx('t3', (s) => (s.getState('assets', 'hot'), s.setState('assets', 'x', utf8('x'))));
    const readDeleted = f.tx('t4', (s) => (s.getState('assets', 'b'), s.setState('assets', 'y', utf8('y'))));
    const readAbsent = f.tx('t5', (s) => (s.getState('assets', 'new\u0000key'), s.setState('assets', 'z', utf8('z'))));
    commit([f.tx('w', (s) => (s.setState('assets', 'hot', utf8('w')), s.deleteState('assets', 'b'), s.setState('assets', 'new\u0000key', utf8('n'))))]);
    const result = commit([stale, readDeleted, readAbsent]);
    expect(result.validationCodes).toEqual([V.MVCC_READ_CONFLICT, V.MVCC_READ_CONFLICT, V.MVCC_READ_CONFLICT]);
    expect(result.conflicts?.get(0)).toBe('key "hot" of namespace assets changed since it was read: it was at version 0:0 then, at version 1:0 now');
    expect(result.conflicts?.get(1)).toBe('key "b" of namespace assets changed since it was read: it was at version 0:0 then, absent now');
    expect(result.conflicts?.get(2)).toBe('key "new\\u0000key" of namespace assets changed since it was read: it was absent then, at version 1:0 now');
  });

  it('names the range of a phantom read and the collection of a changed private read, never the private key', () => {
    const scan = f.tx('s1', (s) => ([...s.getStateRange('assets', 'a', 'c')].forEach(() => undefined), s.setState('assets', 'o1', utf8('1'))));
    const privateRead = f.tx('p1', (s) => (s.getPrivateDataHash('assets', 'secrets', 'salary-of-alice'), s.setState('assets', 'o2', utf8('1'))));
    commit([f.tx('ins', (s) => (s.setState('assets', 'aa', utf8('new')), s.setPrivateData('assets', 'secrets', 'salary-of-alice', utf8('1000'))))]);
    const result = commit([scan, privateRead]);
    expect(result.validationCodes).toEqual([V.PHANTOM_READ_CONFLICT, V.MVCC_READ_CONFLICT]);
    expect(result.conflicts?.get(0)).toBe('range query ["a", "c") of namespace assets gives another result than when it ran: a key in it was added, updated or deleted');
    expect(result.conflicts?.get(1)).toMatch(/^a private key of collection secrets of namespace assets \(key hash [0-9a-f]{16}…\) changed since it was read$/);
    expect(result.conflicts?.get(1)).not.toContain('alice');
  });

  it('gives no reason for valid transactions, nor for codes set before MVCC', () => {
    const ok = f.tx('ok', (s) => s.setState('assets', 'k', utf8('v')));
    const markedByPolicy = f.tx('bad', (s) => (s.getState('assets', 'hot'), s.setState('assets', 'hot', utf8('v'))));
    const result = f.ledger.commit(f.chain.block([ok, markedByPolicy]), [V.VALID, V.ENDORSEMENT_POLICY_FAILURE]);
    expect(result.validationCodes).toEqual([V.VALID, V.ENDORSEMENT_POLICY_FAILURE]);
    expect(result.conflicts?.size).toBe(0);
  });
});
