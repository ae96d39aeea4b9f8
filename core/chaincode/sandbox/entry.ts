/**
 * The bundle's entry: installs globals, loads the chaincode's main module, and exposes
 * `__weftDispatch(invocation)` to the runtime. The dispatcher reports the outcome through the host's
 * `complete` callback once the chaincode's promise settles; the runtime treats "no outcome when the
 * call returned" as a still-pending promise.
 */
import { Buffer } from 'buffer';
import { SANDBOX_ABI, type SandboxInvocation, type SandboxOutcome } from '../host-api';
import { ChaincodeFromContract, errorMessage, type ChaincodeMetadata, type SerializerConfig } from './contract-dispatcher';
import type { Contract } from './contract';
import { beginTransaction, installGlobals } from './globals';
import { host } from './host';
import { beginLogging } from './logging';
import { type ChaincodeInterface, type ChaincodeResponse, startedChaincode } from './shim';
import { ChaincodeStub, setActiveInvocation, type TxEffects } from './stub';

installGlobals();
const hostTable = host();

export interface PackageInfo {
  name: string;
  version: string;
  metadata?: Partial<ChaincodeMetadata>;
}

function asBytes(payload: unknown): Uint8Array {
  if (payload === undefined || payload === null) return new Uint8Array(0);
  if (typeof payload === 'string') return Uint8Array.from(Buffer.from(payload, 'utf8'));
  if (ArrayBuffer.isView(payload)) return Uint8Array.from(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength));
  return Uint8Array.from(Buffer.from(String(payload), 'utf8'));
}

function toOutcome(resp: ChaincodeResponse | undefined, effects: TxEffects, fnName: string): SandboxOutcome {
  // fabric-shim's test is `!resp || !resp.status`: a status of 0 or NaN is no answer; a numeric
  // string reaches the peer as its number (protobufjs encodes it so).
  const raw: unknown = resp?.status;
  const status = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (!resp || typeof status !== 'number' || !status) {
    return { status: 500, message: `Calling chaincode ${fnName}() has not called success or error.`, payload: new Uint8Array(0) };
  }
  const ok = status < 400;
  return {
    status,
    message: resp.message === undefined || resp.message === null ? '' : typeof resp.message === 'string' ? resp.message : errorMessage(resp.message),
    payload: asBytes(resp.payload),
    ...(ok && effects.event ? { event: effects.event } : {}),
  };
}

function contractsOf(mod: unknown): (new () => Contract)[] {
  const m = mod as { contracts?: unknown; default?: unknown } | ((...a: unknown[]) => unknown) | undefined;
  if (m && typeof m === 'object' && Array.isArray(m.contracts)) return m.contracts as (new () => Contract)[];
  if (typeof m === 'function') return [m as unknown as new () => Contract];
  if (m && typeof m === 'object' && typeof m.default === 'function') return [m.default as new () => Contract];
  if (m && typeof m === 'object' && m.default && typeof m.default === 'object' && Array.isArray((m.default as { contracts?: unknown }).contracts)) {
    return (m.default as { contracts: (new () => Contract)[] }).contracts;
  }
  throw new Error("the chaincode's main module must export 'contracts' (an array of Contract classes) or a Contract class, or call shim.start()");
}

/** Called once by the generated bundle entry with a thunk that evaluates the chaincode's main module. */
export function register(loadMain: () => unknown, info: PackageInfo): void {
  const mod = loadMain();
  let chaincode: ChaincodeInterface | undefined = startedChaincode();
  if (chaincode === undefined) {
    const m = mod as { serializers?: SerializerConfig } | undefined;
    chaincode = new ChaincodeFromContract(contractsOf(mod), (m && typeof m === 'object' && m.serializers) || {}, info.metadata, info.name, info.version);
  }
  const cc = chaincode;
  const g = globalThis as unknown as Record<string, unknown>;
  g.__weftAbi = SANDBOX_ABI;
  g.__weftDispatch = (inv: SandboxInvocation): void => {
    beginTransaction(inv.seconds * 1000 + Math.floor(inv.nanos / 1e6), inv.txId);
    beginLogging(inv.logLevel);
    setActiveInvocation(inv);
    const effects: TxEffects = {};
    const fnName = inv.isInit ? 'Init' : 'Invoke';
    // On the runtime's thread pool the outcome is queued for the peer, not handed over and waited on.
    const complete = inv.canWait === true && hostTable.completeQueued !== undefined ? hostTable.completeQueued : hostTable.complete;
    const run = async (): Promise<ChaincodeResponse> => {
      const stub = new ChaincodeStub(inv, effects);
      return inv.isInit ? cc.Init(stub) : cc.Invoke(stub);
    };
    run().then(
      (resp) => {
        let outcome: SandboxOutcome;
        try {
          outcome = toOutcome(resp, effects, fnName);
        } catch (err) {
          outcome = { status: 500, message: errorMessage(err), payload: new Uint8Array(0) };
        }
        setActiveInvocation(undefined);
        complete(outcome);
      },
      (err: unknown) => {
        setActiveInvocation(undefined);
        complete({ status: 500, message: errorMessage(err), payload: new Uint8Array(0) });
      },
    );
  };
}
