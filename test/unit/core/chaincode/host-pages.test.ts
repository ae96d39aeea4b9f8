/**
 * The host's paged query replies over the real SQLite ledger: a page over the transaction's byte
 * limit stops after the chunk the ledger read last, not after the ledger read the whole page, and the
 * transaction's read set still records the whole page.
 */
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { resolveLimits, type ChaincodeInvocation } from '../../../../core/chaincode/chaincode-runtime';
import { createHostTable } from '../../../../core/chaincode/host-table';
import { HostSession } from '../../../../core/chaincode/host-session';
import { makeFixture, utf8, type Fixture } from '../../../../core/ledger/conformance-fixture';
import type { TxSimulator } from '../../../../core/ledger/tx-simulator';
import { countingProvider } from '../../../support/counting-state-store';
import { creator } from './fixtures';

const COUNT = 300;
const VALUE_BYTES = 1000;
const key = (i: number): string => `k${String(i).padStart(3, '0')}`;
const QUERY = JSON.stringify({ selector: { n: { $gte: 0 } }, sort: [{ n: 'asc' }] });

const invocation: ChaincodeInvocation = {
  chaincodeName: 'cc',
  channelId: 'ch1',
  txId: 'tx1',
  args: [Buffer.from('fn')],
  creator: creator('user1'),
  timestamp: { seconds: 10, nanos: 20 },
  mspId: 'Org1MSP',
};

/** The range query infos and the number of point reads the simulator recorded. */
function recorded(sim: TxSimulator): { ranges: unknown[]; reads: number } {
  const ns = TxReadWriteSet.deserializeBinary(sim.getTxSimulationResults()).getNsRwsetList()[0];
  const kv = KVRWSet.deserializeBinary(ns.getRwset_asU8());
  return { ranges: kv.getRangeQueriesInfoList().map((i) => [i.getStartKey(), i.getEndKey(), i.getItrExhausted(), i.hasReadsMerkleHashes()]), reads: kv.getReadsList().length };
}

describe('paged query replies', () => {
  let f: Fixture;
  let fetched: number[] = [];
  let session: HostSession | undefined;
  const table = createHostTable(() => session);
  const begin = (txId: string, maxTransactionBytes: number): TxSimulator => {
    const sim = f.ledger.newTxSimulator(txId);
    session = new HostSession({ ...invocation, txId }, { simulator: sim, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) }, resolveLimits({ maxTransactionBytes }));
    fetched = [];
    return sim;
  };

  beforeAll(() => {
    f = makeFixture((dir) => countingProvider(dir, (rows) => fetched.push(rows)));
    const value = (i: number): Uint8Array => utf8(JSON.stringify({ n: i, pad: 'x'.repeat(VALUE_BYTES - 30) }));
    f.commit([f.tx('seed', (s) => Array.from({ length: COUNT }, (_, i) => s.setState('cc', key(i), value(i))))]);
  });
  afterAll(() => f.close());

  it('stops a range page over the byte limit a chunk in, and records the whole page as one copied out would', () => {
    const over = begin('over', 50 * VALUE_BYTES);
    const reply = table.getStateByRangeWithPagination('', '', COUNT - 50, '');
    expect(reply.error).toMatch(/^the page of getStateByRangeWithPagination would bring what this transaction holds in the peer .* over the limit of 50000 bytes \(maxTransactionBytes\)$/);
    // The ledger read one chunk before the host refused the page, then the rest a chunk at a time, keeping none.
    expect(fetched[0]).toBe(101);
    expect(Math.max(...fetched)).toBe(101);

    const within = begin('within', 100 * COUNT * VALUE_BYTES);
    const page = table.getStateByRangeWithPagination('', '', COUNT - 50, '').result;
    expect([page?.results.length, page?.fetchedRecordsCount, page?.bookmark]).toEqual([COUNT - 50, COUNT - 50, key(COUNT - 50)]);
    expect(Math.max(...fetched)).toBe(101);
    expect(recorded(over)).toEqual({ ranges: [['', key(COUNT - 51), false, true]], reads: 0 });
    expect(Buffer.from(over.getTxSimulationResults()).equals(Buffer.from(within.getTxSimulationResults()))).toBe(true);
  });

  it('stops a rich query page the same way, its reads recorded for the whole page', () => {
    const over = begin('rich-over', 50 * VALUE_BYTES);
    expect(table.getQueryResultWithPagination(QUERY, COUNT, '').error).toMatch(/^the page of getQueryResultWithPagination would bring/);
    expect(fetched[0]).toBe(101);
    expect(Math.max(...fetched)).toBe(101);
    const within = begin('rich-within', 100 * COUNT * VALUE_BYTES);
    const page = table.getQueryResultWithPagination(QUERY, COUNT, '').result;
    expect([page?.results.length, page?.fetchedRecordsCount, page?.bookmark]).toEqual([COUNT, COUNT, '']);
    expect(recorded(over)).toEqual({ ranges: [], reads: COUNT });
    expect(Buffer.from(over.getTxSimulationResults()).equals(Buffer.from(within.getTxSimulationResults()))).toBe(true);
  });
});
