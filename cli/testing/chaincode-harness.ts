import type { ChaincodeRuntime, RuntimeSupport } from '../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../core/chaincode/packager';
import { ChaincodeError } from '../../core/errors';
import { createTestOrg } from '../../plugins/msp-x509';
import { IsolatedVmRuntime } from '../../plugins/runtime-isolated-vm';
import { ledgerWorld, type LedgerWorld } from './ledger-world';

/** The outcome of one transaction, decoded for assertions. */
export interface HarnessResult {
  readonly status: number;
  /** The chaincode's error message, verbatim ('' on success). */
  readonly message: string;
  readonly payload: Uint8Array;
  /** The payload as UTF-8 text. */
  readonly text: string;
  readonly event?: { readonly name: string; readonly payload: string };
}

export interface HarnessOptions {
  /** Chaincode name (the state namespace); default `mycc`. */
  readonly name?: string;
  readonly channelId?: string;
  readonly mspId?: string;
}

/**
 * Runs a chaincode project exactly as a Weft peer does, without a network: packaged by Weft's
 * packager, installed in the isolated-vm runtime, over a real SQLite ledger. `submit` commits the
 * transaction's writes when it succeeds; `evaluate` never commits. Used by the tests `weft new
 * chaincode` generates.
 */
export class ChaincodeHarness {
  private counter = 0;
  private seconds = 1_700_000_000;

  private constructor(
    private readonly runtime: ChaincodeRuntime,
    private readonly world: LedgerWorld,
    private readonly packageId: string,
    private readonly creator: Uint8Array,
    private readonly options: Required<HarnessOptions>,
  ) {}

  static async start(projectDir: string, options: HarnessOptions = {}): Promise<ChaincodeHarness> {
    const opts = { name: options.name ?? 'mycc', channelId: options.channelId ?? 'mychannel', mspId: options.mspId ?? 'Org1MSP' };
    const built = await packageChaincode({ projectDir, label: `${opts.name}_1.0` });
    const runtime = new IsolatedVmRuntime({});
    const installed = await runtime.install(built.packageBytes);
    const org = await createTestOrg({ mspId: opts.mspId });
    const user = await org.issue(`User1@${org.domain}`, { role: 'client' });
    return new ChaincodeHarness(runtime, ledgerWorld(opts.channelId), installed.packageId, user.serialized, opts);
  }

  /** Invokes and, when the chaincode answers 200, commits the writes. Throws on an error response. */
  async submit(fn: string, ...args: string[]): Promise<HarnessResult> {
    const result = await this.call(fn, args, true);
    if (result.status >= 400) throw new ChaincodeError('CHAINCODE_FAILED', result.message, { status: result.status, function: fn });
    return result;
  }

  /** Invokes without committing. Throws on an error response. */
  async evaluate(fn: string, ...args: string[]): Promise<HarnessResult> {
    const result = await this.call(fn, args, false);
    if (result.status >= 400) throw new ChaincodeError('CHAINCODE_FAILED', result.message, { status: result.status, function: fn });
    return result;
  }

  /** Invokes without committing and returns the response whatever its status. */
  async call(fn: string, args: readonly string[], commit = false): Promise<HarnessResult> {
    const txId = `tx${++this.counter}`;
    const simulator = this.world.simulator(txId);
    const support: RuntimeSupport = {
      simulator,
      invokeChaincode: () => ({ status: 500, message: 'invokeChaincode is not available in the harness', payload: new Uint8Array(0) }),
    };
    const result = await this.runtime.invoke(
      this.packageId,
      {
        chaincodeName: this.options.name,
        channelId: this.options.channelId,
        txId,
        args: [fn, ...args].map((a) => Buffer.from(a, 'utf8')),
        creator: this.creator,
        timestamp: { seconds: this.seconds++, nanos: 0 },
        mspId: this.options.mspId,
      },
      support,
    );
    const rwset = simulator.getTxSimulationResults();
    simulator.done();
    if (commit && result.response.status === 200) this.world.commit(simulator, rwset, txId);
    const { status, message, payload } = result.response;
    return {
      status,
      message,
      payload,
      text: Buffer.from(payload).toString('utf8'),
      ...(result.event ? { event: { name: result.event.eventName, payload: Buffer.from(result.event.payload).toString('utf8') } } : {}),
    };
  }

  async close(): Promise<void> {
    await this.runtime.close();
    this.world.close();
  }
}
