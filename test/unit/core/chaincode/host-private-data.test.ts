import { createHash } from 'node:crypto';
import { resolveLimits, type ChaincodeInvocation, type ChaincodeMeter, type RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import type { HostKV, HostTable } from '../../../../core/chaincode/host-api';
import { PRIVATE_DATA_SHIM_REQUEST_TYPES } from '../../../../core/chaincode/host-private-data';
import { HostSession } from '../../../../core/chaincode/host-session';
import { createHostTable } from '../../../../core/chaincode/host-table';
import type { TxSimulator } from '../../../../core/ledger/tx-simulator';
import { creator } from './fixtures';
import { MemoryWorld, type MemorySimulator } from './memory-simulator';

const invocation: ChaincodeInvocation = {
  chaincodeName: 'cc',
  channelId: 'ch',
  txId: 'tx1',
  args: [Buffer.from('fn')],
  creator: creator('user1'),
  timestamp: { seconds: 10, nanos: 20 },
  mspId: 'Org1MSP',
};

/** Where MemorySimulator keeps a collection's values, as the ledger lays them out. */
const pvtKey = (collection: string, key: string): string => `cc$$p${collection}\u0000\u0000${key}`;

describe('host table: private data entries', () => {
  let world: MemoryWorld;
  let sim: MemorySimulator;
  let session: HostSession | undefined;
  const table = createHostTable(() => session);

  function begin(support: Partial<RuntimeSupport> = {}, inv: Partial<ChaincodeInvocation> = {}): void {
    session = new HostSession({ ...invocation, ...inv }, { simulator: sim, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }), ...support }, resolveLimits({ maxValueBytes: 8, maxKeyBytes: 8 }));
  }

  beforeEach(() => {
    world = new MemoryWorld();
    world.state.set(pvtKey('coll', 'k'), Buffer.from('secret'));
    world.state.set('cc\u0000\u0000k', Buffer.from('public'));
    sim = world.simulator();
    begin();
  });

  test('reads and writes go to the invoked chaincode\'s collection; an empty value is a delete', () => {
    expect(table.getPrivateData('coll', 'k')).toEqual({ result: 'secret' });
    expect(table.getPrivateData('coll', 'none')).toEqual({ result: undefined });
    expect(table.getPrivateData('other', 'k')).toEqual({ result: undefined });
    expect(table.getPrivateDataHash('coll', 'k')).toEqual({ result: createHash('sha256').update('secret').digest().toString('latin1') });
    expect(table.putPrivateData('coll', 'a', Buffer.from('1'))).toEqual({ result: undefined });
    expect(table.putPrivateData('coll', 'b', new Uint8Array(0))).toEqual({ result: undefined });
    expect(table.deletePrivateData('coll', 'c')).toEqual({ result: undefined });
    expect(table.purgePrivateData('coll', 'd')).toEqual({ result: undefined });
    expect([...sim.writes.entries()]).toEqual([
      [pvtKey('coll', 'a'), Buffer.from('1')],
      [pvtKey('coll', 'b'), undefined],
      [pvtKey('coll', 'c'), undefined],
      [pvtKey('coll', 'd'), undefined],
    ]);
    expect(sim.purges).toEqual(['coll/d']);
  });

  test('validation parameters are the private key\'s VALIDATION_PARAMETER metadata', () => {
    expect(table.setPrivateDataValidationParameter('coll', 'k', Buffer.from('ep'))).toEqual({ result: undefined });
    expect([...sim.metaWrites.entries()]).toEqual([['cc$$hcoll\u0000\u0000k', { VALIDATION_PARAMETER: Buffer.from('ep') }]]);
    world.metadata.set('cc$$hcoll\u0000\u0000k', { VALIDATION_PARAMETER: Buffer.from('policy'), OTHER: Buffer.from('x') });
    expect(table.getPrivateDataValidationParameter('coll', 'k')).toEqual({ result: Buffer.from('policy') });
    expect(table.getPrivateDataValidationParameter('coll', 'none')).toEqual({ result: undefined });
  });

  test('private ranges and rich queries come in Fabric\'s batches, continued with queryStateNext', () => {
    for (let i = 0; i < 150; i++) world.state.set(pvtKey('coll', `r${String(i).padStart(3, '0')}`), Buffer.from(`{"n":${i}}`));
    const first = table.openPrivateDataByRange('coll', 'r', 's').result!;
    expect([first.results.length, first.results[0], first.hasMore]).toEqual([100, ['r000', Buffer.from('{"n":0}')], true]);
    const second = table.queryStateNext(first.id).result!;
    expect([second.results.length, (second.results[49] as HostKV)[0], second.hasMore]).toEqual([50, 'r149', false]);
    const query = table.openPrivateDataQueryResult('coll', '{"selector":{"n":7}}').result!;
    expect(query.results).toEqual([['r007', Buffer.from('{"n":7}')]]);
  });

  test('checks argument types and sizes before touching the simulator', () => {
    expect(table.getPrivateData(7 as unknown as string, 'k')).toEqual({ error: 'collection must be a string, got number' });
    expect(table.getPrivateDataHash('', 'k')).toEqual({ error: 'collection must not be an empty string' });
    expect(table.putPrivateData('c'.repeat(1025), 'k', Buffer.from('v'))).toEqual({ error: 'collection is 1025 bytes, over the limit of 1024 bytes' });
    expect(table.putPrivateData('coll', '', Buffer.from('v'))).toEqual({ error: 'key must not be an empty string' });
    expect(table.putPrivateData('coll', 'toolongkey', Buffer.from('v'))).toEqual({ error: 'key is 10 bytes, over the limit of 8 bytes' });
    expect(table.putPrivateData('coll', 'k', 'v' as unknown as Uint8Array)).toEqual({ error: 'value for key "k" must be bytes, got string' });
    expect(table.putPrivateData('coll', 'k', Buffer.alloc(9))).toEqual({ error: 'value for key "k" is 9 bytes, over the limit of 8 bytes' });
    expect(table.deletePrivateData('coll', null as unknown as string)).toEqual({ error: 'key must be a string, got null' });
    expect(table.setPrivateDataValidationParameter('coll', 'k', [1] as unknown as Uint8Array)).toEqual({ error: 'endorsement policy must be bytes, got object' });
    expect(table.openPrivateDataByRange('coll', 1 as unknown as string, '')).toEqual({ error: 'startKey must be a string, got number' });
    expect(table.openPrivateDataByRange('coll', '', undefined as unknown as string)).toEqual({ error: 'endKey must be a string, got undefined' });
    expect(table.openPrivateDataQueryResult('coll', {} as unknown as string)).toEqual({ error: 'query must be a string, got object' });
    expect(sim.writes.size + sim.metaWrites.size).toBe(0);
  });

  test('every private data call of an Init is refused, before its arguments are looked at', () => {
    begin({}, { isInit: true });
    const calls: [keyof HostTable, () => unknown][] = [
      ['getPrivateData', () => table.getPrivateData('coll', 'k')],
      ['getPrivateDataHash', () => table.getPrivateDataHash('coll', 'k')],
      ['putPrivateData', () => table.putPrivateData('coll', 'k', Buffer.from('v'))],
      ['deletePrivateData', () => table.deletePrivateData('coll', 'k')],
      ['purgePrivateData', () => table.purgePrivateData(7 as unknown as string, 'k')],
      ['getPrivateDataValidationParameter', () => table.getPrivateDataValidationParameter('coll', 'k')],
      ['setPrivateDataValidationParameter', () => table.setPrivateDataValidationParameter('coll', 'k', Buffer.from('ep'))],
      ['openPrivateDataByRange', () => table.openPrivateDataByRange('coll', '', '')],
      ['openPrivateDataQueryResult', () => table.openPrivateDataQueryResult('coll', '{}')],
    ];
    expect(calls.map(([name]) => name).sort()).toEqual(Object.keys(PRIVATE_DATA_SHIM_REQUEST_TYPES).sort());
    for (const [, call] of calls) expect(call()).toEqual({ error: 'private data APIs are not allowed in chaincode Init()' });
    expect(sim.reads).toEqual([]);
    expect(table.getState('k')).toEqual({ result: 'public' });
  });

  test('private writes count as writes for the paginated-query rule', () => {
    expect(table.getStateByRangeWithPagination('', '', 10, '').error).toBeUndefined();
    expect(table.putPrivateData('coll', 'a', Buffer.from('1'))).toEqual({ error: 'Transaction has already performed a paginated query. Writes are not allowed' });
    begin();
    table.purgePrivateData('coll', 'a');
    expect(table.getStateByRangeWithPagination('', '', 10, '')).toEqual({ error: 'Paginated queries are supported only in a read-only transaction' });
  });

  test('a simulator\'s error comes back as the reply\'s error, message intact', () => {
    const failing = new Proxy(sim, {
      get: (target, prop) =>
        typeof prop === 'string' && /Private/.test(prop)
          ? () => {
              throw Object.assign(new Error(`${prop}: collection coll is not defined for chaincode cc`), { code: 'LEDGER_BAD_COLLECTION' });
            }
          : (Reflect.get(target, prop) as unknown),
    }) as TxSimulator;
    begin({ simulator: failing });
    expect(table.getPrivateData('coll', 'k')).toEqual({ error: 'getPrivateData: collection coll is not defined for chaincode cc' });
    expect(table.setPrivateDataValidationParameter('coll', 'k', Buffer.from('ep'))).toEqual({ error: 'setPrivateDataMetadata: collection coll is not defined for chaincode cc' });
    expect(table.openPrivateDataQueryResult('coll', '{}')).toEqual({ error: 'executeQueryOnPrivateData: collection coll is not defined for chaincode cc' });
  });

  test('private writes, deletes, purges and validation parameters count against maxTransactionBytes; a refused write is not made', () => {
    session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) }, resolveLimits({ maxValueBytes: 8, maxKeyBytes: 8, maxTransactionBytes: 40 }));
    // Each counts the collection's name, the key and the value: 4 + 1 + 8.
    expect(table.putPrivateData('coll', 'a', Buffer.from('12345678'))).toEqual({ result: undefined });
    expect(table.setPrivateDataValidationParameter('coll', 'a', Buffer.from('12345678'))).toEqual({ result: undefined });
    // A rewrite replaces what the key held: still 26 bytes.
    expect(table.putPrivateData('coll', 'a', Buffer.from('87654321'))).toEqual({ result: undefined });
    expect(table.purgePrivateData('coll', 'p')).toEqual({ result: undefined });
    expect(table.deletePrivateData('coll', 'd')).toEqual({ result: undefined });
    expect(table.putPrivateData('coll', 'b', Buffer.from('12345678'))).toEqual({
      error: 'putPrivateData of key "b" in collection "coll" would bring what this transaction holds in the peer (its writes, query results pulled ahead, response and event) to 49 bytes, over the limit of 40 bytes (maxTransactionBytes)',
    });
    expect(sim.writes.has(pvtKey('coll', 'b'))).toBe(false);
    // Made a delete, the key counts without its value (36 - 8): room for a smaller write.
    expect(table.putPrivateData('coll', 'a', new Uint8Array(0))).toEqual({ result: undefined });
    expect(table.putPrivateData('coll', 'b', Buffer.from('1234'))).toEqual({ result: undefined });
    expect(session.bytes.total).toBe(37);
  });

  test("meters each call under the ChaincodeMessage type a fabric-shim sends for it", () => {
    const events: string[] = [];
    const metrics: ChaincodeMeter = {
      shimRequest: (type) => ({ received: () => undefined, completed: (success) => events.push(`${type} ${String(success)}`) }),
      executeTimeout: () => undefined,
    };
    begin({ metrics });
    table.getPrivateData('coll', 'k');
    table.getPrivateDataHash('coll', 'k');
    table.getPrivateDataValidationParameter('coll', 'k');
    table.openPrivateDataByRange('coll', '', '');
    table.openPrivateDataQueryResult('coll', '{"selector":{}}');
    table.putPrivateData('coll', 'k', Buffer.from('v'));
    table.deletePrivateData('coll', 'k');
    table.purgePrivateData('coll', '');
    table.setPrivateDataValidationParameter('coll', 'k', Buffer.from('ep'));
    expect(events).toEqual([
      'GET_STATE true',
      'GET_PRIVATE_DATA_HASH true',
      'GET_STATE_METADATA true',
      'GET_STATE_BY_RANGE true',
      'GET_QUERY_RESULT true',
      'PUT_STATE true',
      'DEL_STATE true',
      'PURGE_PRIVATE_DATA false',
      'PUT_STATE_METADATA true',
    ]);
  });
});
