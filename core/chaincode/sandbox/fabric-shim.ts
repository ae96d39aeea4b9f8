/** What `require('fabric-shim')` (and `fabric-shim-api`) resolves to inside a Weft bundle. */
import { ClientIdentity } from './client-identity';
import { HistoryQueryIterator, StateQueryIterator } from './iterators';
import { KeyEndorsementPolicy } from './key-endorsement-policy';
import { RESPONSE_CODE, Shim } from './shim';
import { ChaincodeStub } from './stub';

/** fabric-shim's base class for low-level chaincode (`class Chaincode extends shim.ChaincodeInterface`); its methods answer nothing. */
export class ChaincodeInterface {
  async Init(_stub: ChaincodeStub): Promise<unknown> {
    return undefined;
  }
  async Invoke(_stub: ChaincodeStub): Promise<unknown> {
    return undefined;
  }
}

// fabric-shim's stub module exports the class with the codes on it: `shim.ChaincodeStub.RESPONSE_CODE`.
Object.assign(ChaincodeStub, { RESPONSE_CODE });

export { ChaincodeStub, ChaincodeStub as Stub, ClientIdentity, KeyEndorsementPolicy, RESPONSE_CODE, Shim };
export const Iterators = { StateQueryIterator, HistoryQueryIterator };
export { StateQueryIterator, HistoryQueryIterator };
export const start = Shim.start;
export const server = Shim.server;
export const success = Shim.success;
export const error = Shim.error;
export const newLogger = Shim.newLogger;
// `const shim = require('fabric-shim'); shim.start(...)` and `import shim from 'fabric-shim'` both work.
export default Object.assign(Shim, { ChaincodeStub, Stub: ChaincodeStub, ClientIdentity, KeyEndorsementPolicy, RESPONSE_CODE, Iterators, Shim, ChaincodeInterface, StateQueryIterator, HistoryQueryIterator });
