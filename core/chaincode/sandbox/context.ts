/** fabric-contract-api's transaction `Context`: a fresh one per transaction. */
import type { ClientIdentity } from './client-identity';
import type { ChaincodeLogger } from './logging';
import type { ChaincodeStub } from './stub';

export interface ContextLogging {
  setLevel(level: string): void;
  getLogger(name?: string): ChaincodeLogger;
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
