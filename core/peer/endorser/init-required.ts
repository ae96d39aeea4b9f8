import { PEER_RESERVED_KEY_PREFIX } from '../../ledger/ledger-keys';
import type { TxSimulator } from '../../ledger/tx-simulator';
import { bytesEqual } from '../../protocol/bytes';
import type { ChaincodeDefinition } from '../lifecycle/lifecycle-state';
import { PeerError } from '../peer-error';

/**
 * The key, in the chaincode's own namespace, holding the definition version that was initialized:
 * Fabric's `InitializedKeyName` ("\x00" + U+10FFFF + "initialized"), byte for byte, since Weft and
 * Fabric peers of one channel read and write the same key (an Init endorsed by either, and every
 * later call checked by both). `createCompositeKey` rejects U+10FFFF, so chaincode cannot produce
 * the key that way, nor match it with a partial composite-key query.
 */
export const INITIALIZED_KEY = `${PEER_RESERVED_KEY_PREFIX}initialized`;

/**
 * Where Weft peers before they wrote Fabric's key recorded an Init (Fabric's key and a U+0000). A
 * chaincode initialised then still runs: an invocation reads it when Fabric's key is absent. An Init
 * does not read it, so its read set stays Fabric's (an Init on such a chaincode runs again, as it
 * would on a Fabric peer of the channel).
 */
const LEGACY_INITIALIZED_KEY = `${INITIALIZED_KEY}\u0000`;

/**
 * Fabric's `ChaincodeSupport.CheckInvocation` for `init_required` definitions: until an `Init`
 * (proposal `ChaincodeInput.is_init`) has run for the definition's version, every other invocation
 * fails; a second `Init` fails; `is_init` on a definition without `init_required` fails. The `Init`
 * records the version under {@link INITIALIZED_KEY}; every check reads it through the simulator, so
 * two concurrent `Init`s conflict at commit (MVCC). Called once per user chaincode invocation,
 * including chaincode-to-chaincode callees (never an `Init`). Throws `PEER_INIT_REQUIRED`.
 */
export function checkInitInvocation(simulator: TxSimulator, name: string, definition: ChaincodeDefinition, isInit: boolean): void {
  let needsInit = false;
  if (definition.initRequired) {
    const value = simulator.getState(name, INITIALIZED_KEY) ?? (isInit ? undefined : simulator.getState(name, LEGACY_INITIALIZED_KEY));
    needsInit = value === undefined || !bytesEqual(value, Buffer.from(definition.version, 'utf8'));
  }
  if (isInit) {
    if (!definition.initRequired) {
      throw new PeerError('PEER_INIT_REQUIRED', `chaincode '${name}' does not require initialization but called as init`, { chaincode: name });
    }
    if (!needsInit) {
      throw new PeerError('PEER_INIT_REQUIRED', `chaincode '${name}' is already initialized but called as init`, { chaincode: name, version: definition.version });
    }
    simulator.setState(name, INITIALIZED_KEY, Buffer.from(definition.version, 'utf8'));
    return;
  }
  if (needsInit) {
    throw new PeerError('PEER_INIT_REQUIRED', `chaincode '${name}' has not been initialized for this version, must call as init first`, {
      chaincode: name,
      version: definition.version,
    });
  }
}
