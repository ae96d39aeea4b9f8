import * as path from 'node:path';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { readChaincodePackage, stateDbIndexes } from '../../../core/chaincode/chaincode-package';
import type { ChaincodeInvocation, ChaincodeResponse, ChaincodeResult, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { runtimeConformance } from '../../../core/chaincode/conformance';
import { packageChaincode } from '../../../core/chaincode/packager';
import type { TxSimulator } from '../../../core/ledger/tx-simulator';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { creator, EXAMPLES, USER1_ID, USER2_ID } from '../../unit/core/chaincode/fixtures';
import { ledgerWorld, type LedgerWorld } from '../../../cli/testing/ledger-world';

runtimeConformance('isolated-vm on a SQLite ledger', {
  createRuntime: (options) => new IsolatedVmRuntime(options),
  createWorld: () => ledgerWorld(),
  creators: { minter: creator('user1'), other: creator('user2'), org2: creator('user2', 'Org2MSP') },
  ids: { minter: USER1_ID, other: USER2_ID },
});

const text = (b: Uint8Array | undefined): string => Buffer.from(b ?? new Uint8Array(0)).toString('utf8');

interface DecodedNs {
  reads: [string, string | undefined][];
  writes: [string, string | undefined][];
  ranges: number;
}

/** The rwset as Fabric's protos decode it: reads with versions as "block:tx", writes (undefined = delete). */
function decode(rwset: Uint8Array): Record<string, DecodedNs> {
  const out: Record<string, DecodedNs> = {};
  for (const ns of TxReadWriteSet.deserializeBinary(rwset).getNsRwsetList()) {
    const kv = KVRWSet.deserializeBinary(ns.getRwset_asU8());
    out[ns.getNamespace()] = {
      reads: kv.getReadsList().map((r) => {
        const v = r.getVersion();
        return [r.getKey(), v ? `${v.getBlockNum()}:${v.getTxNum()}` : undefined];
      }),
      writes: kv.getWritesList().map((w) => [w.getKey(), w.getIsDelete() ? undefined : text(w.getValue_asU8())]),
      ranges: kv.getRangeQueriesInfoList().length,
    };
  }
  return out;
}

describe('chaincode examples on a real SQLite ledger', () => {
  let world: LedgerWorld;
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  const ids: Record<string, string> = {};
  let n = 0;

  function invoke(name: string, args: string[], simulator: TxSimulator, txId: string): ChaincodeResult {
    const support: RuntimeSupport = {
      simulator,
      invokeChaincode: (cc, ccArgs, channel): ChaincodeResponse => {
        if (channel !== 'mychannel') return { status: 500, message: `channel ${channel} is not joined`, payload: new Uint8Array(0) };
        return invoke2(cc, ccArgs, simulator, txId).response;
      },
    };
    const inv: ChaincodeInvocation = {
      chaincodeName: name,
      channelId: 'mychannel',
      txId,
      args: args.map((a) => Buffer.from(a)),
      creator: creator('user1'),
      timestamp: { seconds: 1_700_000_000, nanos: 0 },
      mspId: 'Org1MSP',
    };
    return rt.invokeSync(ids[name], inv, support);
  }
  function invoke2(name: string, args: readonly Uint8Array[], simulator: TxSimulator, txId: string): ChaincodeResult {
    return invoke(name, args.map((a) => Buffer.from(a).toString()), simulator, txId);
  }

  function tx(name: string, args: string[], commit = true): ChaincodeResult & { rw: Record<string, DecodedNs> } {
    const txId = `itx${++n}`;
    const sim = world.simulator(txId);
    const result = invoke(name, args, sim, txId);
    const rwset = sim.getTxSimulationResults();
    sim.done();
    if (commit && result.response.status === 200) world.commit(sim, rwset, txId);
    return { ...result, rw: decode(rwset) };
  }

  beforeAll(async () => {
    world = ledgerWorld();
    for (const [name, dir] of [['marbles', 'marbles'], ['basic', 'asset-transfer'], ['hostile', 'hostile']]) {
      const built = await packageChaincode({ projectDir: path.join(EXAMPLES, dir), label: `${name}_1` });
      ids[name] = (await rt.install(built.packageBytes)).packageId;
      world.ledger.declareIndexes(name, stateDbIndexes(await readChaincodePackage(built.packageBytes)).chaincode);
    }
  });
  afterAll(async () => {
    await rt.close();
    world.close();
  });

  test('asset-transfer CreateAsset records a versionless read and the write, as Fabric', () => {
    const r = tx('basic', ['CreateAsset', 'asset1', 'blue', '5', 'Tomoko', '300']);
    expect(r.response.status).toBe(200);
    expect(r.rw.basic.reads).toEqual([['asset1', undefined]]);
    expect(r.rw.basic.writes).toEqual([['asset1', '{"AppraisedValue":300,"Color":"blue","ID":"asset1","Owner":"Tomoko","Size":5}']]);
    expect(r.event?.eventName).toBe('CreateAsset');
    expect(text(r.event!.payload)).toBe('{"AppraisedValue":300,"Color":"blue","ID":"asset1","Owner":"Tomoko","Size":5}');
    const upd = tx('basic', ['UpdateAsset', 'asset1', 'red', '6', 'Max', '1'], false);
    expect(upd.rw.basic.reads).toEqual([['asset1', '0:0']]);
    const all = tx('basic', ['GetAllAssets'], false);
    expect(all.rw.basic.ranges).toBe(1);
  });

  test('marbles: initMarble writes the marble and its color~name index entry', () => {
    const r = tx('marbles', ['initMarble', 'marble1', 'blue', '35', 'tom']);
    expect(r.response.status).toBe(200);
    expect(r.rw.marbles.writes).toEqual([
      ['\u0000color~name\u0000blue\u0000marble1\u0000', '\u0000'],
      ['marble1', '{"docType":"marble","name":"marble1","color":"blue","size":35,"owner":"tom"}'],
    ]);
    for (const [m, c, s, o] of [['marble2', 'red', '50', 'tom'], ['marble3', 'blue', '70', 'jerry'], ['marble4', 'green', '10', 'tom']]) {
      expect(tx('marbles', ['initMarble', m, c, s, o]).response.status).toBe(200);
    }
    expect(tx('marbles', ['initMarble', 'marble1', 'blue', '35', 'tom']).response.message).toBe('This marble already exists: marble1');
  });

  test('marbles: rich queries (with the META-INF index), sorted and paged', () => {
    const byOwner = JSON.parse(text(tx('marbles', ['queryMarblesByOwner', 'tom'], false).response.payload)) as { Key: string }[];
    expect(byOwner.map((m) => m.Key)).toEqual(['marble1', 'marble2', 'marble4']);
    const sorted = JSON.stringify({ selector: { docType: 'marble', owner: 'tom' }, sort: [{ size: 'desc' }], use_index: ['_design/indexOwnerDoc', 'indexOwner'] });
    const q = JSON.parse(text(tx('marbles', ['queryMarbles', sorted], false).response.payload)) as { Key: string }[];
    expect(q.map((m) => m.Key)).toEqual(['marble2', 'marble1', 'marble4']);
    const query = (selector: object): string[] =>
      (JSON.parse(text(tx('marbles', ['queryMarbles', JSON.stringify({ selector })], false).response.payload)) as { Key: string }[]).map((m) => m.Key);
    // As on CouchDB: _id is the key, and the color~name entries (value "\u0000", not JSON) are documents without fields.
    expect(query({ _id: { $regex: '^marble[12]$' } })).toEqual(['marble1', 'marble2']);
    expect(query({ docType: { $exists: false } })).toEqual(['\u0000color~name\u0000blue\u0000marble1\u0000', '\u0000color~name\u0000blue\u0000marble3\u0000', '\u0000color~name\u0000green\u0000marble4\u0000', '\u0000color~name\u0000red\u0000marble2\u0000']);
    expect(query({ $nor: [{ owner: 'tom' }, { size: { $lt: 20 } }] })).toEqual(['marble3']);
    const p1 = JSON.parse(text(tx('marbles', ['queryMarblesWithPagination', JSON.stringify({ selector: { owner: 'tom' } }), '2', ''], false).response.payload)) as {
      results: { Key: string }[];
      fetchedRecordsCount: number;
      bookmark: string;
    };
    expect(p1.results.map((m) => m.Key)).toEqual(['marble1', 'marble2']);
    expect(p1.fetchedRecordsCount).toBe(2);
    const p2 = JSON.parse(text(tx('marbles', ['queryMarblesWithPagination', JSON.stringify({ selector: { owner: 'tom' } }), '2', p1.bookmark], false).response.payload)) as {
      results: { Key: string }[];
    };
    expect(p2.results.map((m) => m.Key)).toEqual(['marble4']);
  });

  test('marbles: range pagination bookmarks the key after the page; for-await walks a range', () => {
    const p1 = JSON.parse(text(tx('marbles', ['getMarblesByRangeWithPagination', 'marble1', 'marble9', '3', ''], false).response.payload)) as {
      results: { Key: string }[];
      bookmark: string;
    };
    expect(p1.results.map((m) => m.Key)).toEqual(['marble1', 'marble2', 'marble3']);
    expect(p1.bookmark).toBe('marble4');
    expect(text(tx('marbles', ['countMarbles'], false).response.payload)).toBe('4');
    const range = JSON.parse(text(tx('marbles', ['getMarblesByRange', 'marble2', 'marble4'], false).response.payload)) as { Key: string }[];
    expect(range.map((m) => m.Key)).toEqual(['marble2', 'marble3']);
  });

  test('marbles: partial composite key query and history, newest first', () => {
    expect(tx('marbles', ['transferMarblesBasedOnColor', 'blue', 'anna']).response.status).toBe(200);
    expect(JSON.parse(text(tx('marbles', ['readMarble', 'marble3'], false).response.payload)).owner).toBe('anna');
    expect(tx('marbles', ['transferMarble', 'marble1', 'bob']).response.status).toBe(200);
    const history = JSON.parse(text(tx('marbles', ['getHistoryForMarble', 'marble1'], false).response.payload)) as {
      TxId: string;
      Value: { owner: string };
      Timestamp: { seconds: number; nanos: number };
    }[];
    expect(history.map((h) => h.Value.owner)).toEqual(['bob', 'anna', 'tom']);
    expect(typeof history[0].Timestamp.seconds).toBe('number');
    expect(history[0].Timestamp.seconds).toBeGreaterThan(history[2].Timestamp.seconds);
    expect(tx('marbles', ['delete', 'marble4']).response.status).toBe(200);
    expect(tx('marbles', ['readMarble', 'marble4'], false).response.message).toBe('{"Error":"Marble does not exist: marble4"}');
  });

  test('a paginated query after a write fails as on a Fabric peer', () => {
    expect(tx('hostile', ['WriteThenPage']).response.message).toBe('Paginated queries are supported only in a read-only transaction');
  });

  test('invokeChaincode on the same channel reads through the callee and merges both namespaces into one rwset', () => {
    const r = tx('hostile', ['Relay', 'basic', 'ReadAsset', 'asset1']);
    expect(r.response.status).toBe(200);
    expect(JSON.parse(text(r.response.payload)).Owner).toBe('Tomoko');
    expect(r.rw.basic.reads).toEqual([['asset1', '0:0']]);
    expect(r.rw.hostile.writes.map(([k]) => k)).toEqual(['relayed']);
    const bad = tx('hostile', ['Relay', 'basic', 'ReadAsset', 'nope']);
    expect(bad.response.message).toBe('relay failed: The asset nope does not exist');
    // A package called while it runs (a chaincode calling itself on another channel) runs in a
    // sandbox of its own; refusing a second run of one transaction on one channel is the peer's.
    const self = tx('hostile', ['Relay', 'hostile', 'Ok', 'x']);
    expect(self.response.status).toBe(200);
    expect(text(self.response.payload)).toBe('ok');
    expect(self.rw.hostile.writes.map(([k]) => k)).toEqual(['ok', 'relayed']);
    expect(tx('hostile', ['Ok']).response.status).toBe(200);
  });
});
