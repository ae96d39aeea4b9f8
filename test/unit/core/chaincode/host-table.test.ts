import { resolveLimits, type ChaincodeInvocation, type ChaincodeMeter } from '../../../../core/chaincode/chaincode-runtime';
import { BINARY_STRING_MAX_BYTES, type HostKV } from '../../../../core/chaincode/host-api';
import { createHostTable, parseX509, SHIM_REQUEST_TYPES, toSandboxInvocation } from '../../../../core/chaincode/host-table';
import { HostSession } from '../../../../core/chaincode/host-session';
import { MemoryWorld, type MemorySimulator } from './memory-simulator';
import { creator, pem } from './fixtures';

const invocation: ChaincodeInvocation = {
  chaincodeName: 'cc',
  channelId: 'ch',
  txId: 'tx1',
  args: [Buffer.from('fn')],
  creator: creator('user1'),
  timestamp: { seconds: 10, nanos: 20 },
  mspId: 'Org1MSP',
  binding: Buffer.from([1, 2]),
};

describe('host table', () => {
  let world: MemoryWorld;
  let sim: MemorySimulator;
  let session: HostSession | undefined;
  const table = createHostTable(() => session);

  beforeEach(() => {
    world = new MemoryWorld();
    world.state.set('cc\u0000\u0000k', Buffer.from('v'));
    sim = world.simulator();
    session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 200, message: '', payload: Buffer.from('p') }) }, resolveLimits({ maxValueBytes: 8, maxKeyBytes: 4 }));
  });

  test('refuses calls outside a transaction', () => {
    session = undefined;
    expect(table.getState('k')).toEqual({ error: 'getState: no transaction is in progress' });
  });

  test('reads and writes go to the namespace of the invoked chaincode; an empty value is a delete', () => {
    expect(table.getState('k')).toEqual({ result: 'v' });
    expect(table.putState('a', Buffer.from('1'))).toEqual({ result: undefined });
    expect(table.putState('b', new Uint8Array(0))).toEqual({ result: undefined });
    expect([...sim.writes.entries()]).toEqual([
      ['cc\u0000\u0000a', Buffer.from('1')],
      ['cc\u0000\u0000b', undefined],
    ]);
  });

  test('checks argument types and sizes before touching the ledger', () => {
    expect(table.getState(7 as unknown as string)).toEqual({ error: 'key must be a string, got number' });
    expect(table.putState('', Buffer.from('x'))).toEqual({ error: 'key must not be an empty string' });
    expect(table.putState('toolong', Buffer.from('x'))).toEqual({ error: 'key is 7 bytes, over the limit of 4 bytes' });
    expect(table.putState('a', Buffer.from('123456789'))).toEqual({ error: 'value for key "a" is 9 bytes, over the limit of 8 bytes' });
    expect(table.putState('a', 'str' as unknown as Uint8Array)).toEqual({ error: 'value for key "a" must be bytes, got string' });
    expect(table.getStateByRangeWithPagination('a', 'b', -1, '')).toEqual({ error: 'pageSize must be an integer in [0, 100000], got -1' });
    expect(table.getQueryResultWithPagination('{}', 'two' as unknown as number, '')).toEqual({ error: 'pageSize must be an integer in [0, 100000], got "two"' });
    expect(table.hash('whirlpool', Buffer.from('x')).error).toMatch(/^Digest method not supported: whirlpool/);
    expect(sim.writes.size).toBe(0);
  });

  test('a page size of 0 with a bookmark is a page without a size limit: the query limit caps it', () => {
    session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 200, message: '', payload: Buffer.from('p') }) }, resolveLimits({ totalQueryLimit: 3 }));
    for (const k of ['a', 'b', 'c', 'd', 'e']) world.state.set(`cc\u0000\u0000${k}`, Buffer.from(k));
    const page = table.getStateByRangeWithPagination('a', 'z', 0, 'b').result!;
    expect(page.results.map(([k]) => k)).toEqual(['b', 'c', 'd']);
    expect([page.fetchedRecordsCount, page.bookmark]).toEqual([3, 'e']);
  });

  test('paginated queries only in read-only transactions, and no writes after them', () => {
    expect(table.getStateByRangeWithPagination('', '', 10, '').result?.results).toEqual([['k', Buffer.from('v')]]);
    expect(table.putState('a', Buffer.from('1'))).toEqual({ error: 'Transaction has already performed a paginated query. Writes are not allowed' });
  });

  test('queries: whole results for ABI 2 bundles, batches with next/close for ABI 3', () => {
    for (let i = 0; i < 150; i++) world.state.set(`cc\u0000\u0000r${String(i).padStart(3, '0')}`, Buffer.from(`${i}`));
    expect(table.getStateByRange('r', 's').result).toHaveLength(150);
    const first = table.openStateByRange('r', 's').result!;
    expect([first.results.length, first.results[0], first.hasMore]).toEqual([100, ['r000', Buffer.from('0')], true]);
    const second = table.queryStateNext(first.id).result!;
    expect([second.results.length, (second.results[49] as HostKV)[0], second.hasMore]).toEqual([50, 'r149', false]);
    expect(table.queryStateNext(first.id)).toEqual({ error: 'query iterator not found' });
    const other = table.openStateByRange('r', 's').result!;
    expect(table.queryStateClose(other.id)).toEqual({ result: undefined });
    expect(table.queryStateNext(other.id)).toEqual({ error: 'query iterator not found' });
    expect(table.queryStateNext(7 as unknown as string)).toEqual({ error: 'id must be a string, got number' });
  });

  test('complete accepts one outcome per transaction', () => {
    expect(table.complete({ status: 200, message: '', payload: new Uint8Array(0) })).toEqual({ result: undefined });
    expect(table.complete({ status: 200, message: '', payload: new Uint8Array(0) })).toEqual({ error: 'transaction already completed' });
    expect(session?.outcome?.status).toBe(200);
  });

  test('complete turns a status that is not an int32 into a 500 naming it, whatever the sandbox sends', () => {
    for (const [status, shown] of [[2 ** 31, '2147483648'], [-(2 ** 31) - 1, '-2147483649'], [NaN, 'NaN'], [0.5, '0.5']] as const) {
      session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }) }, resolveLimits({}));
      expect(table.complete({ status, message: '', payload: Buffer.from('dropped') })).toEqual({ result: undefined });
      expect(session.outcome).toEqual({ status: 500, message: `chaincode returned status ${shown}, which is not a 32-bit integer`, payload: new Uint8Array(0) });
    }
    session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }) }, resolveLimits({}));
    table.complete({ status: -(2 ** 31), message: 'lowest', payload: new Uint8Array(0) });
    expect(session.outcome).toMatchObject({ status: -(2 ** 31), message: 'lowest' });
  });

  test('complete refuses an event over the value limit even if the sandbox let it through', () => {
    // The session's limits allow 8-byte values.
    expect(table.complete({ status: 200, message: '', payload: new Uint8Array(0), event: { eventName: 'e', payload: new Uint8Array(9) } })).toEqual({ result: undefined });
    expect(session?.outcome).toEqual({ status: 500, message: 'event payload of 9 bytes exceeds the limit of 8 bytes', payload: new Uint8Array(0) });
  });

  test('x509: Fabric DN strings, the CA attribute extension, and the shim\'s error for non-PEM input', () => {
    const c = parseX509(pem('user1'));
    expect(c.subjectDN).toBe('/C=US/ST=North Carolina/O=Hyperledger/OU=client/CN=user1');
    expect(c.issuerDN).toBe('/C=US/ST=North Carolina/L=Durham/O=org1.example.com/CN=ca.org1.example.com');
    expect(JSON.parse(c.fabricAttrs as string)).toEqual({ attrs: { 'hf.Affiliation': '', 'hf.EnrollmentID': 'user1', 'hf.Type': 'client', role: 'minter' } });
    expect(parseX509(pem('ca')).fabricAttrs).toBeUndefined();
    expect(table.x509('junk')).toEqual({ error: 'Failed to find start line or end line of the certificate.' });
  });

  test('toSandboxInvocation decodes the creator and hex-encodes the binding', () => {
    const inv = toSandboxInvocation(invocation, resolveLimits(undefined));
    expect(inv.creatorMspId).toBe('Org1MSP');
    expect(inv.creatorIdBytes).toBe(pem('user1'));
    expect(inv.binding).toBe('0102');
    expect(toSandboxInvocation({ ...invocation, creator: Buffer.from([0xff, 0xff]) }, resolveLimits(undefined)).creatorMspId).toBe('');
  });

  test('small byte strings cross as binary strings, one char per byte; large ones as bytes', () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const large = Buffer.alloc(BINARY_STRING_MAX_BYTES + 1, 0xe9);
    const inv = toSandboxInvocation({ ...invocation, args: [every, large], transient: new Map([['t', Buffer.from([0, 0xff])]]) }, resolveLimits(undefined));
    expect(inv.args[0]).toBe(every.toString('latin1'));
    expect([...Buffer.from(inv.args[0] as string, 'latin1')]).toEqual([...every]);
    expect(inv.args[1]).toEqual(new Uint8Array(large));
    expect(inv.transient).toEqual([['t', '\u0000\u00ff']]);
    world.state.set('cc\u0000\u0000big', large);
    expect(table.getState('big').result).toEqual(new Uint8Array(large));
    expect(table.getState('none')).toEqual({ result: undefined });
  });

  test('writes count against maxTransactionBytes, key and value, a rewrite replacing what it rewrites; the response and event too', () => {
    const support = { simulator: sim, invokeChaincode: () => ({ status: 200, message: '', payload: Buffer.from('p') }) };
    session = new HostSession(invocation, support, resolveLimits({ maxValueBytes: 8, maxKeyBytes: 4, maxTransactionBytes: 24 }));
    expect(table.putState('a', Buffer.from('12345678'))).toEqual({ result: undefined });
    expect(table.setStateValidationParameter('a', Buffer.from('1234567'))).toEqual({ result: undefined });
    expect(table.putState('a', Buffer.from('87654321'))).toEqual({ result: undefined });
    expect(table.deleteState('b')).toEqual({ result: undefined });
    expect(table.putState('c', Buffer.from('12345678')).error).toBe(
      'putState of key "c" would bring what this transaction holds in the peer (its writes, query results pulled ahead, response and event) to 27 bytes, over the limit of 24 bytes (maxTransactionBytes)',
    );
    expect(sim.writes.has('cc\u0000\u0000c')).toBe(false);
    // A second invocation recording into the same simulator (a chaincode-to-chaincode callee) shares the total.
    const callee = new HostSession({ ...invocation, chaincodeName: 'other' }, support, resolveLimits({ maxTransactionBytes: 24 }));
    expect(callee.bytes.total).toBe(18);
    session = callee;
    expect(table.complete({ status: 200, message: '', payload: Buffer.from('1234567') })).toEqual({ result: undefined });
    expect(callee.outcome).toMatchObject({ status: 500, message: expect.stringMatching(/^the response payload and event would bring .* to 25 bytes, over the limit of 24 bytes/) });
  });

  test("meters each shim request under Fabric's message type, with its outcome; local helpers are not shim requests", () => {
    const events: string[] = [];
    const meter: ChaincodeMeter = {
      shimRequest: (type) => ({
        received: () => events.push(`received ${type}`),
        completed: (success, seconds) => events.push(`completed ${type} ${String(success)} ${typeof seconds === 'number' && seconds >= 0 ? 'timed' : 'untimed'}`),
      }),
      executeTimeout: () => events.push('timeout'),
    };
    session = new HostSession(invocation, { simulator: sim, invokeChaincode: () => ({ status: 200, message: '', payload: Buffer.from('p') }), metrics: meter }, resolveLimits({ maxKeyBytes: 4 }));
    table.getState('k');
    table.putState('', Buffer.from('x'));
    table.getStateByRangeWithPagination('a', 'b', 10, '');
    table.invokeChaincode('other', [Buffer.from('f')], '');
    table.hash('sha256', Buffer.from('x'));
    table.complete({ status: 200, message: '', payload: new Uint8Array(0) });
    expect(events).toEqual([
      'received GET_STATE',
      'completed GET_STATE true timed',
      'received PUT_STATE',
      'completed PUT_STATE false timed',
      'received GET_STATE_BY_RANGE',
      'completed GET_STATE_BY_RANGE true timed',
      'received INVOKE_CHAINCODE',
      'completed INVOKE_CHAINCODE true timed',
    ]);
    // Every host entry is either a Fabric shim request or one of the helpers a Fabric shim answers itself.
    const unmetered = Object.keys(table).filter((name) => !(name in SHIM_REQUEST_TYPES));
    expect(unmetered.sort()).toEqual(['complete', 'getSignedProposal', 'hash', 'log', 'x509']);
  });
});
