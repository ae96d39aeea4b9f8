import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeMeter, ChaincodeResponse, RuntimeSupport, ShimRequestType } from '../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../core/chaincode/packager';
import { PRIVATE_PAGINATION_METHODS } from '../../../core/chaincode/sandbox/paged-query';
import type { Ledger } from '../../../core/ledger/ledger';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import type { TxSimulator } from '../../../core/ledger/tx-simulator';
import { definitionOf } from '../../../core/peer/lifecycle/lifecycle-state';
import { CollectionCheckedSimulator } from '../../../core/peer/privdata/collection-access';
import { ChaincodeHarness } from '../../../cli/testing';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { collectionPackage } from '../../support/lifecycle-collections';
import { creator } from '../../unit/core/chaincode/fixtures';

const CHANNEL = 'mychannel';
const CC = 'pp';
const COLL = 'assets';
const FIXTURE = path.join(__dirname, 'fixtures', 'pvt-paging');

/** What the fixture answers for a query call: the response's own keys, its rows and its metadata. */
interface Answer {
  readonly keys: string[];
  readonly results: [string, string][];
  readonly metadata?: { fetchedRecordsCount: number; bookmark: string };
}

interface Call {
  readonly simulator?: (sim: TxSimulator) => TxSimulator;
  readonly commit?: boolean;
  readonly metrics?: ChaincodeMeter;
}

const name = (i: number): string => `asset${String(i).padStart(2, '0')}`;
const range = (from: number, to: number, step = 1): number[] => Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);
const ownerKey = (owner: string, i: number): string => `\u0000owner~name\u0000${owner}\u0000${name(i)}\u0000`;

/** A peer's checks with `assets` member-only-read and the creator outside it (Org2 asking, Org1 the only member). */
function nonMember(sim: TxSimulator): TxSimulator {
  const args = new CommitChaincodeDefinitionArgs();
  args.setName(CC);
  args.setVersion('1.0');
  args.setSequence(1);
  args.setCollections(collectionPackage({ name: COLL, policy: "OR('Org1MSP.member')", memberOnlyRead: true }));
  const definition = definitionOf(args);
  return new CollectionCheckedSimulator(sim, {
    channelId: CHANNEL,
    creatorMspId: 'Org2MSP',
    isMember: () => false,
    definition: (cc) => (cc === CC ? definition : undefined),
    purgeEnabled: true,
  });
}

/**
 * Weft's paginated private data queries (Fabric has none: hyperledger/fabric#4197), through the
 * real isolated-vm sandbox onto a real SQLite ledger holding 25 private assets.
 */
