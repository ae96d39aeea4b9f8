/**
 * fabric-shim's `Shim` entry points. `start(chaincode)` registers a low-level `ChaincodeInterface`
 * with the Weft dispatcher instead of dialing a peer.
 */
import { Buffer } from 'buffer';
import { type ChaincodeLogger, getLogger } from './logging';
import type { ChaincodeStub } from './stub';

export interface ChaincodeResponse {
  status: number;
  message?: string;
  payload?: Uint8Array;
}

export interface ChaincodeInterface {
  Init(stub: ChaincodeStub): Promise<ChaincodeResponse>;
  Invoke(stub: ChaincodeStub): Promise<ChaincodeResponse>;
}

export const RESPONSE_CODE = { OK: 200, ERRORTHRESHOLD: 400, ERROR: 500 };

let started: ChaincodeInterface | undefined;

/** The chaincode a module passed to `shim.start`, if any. */
export function startedChaincode(): ChaincodeInterface | undefined {
  return started;
}

export class Shim {
  static start(chaincode: ChaincodeInterface): void {
    if (typeof chaincode !== 'object' || chaincode === null) throw new Error('Missing required argument: chaincode');
    if (typeof chaincode.Init !== 'function') throw new Error('The chaincode argument must implement the mandatory "Init()" method');
    if (typeof chaincode.Invoke !== 'function') throw new Error('The chaincode argument must implement the mandatory "Invoke()" method');
    started = chaincode;
  }

  static server(chaincode: ChaincodeInterface, _serverOpts?: unknown): { start(): Promise<void> } {
    Shim.start(chaincode);
    return { start: async () => undefined };
  }

  static success(payload?: Uint8Array): ChaincodeResponse {
    return { status: RESPONSE_CODE.OK, payload: payload ? payload : Buffer.from('') };
  }

  static error(msg: string): ChaincodeResponse {
    return { status: RESPONSE_CODE.ERROR, message: msg };
  }

  /** fabric-shim's: a winston-like logger, `shim` when unnamed; its entries reach the peer's log. */
  static newLogger(name?: string): ChaincodeLogger {
    return getLogger(name || 'shim');
  }
}
