import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { ChaincodeError } from '../../../core/errors';
import { describeCollections } from '../../../core/peer/lifecycle/collections';
import type { CommittedDefinition, EndorsementPolicyRef } from './lifecycle';
import { shellWord } from '../../../core/node/shell-word';

/** The policy a definition gets without `--policy` (see `validationParameter`). */
const DEFAULT_POLICY = '/Channel/Application/Endorsement';

function policyText(p: EndorsementPolicyRef): string {
  return 'signaturePolicy' in p ? p.signaturePolicy : p.channelConfigPolicy;
}

/**
 * Checks a new definition of a committed chaincode (an upgrade, or a new org approving the
 * committed one) against what is committed, before anything is installed or approved. A definition
 * states its policy and collections whole, as Fabric's `approveformyorg` does, so leaving a flag
 * out does not mean "as before":
 * - a new definition without `--policy` gets the channel's default policy: a committed one that
 *   differs is said in a warning (returned), with the flag that keeps it;
 * - Fabric refuses a definition that drops a committed collection, but only at approval, after the
 *   package went to every peer, and in words that do not say which: refused here with
 *   `COLLECTIONS_DROPPED` (field `--collections-config`), naming the collections left out.
 */
export function checkAgainstCommitted(
  committed: CommittedDefinition | undefined,
  o: { readonly name: string; readonly policy?: string; readonly collections?: CollectionConfigPackage },
  dir: string,
): string[] {
  if (committed === undefined) return [];
  const defined = `${o.name}'s committed definition (version ${committed.version}, sequence ${committed.sequence})`;
  const given = new Set(describeCollections(o.collections).map((c) => c.name));
  const dropped = committed.collections.map((c) => c.name).filter((name) => !given.has(name));
  if (dropped.length > 0) {
    const plural = dropped.length > 1;
    throw new ChaincodeError(
      'COLLECTIONS_DROPPED',
      `${defined} has the private data collection${plural ? 's' : ''} ${dropped.join(', ')}, which ${o.collections === undefined ? 'this definition would drop (no --collections-config was given)' : 'the --collections-config file leaves out'}: Fabric refuses a definition that removes a collection`,
      {
        field: '--collections-config',
        chaincode: o.name,
        committedCollections: committed.collections.map((c) => c.name),
        dropped,
        suggestions: [
          `pass --collections-config <file> holding ${plural ? 'each of them' : 'it'} as committed (the file the last deploy used), with any new collection added`,
          `see the committed collections: weft chaincode query-committed ${shellWord(dir)} --name ${o.name} --json`,
        ],
      },
    );
  }
  const committedPolicy = policyText(committed.endorsementPolicy);
  if (o.policy === undefined && committedPolicy !== DEFAULT_POLICY) {
    return [`${defined} has the endorsement policy ${committedPolicy}; without --policy this one gets the channel's default (${DEFAULT_POLICY}): to keep it, pass --policy "${committedPolicy}"`];
  }
  return [];
}