describe('paginated private data queries from chaincode', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  const chain = new TestChain();
  let dir: string;
  let manager: LedgerManagerImpl;
  let ledger: Ledger;
  let packageId = '';
  let n = 0;

  function invoke(fn: string, arg: unknown, call: Call = {}): ChaincodeResponse {
    const txId = `pp${++n}`;
    const ledgerSim = ledger.newTxSimulator(txId);
    const support: RuntimeSupport = {
      simulator: call.simulator ? call.simulator(ledgerSim) : ledgerSim,
      invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }),
      ...(call.metrics ? { metrics: call.metrics } : {}),
    };
    const { response } = rt.invokeSync(
      packageId,
      {
        chaincodeName: CC,
        channelId: CHANNEL,
        txId,
        args: [fn, JSON.stringify(arg)].map((a) => Buffer.from(a)),
        creator: creator('user1'),
        timestamp: { seconds: 1_700_000_000 + n, nanos: 0 },
        mspId: 'Org1MSP',
      },
      support,
    );
    const rwset = ledgerSim.getTxSimulationResults();
    const pvt = ledgerSim.getPrivateSimulationResults();
    ledgerSim.done();
    if (call.commit === true && response.status === 200) {
      const block = chain.block([buildRwSetEnvelope({ txId, rwset, channelId: CHANNEL })]);
      expect(ledger.commit(block, undefined, pvt === undefined ? undefined : new Map([[0, pvt]])).validationCodes).toEqual([0]);
    }
    return response;
  }

  function ok<T>(fn: string, arg: unknown, call: Call = {}): T {
    const r = invoke(fn, arg, call);
    if (r.status !== 200) throw new Error(`transaction failed with ${r.status}: ${r.message}`);
    return JSON.parse(Buffer.from(r.payload).toString()) as T;
  }

  function failure(calls: unknown[][], call: Call = {}): string {
    const r = invoke('run', calls, call);
    expect(r.status).toBe(500);
    return r.message;
  }

  const keysOf = (pages: Answer[]): string[][] => pages.map((p) => p.results.map(([k]) => k));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pvt-paging-'));
    manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
    ledger = manager.create(CHANNEL);
    packageId = (await rt.install((await packageChaincode({ projectDir: FIXTURE, label: 'pp_1' })).packageBytes)).packageId;
    expect(ok('seed', [COLL, 25], { commit: true })).toBe(25);
  }, 60_000);
  afterAll(async () => {
    await rt.close();
    manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pages through a private range 10, 10, 5, each bookmark the next page’s first key and the last one empty', () => {
    const pages = ok<Answer[]>('allPages', ['getPrivateDataByRangeWithPagination', COLL, '', '', 10]);
    expect(keysOf(pages)).toEqual([range(0, 10).map(name), range(10, 20).map(name), range(20, 25).map(name)]);
    expect(pages.map((p) => p.metadata)).toEqual([
      { fetchedRecordsCount: 10, bookmark: name(10) },
      { fetchedRecordsCount: 10, bookmark: name(20) },
      { fetchedRecordsCount: 5, bookmark: '' },
    ]);
    expect(pages[0].keys).toEqual(['iterator', 'metadata']);
    expect(pages[0].results[3]).toEqual([name(3), JSON.stringify({ owner: 'bob', size: 3 })]);
    // Within bounds; the bookmark, not the start key, starts a later page (Fabric's public range on LevelDB).
    const bounded = ok<Answer[]>('allPages', ['getPrivateDataByRangeWithPagination', COLL, name(5), name(15), 4]);
    expect(keysOf(bounded)).toEqual([range(5, 9).map(name), range(9, 13).map(name), [name(13), name(14)]]);
  });

  it('pages through a partial composite key, the bookmark being the next composite key', () => {
    const pages = ok<Answer[]>('allPages', ['getPrivateDataByPartialCompositeKeyWithPagination', COLL, 'owner~name', ['alice'], 5]);
    const alice = range(0, 25, 2);
    expect(keysOf(pages)).toEqual([alice.slice(0, 5), alice.slice(5, 10), alice.slice(10)].map((is) => is.map((i) => ownerKey('alice', i))));
    expect(pages.map((p) => p.metadata)).toEqual([
      { fetchedRecordsCount: 5, bookmark: ownerKey('alice', 10) },
      { fetchedRecordsCount: 5, bookmark: ownerKey('alice', 20) },
      { fetchedRecordsCount: 3, bookmark: '' },
    ]);
  });

  it('pages through a private rich query with the public rich query’s bookmarks, sorted or not', () => {
    const bob = ok<Answer[]>('allPages', ['getPrivateDataQueryResultWithPagination', COLL, JSON.stringify({ selector: { owner: 'bob' } }), 5]);
    expect(keysOf(bob)).toEqual([range(1, 10, 2), range(11, 20, 2), [21, 23]].map((is) => is.map(name)));
    expect(bob.map((p) => p.metadata?.fetchedRecordsCount)).toEqual([5, 5, 2]);
    expect(bob[0].metadata?.bookmark).not.toBe('');
    expect(bob[2].metadata?.bookmark).toBe('');

    const bySize = JSON.stringify({ selector: { size: { $gte: 0 } }, sort: [{ size: 'desc' }] });
    const sorted = ok<Answer[]>('allPages', ['getPrivateDataQueryResultWithPagination', COLL, bySize, 10]);
    expect(keysOf(sorted)).toEqual([range(15, 25), range(5, 15), range(0, 5)].map((is) => is.reverse().map(name)));
    // A bookmark from one call continues in another transaction, as a client paging a UI does.
    const [second] = ok<Answer[]>('run', [['getPrivateDataQueryResultWithPagination', COLL, bySize, 10, sorted[0].metadata?.bookmark]]);
    expect(second).toEqual(sorted[1]);
  });

  it('answers every result without metadata for page size 0 and no bookmark, as the public twins, and reads with for await', () => {
    const [all] = ok<Answer[]>('run', [['getPrivateDataByRangeWithPagination', COLL, '', '', 0]]);
    expect(all.keys).toEqual(['iterator']);
    expect(all.results).toHaveLength(25);
    expect(ok<string[]>('forAwait', ['getPrivateDataByRangeWithPagination', COLL, name(20), '', 3])).toEqual([name(20), name(21), name(22)]);
  });

  it('refuses a client outside a member-only-read collection, and an unknown collection, as the calls without pagination do', () => {
    const denied = failure([['getPrivateDataByRange', COLL, '', '']], { simulator: nonMember });
    expect(denied).toBe(`tx creator does not have read access permission on privatedata in chaincodeName:${CC} collectionName: ${COLL}`);
    expect(failure([['getPrivateDataByRangeWithPagination', COLL, '', '', 10]], { simulator: nonMember })).toBe(denied);
    expect(failure([['getPrivateDataByPartialCompositeKeyWithPagination', COLL, 'owner~name', [], 10]], { simulator: nonMember })).toBe(denied);
    expect(failure([['getPrivateDataQueryResultWithPagination', COLL, '{"selector":{}}', 10]], { simulator: nonMember })).toBe(denied);

    const unknown = failure([['getPrivateDataQueryResult', 'nope', '{"selector":{}}']], { simulator: nonMember });
    expect(unknown).toBe(`collection nope is not defined for chaincode ${CC} on channel ${CHANNEL}`);
    expect(failure([['getPrivateDataQueryResultWithPagination', 'nope', '{"selector":{}}', 10]], { simulator: nonMember })).toBe(unknown);
    expect(failure([['getPrivateDataByRangeWithPagination', 'nope', '', '', 10]], { simulator: nonMember })).toBe(unknown);
  });

  it('fails the simulation on a write after a paginated private query, and on the query after a write, with Fabric’s messages', () => {
    const after = 'Transaction has already performed queries on pvt data. Writes are not allowed';
    expect(failure([['getPrivateDataByRangeWithPagination', COLL, '', '', 10], ['putPrivateData', COLL, 'x', 'y']])).toBe(after);
    expect(failure([['getPrivateDataQueryResultWithPagination', COLL, '{"selector":{}}', 10], ['putState', 'x', 'y']])).toBe(after);
    const before = 'Queries on pvt data is supported only in a read-only transaction';
    expect(failure([['putState', 'x', 'y'], ['getPrivateDataByRangeWithPagination', COLL, '', '', 10]])).toBe(before);
    expect(failure([['putPrivateData', COLL, 'x', 'y'], ['getPrivateDataByPartialCompositeKeyWithPagination', COLL, 'owner~name', [], 10]])).toBe(before);
    expect(failure([['putPrivateData', COLL, 'x', 'y'], ['getPrivateDataQueryResultWithPagination', COLL, '{"selector":{}}', 10]])).toBe(before);
  });

  it.each([
    [['getPrivateDataByRangeWithPagination', COLL, '', ''], 'getPrivateDataByRangeWithPagination requires four or five arguments, collection, startKey, endKey, pageSize and an optional bookmark'],
    [['getPrivateDataQueryResultWithPagination', COLL, '{}', 1, '', 'x'], 'getPrivateDataQueryResultWithPagination requires three or four arguments, collection, query, pageSize and an optional bookmark'],
    [['getPrivateDataByRangeWithPagination', '', '', '', 10], 'collection must be a valid string'],
    [['getPrivateDataByPartialCompositeKeyWithPagination', COLL, '', [], 10], 'object type or attribute not a non-zero length string'],
    [['getPrivateDataByRangeWithPagination', COLL, '\u0000a', '', 10], 'first character of the key [\u0000a] contains a null character which is not allowed'],
    [['getPrivateDataByRangeWithPagination', COLL, '', '', -1], 'pageSize must be an integer in [0, 100000], got -1'],
    [['getPrivateDataQueryResultWithPagination', COLL, '{"selector":{}}', 2, 'not a bookmark!'], 'bookmark "not a bookmark!" was not produced by this ledger for this query'],
  ])('refuses bad arguments: %j', (call, message) => {
    expect(failure([call])).toContain(message);
  });

  it('lists the three methods as the stub’s additions to fabric-shim’s', () => {
    expect(ok<string[]>('methods', null)).toEqual(expect.arrayContaining([...PRIVATE_PAGINATION_METHODS]));
    expect(PRIVATE_PAGINATION_METHODS).toHaveLength(3);
  });

  it('counts the calls as fabric-shim’s GET_STATE_BY_RANGE and GET_QUERY_RESULT requests', () => {
    const seen: ShimRequestType[] = [];
    const metrics: ChaincodeMeter = {
      shimRequest: (type) => ({ received: () => seen.push(type), completed: () => undefined }),
      executeTimeout: () => undefined,
    };
    ok('run', [['getPrivateDataByRangeWithPagination', COLL, '', '', 2], ['getPrivateDataByPartialCompositeKeyWithPagination', COLL, 'owner~name', [], 2], ['getPrivateDataQueryResultWithPagination', COLL, '{"selector":{}}', 2]], { metrics });
    expect(seen).toEqual(['GET_STATE_BY_RANGE', 'GET_STATE_BY_RANGE', 'GET_QUERY_RESULT']);
  });

  it('runs in ChaincodeHarness, the harness `weft new chaincode` projects test with', async () => {
    const cc = await ChaincodeHarness.start(FIXTURE, { name: CC });
    try {
      await cc.submit('seed', JSON.stringify([COLL, 12]));
      const pages = JSON.parse((await cc.evaluate('allPages', JSON.stringify(['getPrivateDataByRangeWithPagination', COLL, '', '', 5]))).text) as Answer[];
      expect(keysOf(pages)).toEqual([range(0, 5), range(5, 10), [10, 11]].map((is) => is.map(name)));
      expect(pages[2].metadata).toEqual({ fetchedRecordsCount: 2, bookmark: '' });
    } finally {
      await cc.close();
    }
  }, 60_000);
});
