import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { bytesEqual, toHex } from '../../protocol/bytes';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { channelMembership, checkCollectionEndorsementPolicies, checkCollectionsAgainstCommitted } from './collection-rules';
import { parseCollections } from './collections';
import { type Approval, type ChaincodeDefinition, DEFAULT_ENDORSEMENT_POLICY_REF, defaultValidationParameter } from './lifecycle-state';

/**
 * The checks Fabric's `_lifecycle` applies to a definition before it touches state (`scc.go`
 * `validateInput`, `lifecycle.go` `ApproveChaincodeDefinitionForOrg` / `CheckCommitReadiness` /
 * `SetChaincodeDefinitionDefaults`), with Fabric's messages: tools and people match on them.
 * Each throws `PeerError` (`PEER_LIFECYCLE`); the SCC turns it into a failed response.
 */

const NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;
const VERSION = /^[A-Za-z0-9_.+-]+$/;
/** Names of Fabric's system chaincodes, which a user chaincode may not take. */
const SYSTEM_CHAINCODES = new Set(['cscc', 'escc', 'lscc', 'qscc', 'vscc']);

function lifecycleError(message: string, details: Record<string, unknown> = {}): PeerError {
  return new PeerError('PEER_LIFECYCLE', message, details);
}

/**
 * Fabric's `validateInput` for Approve and Commit: a valid name that is not a system chaincode's,
 * a valid version, and collections Fabric accepts on this channel that keep every collection of
 * the `committed` definition (whatever sequence is being defined).
 */
export function validateDefinitionInput(
  name: string,
  version: string,
  collections: CollectionConfigPackage | undefined,
  channel: Channel,
  committed: ChaincodeDefinition | undefined,
): void {
  const invalid = (message: string, details: Record<string, unknown>): PeerError => lifecycleError(`error validating chaincode definition: ${message}`, details);
  if (!NAME.test(name)) {
    throw invalid(`invalid chaincode name '${name}'. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics`, { name });
  }
  if (SYSTEM_CHAINCODES.has(name)) throw invalid(`chaincode name '${name}' is the name of a system chaincode`, { name });
  if (!VERSION.test(version)) {
    throw invalid(`invalid chaincode version '${version}'. Versions can only consist of alphanumerics, '_', '-', '+', and '.'`, { version });
  }
  try {
    // Fabric checks each collection's members against the channel inside its per-collection loop.
    const proposed = parseCollections(collections, channelMembership(channel));
    checkCollectionsAgainstCommitted(proposed, committed?.collections ?? []);
    checkCollectionEndorsementPolicies(proposed, channel);
  } catch (err) {
    if (err instanceof PeerError && err.code === 'PEER_LIFECYCLE') throw invalid(err.message, err.details);
    throw err;
  }
}

/** Fabric's sequence rules for an approval: the committed sequence (unchanged) or the next one. */
export function checkApprovalSequence(requested: number, current: number): void {
  if (requested === 0 && current === 0) throw lifecycleError('requested sequence is 0, but first definable sequence number is 1');
  if (requested < current) throw lifecycleError(`currently defined sequence ${current} is larger than requested sequence ${requested}`);
  if (requested > current + 1) throw lifecycleError(`requested sequence ${requested} is larger than the next available sequence number ${current + 1}`);
}

/** CheckCommitReadiness and Commit take exactly the next sequence. */
export function checkNextSequence(requested: number, current: number): void {
  if (requested !== current + 1) throw lifecycleError(`requested sequence is ${requested}, but new definition must be sequence ${current + 1}`);
}

/**
 * Fabric's `SetChaincodeDefinitionDefaults`: plugins `escc`/`vscc`, and the channel's
 * `/Channel/Application/Endorsement` policy, which must exist when a definition names no policy.
 */
export function withDefaults(d: ChaincodeDefinition, channel: Channel): ChaincodeDefinition {
  let validationParameter = d.validationParameter;
  if (validationParameter.length === 0) {
    if (channel.resources().policies.getPolicy(DEFAULT_ENDORSEMENT_POLICY_REF) === undefined) {
      throw lifecycleError(
        `could not set defaults for chaincode definition in channel ${channel.id}: ` +
          `policy '${DEFAULT_ENDORSEMENT_POLICY_REF}' must be defined for channel '${channel.id}' before chaincode operations can be attempted`,
        { channelId: channel.id, policy: DEFAULT_ENDORSEMENT_POLICY_REF },
      );
    }
    validationParameter = defaultValidationParameter();
  }
  return {
    ...d,
    endorsementPlugin: d.endorsementPlugin || 'escc',
    validationPlugin: d.validationPlugin || 'vscc',
    validationParameter,
  };
}

/** Fabric's `ChaincodeParameters.Equal`: the first parameter that differs, or undefined. */
export function parameterMismatch(expected: ChaincodeDefinition, passed: ChaincodeDefinition): string | undefined {
  if (expected.version !== passed.version) return `expected Version '${expected.version}' does not match passed Version '${passed.version}'`;
  if (expected.endorsementPlugin !== passed.endorsementPlugin) {
    return `expected EndorsementPlugin '${expected.endorsementPlugin}' does not match passed EndorsementPlugin '${passed.endorsementPlugin}'`;
  }
  if (expected.initRequired !== passed.initRequired) {
    return `expected InitRequired '${expected.initRequired}' does not match passed InitRequired '${passed.initRequired}'`;
  }
  if (expected.validationPlugin !== passed.validationPlugin) {
    return `expected ValidationPlugin '${expected.validationPlugin}' does not match passed ValidationPlugin '${passed.validationPlugin}'`;
  }
  if (toHex(expected.validationParameter) !== toHex(passed.validationParameter)) {
    return `expected ValidationParameter '${toHex(expected.validationParameter)}' does not match passed ValidationParameter '${toHex(passed.validationParameter)}'`;
  }
  if (!bytesEqual(expected.collectionsBytes, passed.collectionsBytes)) return 'Collections do not match';
  return undefined;
}

/**
 * What an approval may change, as in Fabric's `ApproveChaincodeDefinitionForOrg`: at the committed
 * sequence only the package (the parameters must equal the committed ones); at the next sequence
 * anything. Re-approving the same parameters with the same package would write nothing new and is
 * refused. `packageId` is '' for an approval without a package.
 */
export function checkApprovalChange(
  def: ChaincodeDefinition,
  packageId: string,
  committed: ChaincodeDefinition | undefined,
  existing: Approval | undefined,
): void {
  const unchanged = existing !== undefined && parameterMismatch(existing.definition, def) === undefined && (existing.packageId ?? '') === packageId;
  if (committed !== undefined && def.sequence === committed.sequence) {
    const mismatch = parameterMismatch(committed, def);
    if (mismatch !== undefined) {
      throw lifecycleError(`attempted to redefine the current committed sequence (${committed.sequence}) for namespace ${def.name} with different parameters: ${mismatch}`);
    }
    if (unchanged) throw lifecycleError(`attempted to redefine the current committed sequence (${committed.sequence}) for namespace ${def.name}`);
    return;
  }
  if (unchanged) throw lifecycleError(`attempted to redefine uncommitted sequence (${def.sequence}) for namespace ${def.name} with unchanged content`);
}
