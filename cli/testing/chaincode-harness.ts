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

/** A call's arguments and transient data, named as the Fabric Gateway client's `ProposalOptions`. */
export interface CallOptions {
  readonly arguments?: readonly string[];
  /** Private values for the chaincode (`getTransient()`), never in the transaction. */
  readonly transientData?: Readonly<Record<string, string | Uint8Array>>;
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
function succeeded(fn: string, result: HarnessResult): HarnessResult {
  if (result.status >= 400) throw new ChaincodeError('CHAINCODE_FAILED', result.message, { status: result.status, function: fn });
  return result;
}

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

  /**
   * Invokes and, when the chaincode answers 200, commits the writes (private data collections'
   * values included, as on a member peer that endorsed). Throws on an error response.
   */
  submit(fn: string, ...args: string[]): Promise<HarnessResult> {
    return this.submitWith(fn, { arguments: args });
  }

  /** {@link submit} with transient data. */
  async submitWith(fn: string, options: CallOptions): Promise<HarnessResult> {
    return succeeded(fn, await this.call(fn, options.arguments ?? [], true, options.transientData));
  }

  /** Invokes without committing. Throws on an error response. */
  evaluate(fn: string, ...args: string[]): Promise<HarnessResult> {
    return this.evaluateWith(fn, { arguments: args });
  }

  /** {@link evaluate} with transient data. */
  async evaluateWith(fn: string, options: CallOptions): Promise<HarnessResult> {
    return succeeded(fn, await this.call(fn, options.arguments ?? [], false, options.transientData));
  }

  /** Invokes without committing and returns the response whatever its status. */
  async call(fn: string, args: readonly string[], commit = false, transientData?: CallOptions['transientData']): Promise<HarnessResult> {
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
        ...(transientData === undefined ? {} : { transient: new Map(Object.entries(transientData).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v, 'utf8') : v])) }),
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
