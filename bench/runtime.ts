/**
 * Runtime suite: isolate start, per-transaction dispatch overhead (reused and strict contexts),
 * empty and read5/write1 transaction rates, asset-transfer CreateAsset simulations against a real
 * SQLite ledger (no signing, no commit), and the cost of one stub call crossing the boundary.
 * Rates are per second of this process's CPU time: one core's worth, steady on a shared machine.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import type { ChaincodeInvocation, RuntimeSupport } from '../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../core/chaincode/packager';
import { LedgerManagerImpl, RwSetBuilder } from '../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../core/ledger/test-blocks';
import type { KeyModification, KV, QueryPage, SimulationFootprint, TxSimulator } from '../core/ledger/tx-simulator';
import { SqliteLedgerStoreProvider } from '../plugins/ledger-sqlite';
import { IsolatedVmRuntime } from '../plugins/runtime-isolated-vm';
import { measure, measureAsync, round, type BenchMetric } from './harness';

const BENCH_CHAINCODE = `
const { Contract } = require('fabric-contract-api');
class Bench extends Contract {
  async Empty(ctx) {}
  async Read5Write1(ctx, i) {
    let sum = 0;
    for (let k = 0; k < 5; k++) sum += (await ctx.stub.getState('key' + k)).length;
    await ctx.stub.putState('out' + i, Buffer.from(String(sum)));
  }
  async Calls(ctx, n) {
    for (let k = 0; k < Number(n); k++) await ctx.stub.getState('key0');
  }
  async CallEmpty(ctx) {
    const r = await ctx.stub.invokeChaincode('bench', ['Empty'], 'bench');
    if (r.status !== 200) throw new Error(r.message);
  }
}
module.exports.contracts = [Bench];
`;

/** Committed state of nothing: measures the runtime alone. */
class NullSimulator implements TxSimulator {
  private static readonly VALUE = Buffer.alloc(100, 'v');
  getState(): Uint8Array | undefined {
    return NullSimulator.VALUE;
  }
  getStateMultiple(_ns: string, keys: readonly string[]): (Uint8Array | undefined)[] {
    return keys.map(() => NullSimulator.VALUE);
  }
  getStateRange(): Iterable<KV> {
    return [];
  }
  getStateRangeWithPagination(): QueryPage<KV> {
    return { results: [], rows: () => [], fetchedRecordsCount: 0, bookmark: '' };
  }
  executeQuery(): Iterable<KV> {
    return [];
  }
  executeQueryWithPagination(): QueryPage<KV> {
    return { results: [], rows: () => [], fetchedRecordsCount: 0, bookmark: '' };
  }
  getStateMetadata(): Record<string, Uint8Array> | undefined {
    return undefined;
  }
  getHistoryForKey(): Iterable<KeyModification> {
    return [];
  }
  done(): void {}
  setState(): void {}
  deleteState(): void {}
  setStateMetadata(): void {}
  getTxSimulationResults(): Uint8Array {
    return new Uint8Array(0);
  }
  getPrivateData(): Uint8Array | undefined {
    return NullSimulator.VALUE;
  }
  getPrivateDataHash(): Uint8Array | undefined {
    return undefined;
  }
  getPrivateDataMetadata(): Record<string, Uint8Array> | undefined {
    return undefined;
  }
  getPrivateDataRange(): Iterable<KV> {
    return [];
  }
  executeQueryOnPrivateData(): Iterable<KV> {
    return [];
  }
  getPrivateDataRangeWithPagination(): QueryPage<KV> {
    return this.getStateRangeWithPagination();
  }
  executeQueryOnPrivateDataWithPagination(): QueryPage<KV> {
    return this.getStateRangeWithPagination();
  }
  setPrivateData(): void {}
  deletePrivateData(): void {}
  purgePrivateData(): void {}
  setPrivateDataMetadata(): void {}
  getPrivateSimulationResults(): Uint8Array | undefined {
    return undefined;
  }
  getSimulationFootprint(): SimulationFootprint {
    return { namespaces: [], writes: [], privateReads: [] };
  }
}

