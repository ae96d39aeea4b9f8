/** fabric-contract-api's transaction `Context`: a fresh one per transaction. */
import type { ClientIdentity } from './client-identity';
import type { ChaincodeStub } from './stub';

export interface ContractLogger {
  info(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  verbose(...args: unknown[]): void;
}

export interface ContextLogging {
  setLevel(level: string): void;
  getLogger(name?: string): ContractLogger;
}

export class Context {
  stub!: ChaincodeStub;
  clientIdentity!: ClientIdentity;
  logging!: ContextLogging;

  setChaincodeStub(stub: ChaincodeStub): void {
    this.stub = stub;
  }
  setClientIdentity(clientIdentity: ClientIdentity): void {
    this.clientIdentity = clientIdentity;
  }
}
