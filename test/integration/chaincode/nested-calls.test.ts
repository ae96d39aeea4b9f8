import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChaincodeInvocation, ChaincodeResponse, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../core/chaincode/packager';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import type { TxSimulator } from '../../../core/ledger/tx-simulator';
import { KvPeerLedger } from '../../../core/peer/channel/kv-peer-ledger';
import { rwsetWrites } from '../../../core/peer/validation/rwset-writes';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { creator } from '../../unit/core/chaincode/fixtures';

const RELAY_DIR = path.join(__dirname, 'fixtures', 'relay');
const CHANNEL = 'nestedch';
/** isolated-vm runs isolates on a pool of one thread per core and one more (`scheduler.cc`): the chain waits on more threads than that. */
const DEPTH = os.cpus().length + 3;

const inv = (txId: string, args: readonly Uint8Array[]): ChaincodeInvocation => ({
  chaincodeName: 'relay',
  channelId: CHANNEL,
  txId,
  args,
  creator: creator('user1'),
  timestamp: { seconds: 1, nanos: 0 },
  mspId: 'Org1MSP',
});

/**
 * Sandboxed chaincode calling sandboxed chaincode waits on its own isolate's thread while the callee
 * runs on another (as the peer's `ChaincodeCalls.invokeAsync` runs it: `invoke`, marked as called
 * by chaincode). A chain deeper than isolated-vm's thread pool, and than the package's sandbox limit
 * with no queue allowed, completes: the runtime neither queues a callee behind its callers nor runs
 * out of threads; a callee that never returns ends at its own time limit. Real SQLite ledger, real
 * isolated-vm.
 */
describe('sandbox-to-sandbox calls, each callee on a thread of its own while its caller waits', () => {
  let dir: string;
  let ledger: KvPeerLedger;
  let rt: IsolatedVmRuntime;
  let packageId: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-nested-calls-'));
    ledger = KvPeerLedger.open(new SqliteLedgerStoreProvider({ rootDir: dir }), CHANNEL, defaultLedgerOptions, 'Org1MSP');
    // One sandbox and no queue: a callee that waited for a place would be refused at once.
    rt = new IsolatedVmRuntime({ sandboxesPerChaincode: 1, queuedPerChaincode: 0 });
    packageId = (await rt.install((await packageChaincode({ projectDir: RELAY_DIR, label: 'relay_1' })).packageBytes)).packageId;
  }, 60_000);

  afterAll(async () => {
    await rt?.close();
    ledger?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** What the peer hands a sandboxed caller: its callees run through `invoke` into the same simulator, with `calleeLimits`. */
  function support(simulator: TxSimulator, txId: string, calleeLimits?: RuntimeSupport['limits']): RuntimeSupport {
    const self: RuntimeSupport = {
      simulator,
      invokeChaincode: () => {
        throw new Error('a caller that can wait must not call synchronously');
      },
      invokeChaincodeAsync: async (_name, args): Promise<ChaincodeResponse> =>
        (await rt.invoke(packageId, inv(txId, args), { ...self, calledByChaincode: true, ...(calleeLimits === undefined ? {} : { limits: calleeLimits }) })).response,
    };
    return self;
  }

  test(`${DEPTH} nested calls, more than isolated-vm's threads, complete, the innermost callee's write in the transaction`, async () => {
    const txId = 'deep-chain';
    const simulator = await ledger.openTxSimulator(txId);
    try {
      const hops = Array.from({ length: DEPTH }, () => ['call', 'relay']).flat();
      const result = await rt.invoke(packageId, inv(txId, [...hops, 'put', 'bottom', 'reached'].map((a) => Buffer.from(a))), support(simulator, txId));
      expect([result.response.status, result.response.message, Buffer.from(result.response.payload).toString()]).toEqual([200, '', 'reached']);
      expect(rwsetWrites(simulator.getTxSimulationResults()).map((w) => [w.namespace, w.keys])).toEqual([['relay', ['bottom']]]);
      // Each level ran in a sandbox of its own while its callers waited in theirs.
      expect(rt.sandboxCount(packageId)).toBe(DEPTH + 1);
    } finally {
      simulator.done();
    }
  }, 120_000);

  test('a nested callee that never returns is ended by its own execute timeout, which its caller reads as its answer', async () => {
    const txId = 'spinning-callee';
    const simulator = await ledger.openTxSimulator(txId);
    try {
      const result = await rt.invoke(packageId, inv(txId, ['call', 'relay', 'spin'].map((a) => Buffer.from(a))), support(simulator, txId, { timeoutMs: 300 }));
      expect([result.response.status, result.response.message]).toEqual([500, 'relay answered 500: timeout expired while executing transaction (limit 300 ms)']);
    } finally {
      simulator.done();
    }
  }, 60_000);
});
