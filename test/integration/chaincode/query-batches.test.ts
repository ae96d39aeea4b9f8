import * as path from 'node:path';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import type { ChaincodeResult } from '../../../core/chaincode/chaincode-runtime';
import { QUERY_BATCH_SIZE } from '../../../core/chaincode/host-queries';
import { packageChaincode } from '../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { ledgerWorld, type LedgerWorld } from '../../../cli/testing/ledger-world';
import { creator } from '../../unit/core/chaincode/fixtures';

const key = (i: number): string => `k${String(i).padStart(3, '0')}`;

/**
 * Query iterators through the real sandbox and a real SQLite ledger: the chaincode pulls results
 * in Fabric's batches of 100, and the read set records what a Fabric peer's handler would have
 * pulled for the same calls, so endorsements from Weft and Fabric peers agree byte for byte.
 */
describe('query iterators in Fabric batches', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  let world: LedgerWorld;
  let packageId = '';
  let n = 0;

  function run(args: string[], commit = false): { result: Record<string, unknown>; kv: KVRWSet | undefined } {
    const { result, kv } = attempt(args, commit);
    expect(result.status).toBe(200);
    return { result: JSON.parse(Buffer.from(result.payload).toString()) as Record<string, unknown>, kv };
  }

  function attempt(args: string[], commit = false): { result: ChaincodeResult['response']; kv: KVRWSet | undefined } {
    const txId = `q${++n}`;
    const simulator = world.simulator(txId);
    const r: ChaincodeResult = rt.invokeSync(
      packageId,
      { chaincodeName: 'queries', channelId: 'mychannel', txId, args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' },
      { simulator, invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }) },
    );
    const rwset = simulator.getTxSimulationResults();
    simulator.done();
    if (commit && r.response.status === 200) world.commit(simulator, rwset, txId);
    const ns = TxReadWriteSet.deserializeBinary(rwset).getNsRwsetList()[0];
    return { result: r.response, kv: ns && KVRWSet.deserializeBinary(ns.getRwset_asU8()) };
  }

  const ranges = (kv: KVRWSet | undefined): unknown[] =>
    (kv?.getRangeQueriesInfoList() ?? []).map((r) => ({
      start: r.getStartKey(),
      end: r.getEndKey(),
      exhausted: r.getItrExhausted(),
      raw: r.getRawReads()?.getKvReadsList().length,
      merkle: r.getReadsMerkleHashes()?.getMaxLevelHashesList().length,
    }));

  beforeAll(async () => {
    world = ledgerWorld();
    packageId = (await rt.install((await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'queries'), label: 'queries' })).packageBytes)).packageId;
    run(['seed', '250'], true);
    for (let i = 0; i < 105; i++) run(['put', 'h', `v${i}`], true);
  });
  afterAll(async () => {
    world.close();
    await rt.close();
  });

  it('records a range read partly as the results pulled in whole batches, plus the one pulled ahead', () => {
    expect(QUERY_BATCH_SIZE).toBe(100);
    const ten = run(['range', 'k', 'l', '10']);
    expect(ten.result).toEqual({ count: 10, first: 'k000', last: key(9), doneAfterClose: true });
    // The first batch holds 100 results and pulls the 101st: 101 reads, 51 + 50 → two leaves.
    expect(ranges(ten.kv)).toEqual([{ start: 'k', end: key(100), exhausted: false, raw: undefined, merkle: 2 }]);
    const hundred = run(['range', 'k', 'l', '100']);
    expect(ranges(hundred.kv)).toEqual(ranges(ten.kv));
    const past = run(['range', 'k', 'l', '150']);
    expect(past.result).toMatchObject({ count: 150, last: key(149) });
    expect(ranges(past.kv)).toEqual([{ start: 'k', end: key(200), exhausted: false, raw: undefined, merkle: 4 }]);
  });

  it('records a range read to its end as exhausted at the requested end key', () => {
    const all = run(['range', 'k', 'l', '1000']);
    expect(all.result).toMatchObject({ count: 250, last: key(249) });
    expect(ranges(all.kv)).toEqual([{ start: 'k', end: 'l', exhausted: true, raw: undefined, merkle: 5 }]);
    // A short range comes whole in the first batch, even if the chaincode stops after one result.
    const short = run(['range', key(10), key(40), '1']);
    expect(ranges(short.kv)).toEqual([{ start: key(10), end: key(40), exhausted: true, raw: 30, merkle: undefined }]);
    const forAwait = run(['forAwait', 'k', 'l', '120']);
    expect(forAwait.result).toEqual({ count: 120, last: key(119) });
    expect(ranges(forAwait.kv)).toEqual([{ start: 'k', end: key(200), exhausted: false, raw: undefined, merkle: 4 }]);
  });

  it('records the rich query results pulled as plain reads, batch by batch', () => {
    const r = run(['rich', '10']);
    expect(r.result).toMatchObject({ count: 10, last: key(9) });
    expect(r.kv!.getReadsList().map((x) => x.getKey())).toEqual(Array.from({ length: 101 }, (_, i) => key(i)));
    expect(run(['rich', '1000']).kv!.getReadsList()).toHaveLength(250);
  });

  it("takes a page size as the shim's int32 field does: a numeric string is its number", () => {
    expect(run(['pagedRange', key(0), key(9), '3', '']).result).toEqual({ count: 3, first: key(0), last: key(2), metadata: { fetchedRecordsCount: 3, bookmark: key(3) } });
    expect(run(['pagedRange', key(0), key(9), ' 2 ', key(3)]).result).toEqual({ count: 2, first: key(3), last: key(4), metadata: { fetchedRecordsCount: 2, bookmark: key(5) } });
    expect(run(['pagedRich', '2', '']).result).toMatchObject({ count: 2, first: key(0), last: key(1), metadata: { fetchedRecordsCount: 2 } });
    run(['put', '\u0000pair\u0000a\u00001\u0000', 'x'], true);
    run(['put', '\u0000pair\u0000a\u00002\u0000', 'y'], true);
    expect(run(['pagedComposite', '1']).result).toMatchObject({ count: 1, first: '\u0000pair\u0000a\u00001\u0000', metadata: { fetchedRecordsCount: 1 } });
    expect(attempt(['pagedRange', key(0), key(9), '2.5', '']).result).toMatchObject({ status: 500, message: 'pageSize must be an integer in [0, 100000], got "2.5"' });
    expect(attempt(['pagedRange', key(0), key(9), 'ten', '']).result.message).toBe('pageSize must be an integer in [0, 100000], got "ten"');
  });

  it('runs a page size of 0 with no bookmark unpaginated, as a Fabric peer does: every result, no metadata, writes allowed', () => {
    expect(run(['pagedRange', 'k', 'l', '0', '']).result).toEqual({ count: 250, first: key(0), last: key(249), metadata: 'none' });
    expect(run(['pagedRich', '0', '']).result).toMatchObject({ count: 250, metadata: 'none' });
    const { kv } = run(['pagedThenPut', '0']);
    expect(kv!.getWritesList().map((w) => w.getKey())).toEqual(['after']);
    expect(attempt(['pagedThenPut', '1']).result.message).toBe('Transaction has already performed a paginated query. Writes are not allowed');
  });

  it('pages history across batches, newest first', () => {
    // Transactions q2 … q106 wrote h; the newest comes first, the oldest last.
    expect(run(['history', 'h', '1000']).result).toEqual({ count: 105, first: 'q106', last: 'q2', doneAfterClose: true });
    expect(run(['history', 'h', '104']).result).toMatchObject({ count: 104, last: 'q3' });
  });
});
