import { TxPvtReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { decodeTxPvtRwSet, encodeTxPvtRwSet } from '../../ledger/private-data';
import type { SignedData } from '../../policy/policy';
import type { Channel } from '../channel/channel';
import type { ChannelResources } from '../channel/channel-resources';
import { type CollectionDefinition, collectionOf, implicitCollectionMspId } from '../lifecycle/collections';
import type { ChaincodeDefinition } from '../lifecycle/lifecycle-state';
import { signerIsMember } from '../privdata/collection-membership';
import type { EndorsementPolicies } from '../validation/endorsement-policies';
import { DefinitionHistory } from './definition-history';

/**
 * One `DeliverWithPrivateData` request's private data filter. Of the private data this peer
 * committed with a block, a collection is sent when, as Fabric's `collPolicyChecker` decides, the
 * chaincode's definition in force for the block (the most recent committed below it, what the
 * block's writers and validation went by) has it and either it is not member-only-read (anyone the
 * event ACL admits may read it, as through the chaincode) or the requester satisfies its member
 * orgs policy; or, as Fabric's private data pull (`filterNotEligible`, which a peer here reaches
 * through this service) also admits, the requester satisfies the member orgs policy of the
 * collection as defined now: an org taken into a collection later reconciles what was written
 * before. Fabric's history holds no implicit org collections (its Deliver fails the stream on
 * one); here one goes to the org's members only, like a member-only-read collection.
 *
 * Membership is decided once per definition and collection for the request (definitions are
 * decoded once each, so the same object stands for the same definition), and decided again after
 * the channel's resources change: a config block committed mid-request is honoured from the next
 * block on.
 */
export class PrivateDataFilter {
  private readonly history: DefinitionHistory;
  private resources: ChannelResources | undefined;
  private members = new WeakMap<ChaincodeDefinition, Map<string, boolean>>();

  constructor(
    private readonly channel: Channel,
    /** Compiles member orgs policies; absent: membership is by MSP id. */
    private readonly policies: Pick<EndorsementPolicies, 'signaturePolicy'> | undefined,
    private readonly signed: SignedData,
    private readonly mspId: string,
  ) {
    this.history = new DefinitionHistory(channel.ledger);
  }

  /** The private data of block `n` the requester may have, by transaction number. */
  forBlock(n: number): Map<number, TxPvtReadWriteSet> {
    const resources = this.channel.resources();
    if (this.resources !== resources) {
      this.resources = resources;
      this.members = new WeakMap();
    }
    const asOfBlock = new Map<string, ChaincodeDefinition | undefined>();
    const current = new Map<string, ChaincodeDefinition | undefined>();
    const definition = (cache: Map<string, ChaincodeDefinition | undefined>, namespace: string, below: number): ChaincodeDefinition | undefined => {
      if (!cache.has(namespace)) cache.set(namespace, this.history.below(namespace, below));
      return cache.get(namespace);
    };
    const eligible = (namespace: string, name: string): boolean => {
      const then = definition(asOfBlock, namespace, n);
      const c = then === undefined ? undefined : collectionOf(then, name);
      if (c !== undefined && !c.memberOnlyRead && implicitCollectionMspId(name) === undefined) return true;
      if (then !== undefined && this.isMember(resources, then, name)) return true;
      const now = definition(current, namespace, Number.POSITIVE_INFINITY);
      return now !== undefined && now !== then && this.isMember(resources, now, name);
    };
    const out = new Map<number, TxPvtReadWriteSet>();
    for (const [txNum, bytes] of this.channel.ledger.getPrivateDataByBlock(n)) {
      const sent = decodeTxPvtRwSet(bytes).filter((c) => eligible(c.namespace, c.collection));
      if (sent.length > 0) out.set(txNum, TxPvtReadWriteSet.deserializeBinary(encodeTxPvtRwSet(sent)));
    }
    return out;
  }

  private isMember(resources: ChannelResources, definition: ChaincodeDefinition, name: string): boolean {
    let known = this.members.get(definition);
    if (known === undefined) {
      known = new Map();
      this.members.set(definition, known);
    }
    let answer = known.get(name);
    if (answer === undefined) {
      const c = collectionOf(definition, name);
      answer = c !== undefined && this.satisfies(resources, c);
      known.set(name, answer);
    }
    return answer;
  }

  /**
   * A member orgs policy that does not compile (stored by a definition `_lifecycle` did not judge)
   * admits no one, as Fabric's membership provider treats it; Fabric's Deliver would fail the
   * stream, and with it every pull of the block's other collections from this peer.
   */
  private satisfies(resources: ChannelResources, c: CollectionDefinition): boolean {
    try {
      return signerIsMember(this.policies, resources, c, this.signed, this.mspId);
    } catch {
      return false;
    }
  }
}
