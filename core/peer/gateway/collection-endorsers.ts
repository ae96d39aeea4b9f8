import type { ChaincodeInterest } from '../../protocol/chaincode-interest';
import type { CollectionDefinition } from '../lifecycle/collections';

/** Which orgs' peers the Gateway may ask to endorse a transaction that touches private data collections. */
export interface CollectionEndorsers {
  /** Whether `mspId` is a member org of every collection that restricts the endorsers. */
  admits(mspId: string): boolean;
  /**
   * The collections the transaction read private values of that `mspId` is not a member org of,
   * in the interest's order: a peer of that org answered from data it does not hold (a private
   * query of a non-member finds nothing), so its answer must not be the one used.
   */
  unheldBy(mspId: string): readonly string[];
  /**
   * Collections that restrict the endorsers only to keep the proposal's transient data among their
   * members (the transaction did not read their private values): the ones Fabric names when that
   * restriction leaves the endorsement policy unsatisfiable.
   */
  readonly protectedCollections: readonly string[];
}

/**
 * Fabric's Gateway planning (`planFromFirstEndorser`) with discovery's collection filter, from the
 * first endorsement's `ChaincodeInterest`: a collection the transaction read a private value of
 * can be endorsed only by its members (others do not hold the value), and when the proposal
 * carries transient data every collection it touches is treated so, to keep that data among the
 * collection's members. Membership is by MSP id (a principal of the collection's member orgs
 * policy names the org): the Gateway knows the other peers by org, not by certificate. A
 * collection the chaincode does not define admits no one. Without an interest (an endorser that
 * sends none) nothing is restricted, as Fabric's default interest names the chaincode alone.
 */
export function collectionEndorsers(
  interest: ChaincodeInterest | undefined,
  hasTransientData: boolean,
  collectionOf: (chaincode: string, collection: string) => CollectionDefinition | undefined,
): CollectionEndorsers {
  const memberSets: ReadonlySet<string>[] = [];
  const read: { readonly name: string; readonly members: ReadonlySet<string> }[] = [];
  const protectedCollections: string[] = [];
  for (const call of interest?.chaincodes ?? []) {
    if (call.collections.length === 0 || (call.noPrivateReads && !hasTransientData)) continue;
    if (call.noPrivateReads) protectedCollections.push(...call.collections);
    for (const name of call.collections) {
      const members = new Set(collectionOf(call.name, name)?.memberMspIds ?? []);
      memberSets.push(members);
      if (!call.noPrivateReads) read.push({ name, members });
    }
  }
  return {
    admits: (mspId) => memberSets.every((members) => members.has(mspId)),
    unheldBy: (mspId) => read.filter((c) => !c.members.has(mspId)).map((c) => c.name),
    protectedCollections,
  };
}

/** Fabric's Gateway refusal when the collections' members alone cannot endorse a proposal with transient data. */
export function transientDataRefusal(protectedCollections: readonly string[]): string {
  return `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${protectedCollections.join(' ')}]; retry specifying trusted endorsing organizations to protect transient data`;
}

/**
 * The Gateway's refusal when the transaction read private data and no peer of an org that holds it
 * answered: the peers asked first (the gateway's org) are not members, and every member peer failed
 * or could not be reached. Fabric's Gateway would return the non-member's answer.
 */
export function privateReadRefusal(collections: readonly string[], action: 'endorse' | 'evaluate'): string {
  const done = action === 'endorse' ? 'endorsed' : 'evaluated';
  return `failed to ${action} transaction: it reads private data of collection(s) [${collections.join(' ')}], and no peer of their member organisation(s) ${done} it, see attached details for more info`;
}

/** An {@link privateReadRefusal}'s detail for a peer of a non-member org that answered: why its answer was not used. */
export function unheldAnswer(collections: readonly string[]): string {
  return `answer not used: this peer's organisation is not a member of private data collection(s) [${collections.join(' ')}], whose data the transaction reads`;
}