function findUp(name: string): string {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${name} above ${__dirname}`);
    dir = parent;
  }
}

function creatorWithCert(): Uint8Array {
  const pem = fs.readFileSync(findUp('test/unit/core/chaincode/fixtures/user1.pem'));
  const id = new SerializedIdentity();
  id.setMspid('Org1MSP');
  id.setIdBytes(pem);
  return id.serializeBinary();
}

export default async function run(): Promise<BenchMetric[]> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-runtime-'));
  const runtimes: IsolatedVmRuntime[] = [];
  const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: path.join(tmp, 'ledger') }));
  try {
    const projectDir = path.join(tmp, 'bench-cc');
    fs.mkdirSync(projectDir);
    fs.writeFileSync(path.join(projectDir, 'package.json'), '{"name":"bench","version":"1.0.0","main":"index.js"}');
    fs.writeFileSync(path.join(projectDir, 'index.js'), BENCH_CHAINCODE);
    const benchPkg = await packageChaincode({ projectDir, label: 'bench_1' });
    const assetPkg = await packageChaincode({ projectDir: findUp('chaincode-examples/asset-transfer'), label: 'basic_1' });
    const creator = creatorWithCert();

    // isolate_start_ms: new isolate + compile + context + bundle evaluation (contract instantiation).
    const starts: number[] = [];
    for (let i = 0; i < 15; i++) {
      const rt = new IsolatedVmRuntime();
      const t0 = performance.now();
      await rt.install(assetPkg.packageBytes);
      starts.push(performance.now() - t0);
      await rt.close();
    }
    starts.sort((a, b) => a - b);
    const isolateStartMs = starts[Math.floor(starts.length / 2)];

    const reused = new IsolatedVmRuntime();
    const strict = new IsolatedVmRuntime({ strict: true });
    runtimes.push(reused, strict);
    const benchId = (await reused.install(benchPkg.packageBytes)).packageId;
    await strict.install(benchPkg.packageBytes);
    const assetId = (await reused.install(assetPkg.packageBytes)).packageId;

    let n = 0;
    const inv = (name: string, args: string[]): ChaincodeInvocation => ({
      chaincodeName: name,
      channelId: 'bench',
      txId: `t${++n}`,
      args: args.map((a) => Buffer.from(a)),
      creator,
      timestamp: { seconds: 1_700_000_000, nanos: 0 },
      mspId: 'Org1MSP',
    });
    const nullSupport: RuntimeSupport = { simulator: new NullSimulator(), invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) };
    const check = (status: number): void => {
      if (status !== 200) throw new Error(`bench transaction failed with status ${status}`);
    };

    const empty = measure(() => check(reused.invokeSync(benchId, inv('bench', ['Empty']), nullSupport).response.status), { seconds: 1.5 });
    const emptyStrict = measure(() => check(strict.invokeSync(benchId, inv('bench', ['Empty']), nullSupport).response.status), { seconds: 1.5 });
    const calls100 = measure(() => check(reused.invokeSync(benchId, inv('bench', ['Calls', '100']), nullSupport).response.status), { seconds: 1.5 });
    const hostCallUs = Math.max(0, (1e6 / calls100.perCpuSecond - 1e6 / empty.perCpuSecond) / 100);

    // One sandbox→sandbox chaincode call, as the endorser runs it: the top-level transaction off the
    // peer's thread (`invoke`), the callee through the runtime's `invoke` while the caller waits.
    const nested: RuntimeSupport = {
      ...nullSupport,
      invokeChaincodeAsync: async (_name, args) => (await reused.invoke(benchId, inv('bench', args.map((a) => Buffer.from(a).toString())), { ...nested, calledByChaincode: true })).response,
    };
    const emptyAsync = await measureAsync(async () => check((await reused.invoke(benchId, inv('bench', ['Empty']), nested)).response.status), { seconds: 1.5 });
    const callEmpty = await measureAsync(async () => check((await reused.invoke(benchId, inv('bench', ['CallEmpty']), nested)).response.status), { seconds: 1.5 });
    const c2cCallUs = Math.max(0, 1e6 / callEmpty.perCpuSecond - 1e6 / emptyAsync.perCpuSecond);

    // Real SQLite ledger with 5 committed keys.
    const ledger = manager.create('bench');
    const seed = new RwSetBuilder();
    for (let k = 0; k < 5; k++) seed.addWrite('bench', `key${k}`, Buffer.alloc(100, 'v'));
    ledger.commit(new TestChain().block([buildRwSetEnvelope({ txId: 'seed', rwset: seed.build().serializeBinary(), channelId: 'bench' })]));
    const simulate = (name: string, id: string, args: string[]): void => {
      const invocation = inv(name, args);
      const simulator = ledger.newTxSimulator(invocation.txId);
      const r = reused.invokeSync(id, invocation, { simulator, invokeChaincode: nullSupport.invokeChaincode });
      check(r.response.status);
      simulator.getTxSimulationResults();
      simulator.done();
    };
    const read5 = measure(() => simulate('bench', benchId, ['Read5Write1', String(n)]), { seconds: 1.5 });
    const create = measure(() => simulate('basic', assetId, ['CreateAsset', `asset${n}`, 'blue', '5', 'Tomoko', '300']), { seconds: 1.5 });

    return [
      { name: 'isolate_start_ms', value: round(isolateStartMs, 2), unit: 'ms' },
      { name: 'tx_overhead_ms', value: round(1000 / empty.perCpuSecond, 4), unit: 'ms' },
      { name: 'tx_overhead_strict_ms', value: round(1000 / emptyStrict.perCpuSecond, 4), unit: 'ms' },
      { name: 'tx_overhead_async_ms', value: round(1000 / emptyAsync.perCpuSecond, 4), unit: 'ms (invoke off the peer thread, as the endorser runs a transaction)' },
      { name: 'empty_tx_per_s', value: round(empty.perCpuSecond, 0), unit: 'tx/s' },
      { name: 'read5_write1_tx_per_s', value: round(read5.perCpuSecond, 0), unit: 'tx/s' },
      { name: 'create_asset_per_s', value: round(create.perCpuSecond, 0), unit: 'tx/s' },
      { name: 'host_call_us', value: round(hostCallUs, 2), unit: 'µs' },
      { name: 'c2c_call_us', value: round(c2cCallUs, 1), unit: 'µs (CPU of one sandbox→sandbox chaincode call)' },
    ];
  } finally {
    for (const rt of runtimes) await rt.close();
    manager.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
