import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { HashedRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { readChaincodePackage } from '../../../core/chaincode/chaincode-package';
import type { ChaincodeResponse, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../core/chaincode/packager';
import type { Ledger } from '../../../core/ledger/ledger';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import type { TxSimulator } from '../../../core/ledger/tx-simulator';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { creator } from '../../unit/core/chaincode/fixtures';

const CHANNEL = 'mychannel';
const CC = 'pd';
const COLL = 'secrets';
const FIXTURES = path.join(__dirname, 'fixtures');
const hex = (text: string): string => Buffer.from(text).toString('hex');
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
const bytes = (text: string): { $bytes: string } => ({ $bytes: text });
const UNDEFINED = { $undefined: 1 };

/** What the fixture answers for a Buffer. */
const buf = (text: string): { hex: string; text: string } => ({ hex: hex(text), text });
const EMPTY = buf('');

interface Peer {
  readonly ledger: Ledger;
  readonly manager: LedgerManagerImpl;
}

interface Call {
  /** The peer that simulates; the transaction commits on both, with the private data on the member only. */
  readonly on?: 'member' | 'other';
  readonly commit?: boolean;
  readonly isInit?: boolean;
  readonly chaincodeName?: string;
  readonly packageId?: string;
  readonly transient?: Record<string, string>;
  readonly simulator?: (sim: TxSimulator) => TxSimulator;
}

/**
 * The stub's private data methods through the real isolated-vm sandbox onto real SQLite ledgers:
 * two peers on one channel, the member receiving each transaction's private data with its block and
 * the other only the hashes, as gossip would leave them.
 */
describe('private data from chaincode', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  const chain = new TestChain();
  let dir: string;
  let member: Peer;
  let other: Peer;
  let lowLevel = '';
  let contract = '';
  let n = 0;

  function open(name: string): Peer {
    const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: path.join(dir, name) }));
    return { manager, ledger: manager.create(CHANNEL) };
  }

  function invoke(args: string[], call: Call = {}): ChaincodeResponse & { rwset: Uint8Array } {
    const txId = `pvt${++n}`;
    const ledgerSim = (call.on === 'other' ? other : member).ledger.newTxSimulator(txId);
    const simulator = call.simulator ? call.simulator(ledgerSim) : ledgerSim;
    const support: RuntimeSupport = { simulator, invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }) };
    const transient = call.transient && new Map(Object.entries(call.transient).map(([k, v]): [string, Uint8Array] => [k, Buffer.from(v)]));
    const { response } = rt.invokeSync(
      call.packageId ?? lowLevel,
      {
        chaincodeName: call.chaincodeName ?? CC,
        channelId: CHANNEL,
        txId,
        args: args.map((a) => Buffer.from(a)),
        ...(transient ? { transient } : {}),
        creator: creator('user1'),
        timestamp: { seconds: 1_700_000_000 + n, nanos: 0 },
        mspId: 'Org1MSP',
        isInit: call.isInit === true,
      },
      support,
    );
    const rwset = ledgerSim.getTxSimulationResults();
    const pvt = ledgerSim.getPrivateSimulationResults();
    ledgerSim.done();
    if (call.commit !== false && response.status === 200) {
      const block = chain.block([buildRwSetEnvelope({ txId, rwset, channelId: CHANNEL })]);
      const copy = Block.deserializeBinary(block.serializeBinary());
      expect(member.ledger.commit(block, undefined, pvt === undefined ? undefined : new Map([[0, pvt]])).validationCodes).toEqual([0]);
      expect(other.ledger.commit(copy).validationCodes).toEqual([0]);
    }
    return { ...response, rwset };
  }

  /** Runs `[method, ...args]` stub calls in one transaction; answers what each returned. */
  function run(calls: unknown[][], call: Call = {}): unknown[] {
    const r = invoke(['run', JSON.stringify(calls)], call);
    if (r.status !== 200) throw new Error(`transaction failed with ${r.status}: ${r.message}`);
    return JSON.parse(Buffer.from(r.payload).toString()) as unknown[];
  }

  /** The message the chaincode's first failing call threw (the fixture answers it as a 500). */
  function failure(calls: unknown[][], call: Call = {}): string {
    const r = invoke(['run', JSON.stringify(calls)], { ...call, commit: false });
    expect(r.status).toBe(500);
    return r.message;
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pvt-cc-'));
    member = open('member');
    other = open('other');
    lowLevel = (await rt.install((await packageChaincode({ projectDir: path.join(FIXTURES, 'private-data'), label: 'pd_1' })).packageBytes)).packageId;
    contract = (await rt.install((await packageChaincode({ projectDir: path.join(FIXTURES, 'private-contract'), label: 'pc_1' })).packageBytes)).packageId;
  }, 60_000);
  afterAll(async () => {
    await rt.close();
    member.manager.close();
    other.manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('writes a private value, reads it back once committed, and hashes it with SHA-256', () => {
    // As on Fabric, a transaction does not read its own writes.
    expect(run([['putPrivateData', COLL, 'k1', bytes('hello')], ['putPrivateData', COLL, 'k2', 'a string value'], ['getPrivateData', COLL, 'k1']])).toEqual([null, null, EMPTY]);
    expect(run([['getPrivateData', COLL, 'k1'], ['getPrivateData', COLL, 'k2'], ['getPrivateDataHash', COLL, 'k1'], ['getPrivateData', COLL, 'missing'], ['getPrivateDataHash', COLL, 'missing'], ['getState', 'k1']])).toEqual([
      buf('hello'),
      buf('a string value'),
      { hex: sha256('hello'), text: expect.any(String) },
      EMPTY,
      EMPTY,
      EMPTY,
    ]);
  });

  it('keeps the value out of the public read/write set, which carries only hashes', () => {
    const r = invoke(['run', JSON.stringify([['putPrivateData', COLL, 'hidden', bytes('the secret')]])], { commit: false });
    expect(r.status).toBe(200);
    expect(Buffer.from(r.rwset).includes(Buffer.from('the secret'))).toBe(false);
    const ns = TxReadWriteSet.deserializeBinary(r.rwset).getNsRwsetList()[0];
    const coll = ns.getCollectionHashedRwsetList()[0];
    expect([ns.getNamespace(), coll.getCollectionName()]).toEqual([CC, COLL]);
    const write = HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8()).getHashedWritesList()[0];
    expect(Buffer.from(write.getValueHash_asU8()).toString('hex')).toBe(sha256('the secret'));
  });

  it('a peer outside the collection has the hash, and its simulator\'s refusal of the value reaches the chaincode verbatim', () => {
    expect(run([['getPrivateDataHash', COLL, 'k1']], { on: 'other' })).toEqual([{ hex: sha256('hello'), text: expect.any(String) }]);
    expect(failure([['getPrivateData', COLL, 'k1']], { on: 'other' })).toMatch(/^private data matching public hash version is not available/);
  });

  it('deletes and purges, the purge marked as one in the hashed write set', () => {
    run([['putPrivateData', COLL, 'del', bytes('x')], ['putPrivateData', COLL, 'pur', bytes('y')]]);
    expect(run([['getPrivateData', COLL, 'del'], ['getPrivateData', COLL, 'pur']])).toEqual([buf('x'), buf('y')]);
    const r = invoke(['run', JSON.stringify([['deletePrivateData', COLL, 'del'], ['purgePrivateData', COLL, 'pur']])]);
    expect(r.status).toBe(200);
    const coll = TxReadWriteSet.deserializeBinary(r.rwset).getNsRwsetList()[0].getCollectionHashedRwsetList()[0];
    const writes = HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8()).getHashedWritesList();
    expect(writes.map((w) => [w.getIsDelete(), w.getIsPurge()]).sort()).toEqual([
      [true, false],
      [true, true],
    ]);
    expect(run([['getPrivateData', COLL, 'del'], ['getPrivateData', COLL, 'pur'], ['getPrivateDataHash', COLL, 'pur']])).toEqual([EMPTY, EMPTY, EMPTY]);
  });

  it('sets and reads a private key\'s validation parameter; an empty collection means public state, as on a Fabric peer', () => {
    run([['putPrivateData', COLL, 'ep', bytes('v')], ['putState', 'pub', bytes('v')]]);
    run([['setPrivateDataValidationParameter', COLL, 'ep', bytes('policy-bytes')], ['setPrivateDataValidationParameter', '', 'pub', bytes('public-policy')]]);
    expect(
      run([
        ['getPrivateDataValidationParameter', COLL, 'ep'],
        ['getPrivateDataValidationParameter', COLL, 'k1'],
        ['getStateValidationParameter', 'pub'],
        ['getPrivateDataValidationParameter', '', 'pub'],
      ]),
    ).toEqual([buf('policy-bytes'), EMPTY, buf('public-policy'), buf('public-policy')]);
  });

  it('iterates private ranges and partial composite keys in {iterator} responses, across batches and with for await', () => {
    const seed = Array.from({ length: 150 }, (_, i) => ['putPrivateData', 'ranges', `r${String(i).padStart(3, '0')}`, bytes(`${i}`)]);
    const [blue1, blue2, red1] = [['blue', 'b1'], ['blue', 'b2'], ['red', 'r1']].map((attrs) => JSON.parse(Buffer.from(invoke(['compositeKey', JSON.stringify(['color~name', attrs])], { commit: false }).payload).toString()) as string);
    run([...seed, ['putPrivateData', 'ranges', blue1, bytes('B1')], ['putPrivateData', 'ranges', blue2, bytes('B2')], ['putPrivateData', 'ranges', red1, bytes('R1')]]);

    const [all, some] = run([['getPrivateDataByRange', 'ranges', '', ''], ['getPrivateDataByRange', 'ranges', 'r010', 'r013']]) as { shape: string[]; results: string[][] }[];
    // fabric-shim resolves these to {iterator}; an empty start key skips composite keys.
    expect(all.shape).toEqual(['iterator']);
    expect(all.results).toHaveLength(150);
    expect(all.results[149]).toEqual(['r149', '149']);
    expect(some.results).toEqual([
      ['r010', '10'],
      ['r011', '11'],
      ['r012', '12'],
    ]);
    expect(run([['getPrivateDataByPartialCompositeKey', 'ranges', 'color~name', ['blue']]])).toEqual([{ shape: ['iterator'], results: [[blue1, 'B1'], [blue2, 'B2']] }]);
    expect(JSON.parse(Buffer.from(invoke(['forAwait', JSON.stringify(['getPrivateDataByPartialCompositeKey', 'ranges', 'color~name', []])], { commit: false }).payload).toString())).toEqual([
      [blue1, 'B1'],
      [blue2, 'B2'],
      [red1, 'R1'],
    ]);
    expect(JSON.parse(Buffer.from(invoke(['forAwait', JSON.stringify(['getPrivateDataByRange', 'ranges', 'r100', 'r102'])], { commit: false }).payload).toString())).toEqual([
      ['r100', '100'],
      ['r101', '101'],
    ]);
  });

  it('runs rich queries over the private values, and the ledger refuses writes after a private query', () => {
    run([['putPrivateData', 'docs', 'd1', bytes('{"color":"red","size":1}')], ['putPrivateData', 'docs', 'd2', bytes('{"color":"blue","size":2}')], ['putPrivateData', 'docs', 'd3', bytes('{"color":"red","size":3}')]]);
    expect(run([['getPrivateDataQueryResult', 'docs', '{"selector":{"color":"red"}}']])).toEqual([
      {
        shape: ['iterator'],
        results: [
          ['d1', '{"color":"red","size":1}'],
          ['d3', '{"color":"red","size":3}'],
        ],
      },
    ]);
    expect(failure([['getPrivateDataByRange', 'docs', '', ''], ['putPrivateData', 'docs', 'd4', bytes('x')]])).toBe('Transaction has already performed queries on pvt data. Writes are not allowed');
  });

  it.each([
    [[['getPrivateData', '', 'k']], 'collection must be a valid string'],
    [[['getPrivateData', 7, 'k']], 'collection must be a valid string'],
    [[['getPrivateData', COLL, '']], 'key must be a valid string'],
    [[['getPrivateDataHash', COLL, UNDEFINED]], 'key must be a valid string'],
    [[['putPrivateData', COLL, 'k', '']], 'value must be valid'],
    [[['putPrivateData', COLL, 'k', UNDEFINED]], 'value must be valid'],
    [[['putPrivateData', UNDEFINED, 'k', 'v']], 'collection must be a valid string'],
    [[['deletePrivateData', null, 'k']], 'collection must be a valid string'],
    [[['purgePrivateData', COLL, 7]], 'key must be a valid string'],
    [[['getPrivateDataByRange', COLL, 'a']], 'getPrivateDataByRange requires three arguments, collection, startKey and endKey'],
    [[['getPrivateDataByRange', COLL, 'a', 'b', 'c']], 'getPrivateDataByRange requires three arguments, collection, startKey and endKey'],
    [[['getPrivateDataByRange', '', 'a', 'b']], 'collection must be a valid string'],
    [[['getPrivateDataByPartialCompositeKey', COLL, 'type']], 'getPrivateDataByPartialCompositeKey requires three arguments, collection, objectType and attributes'],
    [[['getPrivateDataByPartialCompositeKey', COLL, '', []]], 'object type or attribute not a non-zero length string'],
    [[['getPrivateDataByPartialCompositeKey', COLL, 'type', 'a']], 'attributes must be an array'],
    [[['getPrivateDataQueryResult', COLL]], 'getPrivateDataQueryResult requires two arguments, collection and query'],
    [[['getPrivateDataQueryResult', false, '{}']], 'collection must be a valid string'],
    [[['setPrivateDataValidationParameter', COLL, 'k', 5]], 'endorsement policy must be a Buffer or a string, got number'],
  ])('refuses bad arguments with fabric-shim\'s message: %j', (calls, message) => {
    expect(failure(calls)).toBe(message);
  });

  it('passes on the simulator\'s own refusals, and the peer\'s, as the chaincode\'s error', () => {
    expect(failure([['getPrivateData', 'bad name', 'k']])).toMatch(/collection name "bad name"/);
    const denied = 'tx creator does not have read access permission on privatedata in chaincodeName:pd collectionName: secrets';
    const peerCheck = (sim: TxSimulator): TxSimulator =>
      new Proxy(sim, {
        get: (target, prop) =>
          prop === 'getPrivateData'
            ? () => {
                throw new Error(denied);
              }
            : (Reflect.get(target, prop) as unknown),
      });
    expect(failure([['getPrivateData', COLL, 'k1']], { simulator: peerCheck })).toBe(denied);
  });

  it('refuses private data in Init, as Fabric\'s handler does', () => {
    expect(failure([['getPrivateDataHash', COLL, 'k1']], { isInit: true })).toBe('private data APIs are not allowed in chaincode Init()');
    expect(failure([['putPrivateData', COLL, 'k', 'v']], { isInit: true })).toBe('private data APIs are not allowed in chaincode Init()');
    expect(run([['putState', 'init', 'public is fine']], { isInit: true })).toEqual([null]);
  });

  it('serves contract chaincode through ctx.stub, private properties arriving in the transient map', () => {
    const asset = JSON.stringify({ assetID: 'asset1', color: 'green', size: 7, appraisedValue: 900 });
    const call = (fn: string, args: string[] = [], transient?: Record<string, string>, commit = true): ChaincodeResponse =>
      invoke([fn, ...args], { packageId: contract, chaincodeName: 'pc', commit, ...(transient ? { transient } : {}) });
    expect(call('CreateAsset', [], {})).toMatchObject({ status: 500, message: 'asset_properties key not found in the transient map' });
    expect(call('CreateAsset', [], { asset_properties: asset })).toMatchObject({ status: 200, payload: new Uint8Array(Buffer.from('asset1')) });
    expect(Buffer.from(call('ReadAsset', ['asset1'], undefined, false).payload).toString()).toBe(asset);
    expect(call('CreateAsset', [], { asset_properties: asset })).toMatchObject({ status: 500, message: 'asset asset1 already exists' });
    expect(Buffer.from(call('VerifyAsset', ['asset1'], { asset_properties: asset }, false).payload).toString()).toBe('true');
    expect(Buffer.from(call('VerifyAsset', ['asset1'], { asset_properties: asset.replace('900', '901') }, false).payload).toString()).toBe('false');
    expect(Buffer.from(call('ListAssets', [], undefined, false).payload).toString()).toBe('["asset1"]');
    expect(call('DeleteAsset', ['asset1']).status).toBe(200);
    expect(call('ReadAsset', ['asset1'], undefined, false)).toMatchObject({ status: 500, message: 'asset asset1 does not exist' });
  });

  it('still runs a package built for sandbox ABI 4, whose own stub refuses private data', async () => {
    // Built by `weft chaincode package` from fixtures/private-data at commit 88bdd0d (ABI 4), before private data.
    const bytesAbi4 = fs.readFileSync(path.join(FIXTURES, 'private-data-abi4.tar.gz'));
    const pkg = await readChaincodePackage(bytesAbi4);
    expect(JSON.parse(Buffer.from(pkg.code.get('src/package.json') as Uint8Array).toString())).toMatchObject({ weft: { abi: 4 } });
    const { packageId } = await rt.install(bytesAbi4);
    expect(run([['putState', 'abi4', bytes('works')]], { packageId })).toEqual([null]);
    expect(run([['getState', 'abi4']], { packageId })).toEqual([buf('works')]);
    expect(failure([['getPrivateData', COLL, 'k1']], { packageId })).toBe('getPrivateData is not yet supported by Weft (private data collections are not available)');
  });
});
