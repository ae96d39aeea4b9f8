import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveLimits, type ChaincodeInvocation } from '../../../../core/chaincode/chaincode-runtime';
import type { HostTable } from '../../../../core/chaincode/host-api';
import { PRIVATE_PAGE_SHIM_REQUEST_TYPES } from '../../../../core/chaincode/host-private-pages';
import { HostSession } from '../../../../core/chaincode/host-session';
import { createHostTable } from '../../../../core/chaincode/host-table';
import { LedgerManagerImpl } from '../../../../core/ledger/ledger-manager-impl';
import type { TxSimulator } from '../../../../core/ledger/tx-simulator';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import { invocationOf } from './fixtures';

const invocation = invocationOf('cc', 'tx1', ['fn']);

describe('host table: paginated private data queries', () => {
  let dir: string;
  let manager: LedgerManagerImpl;
  let session: HostSession | undefined;
  const table = createHostTable(() => session);
  let n = 0;

  function begin(simulator: TxSimulator, inv: Partial<ChaincodeInvocation> = {}): void {
    session = new HostSession({ ...invocation, ...inv }, { simulator, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) }, resolveLimits({}));
  }
  const sqlite = (): TxSimulator => manager.create(`ch${++n}`).newTxSimulator(`tx${n}`);

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-host-pvt-paging-'));
    manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
  });
  afterAll(() => {
    manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('every paginated private query of an Init is refused, as Fabric\'s handler refuses private data there', () => {
    begin(sqlite(), { isInit: true });
    const calls: [keyof HostTable, () => unknown][] = [
      ['getPrivateDataByRangeWithPagination', () => table.getPrivateDataByRangeWithPagination('coll', '', '', 10, '')],
      ['getPrivateDataQueryResultWithPagination', () => table.getPrivateDataQueryResultWithPagination('coll', '{}', 10, '')],
    ];
    expect(calls.map(([name]) => name).sort()).toEqual(Object.keys(PRIVATE_PAGE_SHIM_REQUEST_TYPES).sort());
    for (const [, call] of calls) expect(call()).toEqual({ error: 'private data APIs are not allowed in chaincode Init()' });
  });

  test('arguments are checked before the ledger is asked: a refused call leaves the transaction free to write', () => {
    const sim = sqlite();
    begin(sim);
    expect(table.getPrivateDataByRangeWithPagination('coll', '', '', 100_001, '')).toEqual({ error: 'pageSize must be an integer in [0, 100000], got 100001' });
    expect(table.getPrivateDataByRangeWithPagination('coll', '', '', 10, 7 as unknown as string)).toEqual({ error: 'bookmark must be a string, got number' });
    expect(table.getPrivateDataQueryResultWithPagination('coll', '{}', 1.5, '')).toEqual({ error: 'pageSize must be an integer in [0, 100000], got 1.5' });
    expect(table.putPrivateData('coll', 'k', Buffer.from('v'))).toEqual({ result: undefined });
    // Now a write came first: the ledger's private query rule, in Fabric's words.
    expect(table.getPrivateDataByRangeWithPagination('coll', '', '', 10, '')).toEqual({ error: 'Queries on pvt data is supported only in a read-only transaction' });
  });

  test('an empty collection answers an empty last page', () => {
    begin(sqlite());
    expect(table.getPrivateDataByRangeWithPagination('coll', '', '', 10, '')).toEqual({ result: { results: [], fetchedRecordsCount: 0, bookmark: '' } });
    expect(table.getPrivateDataQueryResultWithPagination('coll', '{"selector":{}}', 10, '')).toEqual({ result: { results: [], fetchedRecordsCount: 0, bookmark: '' } });
  });
});
