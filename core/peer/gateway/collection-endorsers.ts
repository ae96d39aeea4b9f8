import type { ChaincodeInterest } from '../../protocol/chaincode-interest';
import type { CollectionDefinition } from '../lifecycle/collections';

/** Which orgs' peers the Gateway may ask to endorse a transaction that touches private data collections. */
export interface CollectionEndorsers {
  /** Whether `mspId` is a member org of every collection that restricts the endorsers. */
  admits(mspId: string): boolean;
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
  const protectedCollections: string[] = [];
  for (const call of interest?.chaincodes ?? []) {
    if (call.collections.length === 0 || (call.noPrivateReads && !hasTransientData)) continue;
    if (call.noPrivateReads) protectedCollections.push(...call.collections);
    for (const name of call.collections) memberSets.push(new Set(collectionOf(call.name, name)?.memberMspIds ?? []));
  }
  return {
    admits: (mspId) => memberSets.every((members) => members.has(mspId)),
    protectedCollections,
  };
}

/** Fabric's Gateway refusal when the collections' members alone cannot endorse a proposal with transient data. */
export function transientDataRefusal(protectedCollections: readonly string[]): string {
  return `requires endorsement from organisation(s) that are not in the distribution policy of the private data collection(s): [${protectedCollections.join(' ')}]; retry specifying trusted endorsing organizations to protect transient data`;
}
