import { PolicyError } from '../../errors';
import type { Policy, PolicyProvider } from '../../policy/policy';
import { toHex } from '../../protocol/bytes';
import type { ChannelResources } from '../channel/channel-resources';
import type { PeerLedger } from '../channel/peer-ledger';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { LIFECYCLE_NAMESPACE } from '../lifecycle/lifecycle-state';
import { decodeStateMetadata } from '../../ledger/state-metadata';
import type { CollectionWrites, NamespaceWrites } from './rwset-writes';
import { collectionOf, implicitCollectionEndorsementPolicy, implicitCollectionMspId, lifecycleEndorsementPolicy } from '../lifecycle/collections';
import type { ChaincodeDefinition } from '../lifecycle/lifecycle-state';
import { hashedNamespace } from '../../ledger/private-data';

/** Fabric's key-level endorsement policy metadata name. */
export const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';

/** One policy a transaction must satisfy, with what it protects (for error messages). */
export interface RequiredPolicy {
  readonly policy: Policy;
  readonly what: string;
}

export type PolicyRequirement = { readonly ok: true; readonly policies: RequiredPolicy[] } | { readonly ok: false; readonly code: number; readonly reason: string };

const TX_ENDORSEMENT_POLICY_FAILURE = 10;
const TX_INVALID_CHAINCODE = 25;

/**
 * A policy from ledger state that does not compile (bytes a chaincode stored with
 * `setStateValidationParameter`, or a definition's validation parameter) or names a policy the
 * channel lacks. Every peer reads the same bytes and fails the same way, so, as Fabric's policy
 * evaluator does, the transaction fails ENDORSEMENT_POLICY_FAILURE and the channel goes on; a throw
 * would stop every peer's commits at that block.
 */
function compiled(compile: () => Policy): Policy | PolicyError {
  try {
    return compile();
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
}

function unusable(what: string, err: PolicyError): PolicyRequirement & { ok: false } {
  return { ok: false, code: TX_ENDORSEMENT_POLICY_FAILURE, reason: `${what} cannot be used: ${err.message}` };
}

/**
 * Works out which endorsement policies a transaction's writes must satisfy, as Fabric's default
 * validation plugin does: a key with a key-level policy (`VALIDATION_PARAMETER` metadata) answers
 * to that policy; other keys to their chaincode definition's policy; `_lifecycle` writes follow
 * its rules (an org's approval needs that org, a definition needs `LifecycleEndorsement`).
 * Policies are compiled once per (channel config, policy bytes) and cached.
 */
export class EndorsementPolicies {
  /** Compiled policies per channel config (a new config gets a fresh cache; old ones are collected). */
  private readonly compiled = new WeakMap<ChannelResources, Map<string, Policy>>();
  private readonly lifecycle = new LifecycleCache();

  constructor(private readonly policyProvider: PolicyProvider) {}

  /**
   * `invoked` is the chaincode the transaction header names: it is validated as every written
   * namespace is, as in Fabric's dispatcher (`wrNamespace[ccID] = true`), even when the
   * transaction writes only other chaincodes' namespaces or nothing at all. A namespace with no
   * chaincode definition fails INVALID_CHAINCODE; that includes the system chaincodes (`qscc`,
   * `cscc`, `lscc`, …), which Fabric's lookup (`_lifecycle`, then legacy `lscc` state) does not
   * find either. `_lifecycle` is defined, with `LifecycleEndorsement` as its chaincode policy.
   */
  requirementsFor(writes: readonly NamespaceWrites[], resources: ChannelResources, ledger: PeerLedger, invoked?: string): PolicyRequirement {
    const policies: RequiredPolicy[] = [];
    const effective: (NamespaceWrites & { readonly invokedOnly?: boolean })[] =
      invoked !== undefined && !writes.some((w) => w.namespace === invoked)
        ? [{ namespace: invoked, keys: [], metadataKeys: [], collections: [], invokedOnly: true }, ...writes]
        : [...writes];
    for (const ns of effective) {
      if (ns.namespace === LIFECYCLE_NAMESPACE) {
        const r = this.lifecyclePolicies(ns, resources, ledger);
        if (!r.ok) return r;
        policies.push(...r.policies);
        continue;
      }
      const definition = this.lifecycle.definition(ledger, ns.namespace);
      if (definition === undefined) {
        return { ok: false, code: TX_INVALID_CHAINCODE, reason: `chaincode ${ns.namespace} is not defined on the channel` };
      }
      let needsChaincodePolicy = ns.invokedOnly === true;
      for (const key of new Set([...ns.keys, ...ns.metadataKeys])) {
        const meta = decodeStateMetadata(ledger.getStateMetadata(ns.namespace, key));
        const vp = meta?.[VALIDATION_PARAMETER];
        if (vp !== undefined && vp.length > 0) {
          const what = `key-level policy of ${ns.namespace}/${key}`;
          const policy = compiled(() => this.signaturePolicy(vp, resources));
          if (!(policy instanceof PolicyError)) policies.push({ policy, what });
          else return unusable(what, policy);
        } else {
          needsChaincodePolicy = true;
        }
      }
      for (const coll of ns.collections) {
        const r = this.collectionPolicies(ns.namespace, coll, definition, resources, ledger);
        if (!r.ok) return r;
        policies.push(...r.policies);
        if (r.needsChaincodePolicy) needsChaincodePolicy = true;
      }
      if (needsChaincodePolicy) {
        const what = `endorsement policy of chaincode ${ns.namespace}`;
        const policy = compiled(() => this.applicationPolicy(definition.validationParameter, resources));
        if (!(policy instanceof PolicyError)) policies.push({ policy, what });
        else return unusable(what, policy);
      }
    }
    return { ok: true, policies };
  }

  /**
   * Fabric's rules for a collection's writes: the collection must be defined for the chaincode (or
   * be an implicit org collection of the channel); a key with a key-level policy (kept with its
   * hash) answers to it, other keys to the collection's endorsement policy, or, without one, to the
   * chaincode's.
   */
  private collectionPolicies(
    namespace: string,
    coll: CollectionWrites,
    definition: Pick<ChaincodeDefinition, 'collections'>,
    resources: ChannelResources,
    ledger: PeerLedger,
  ): (PolicyRequirement & { readonly ok: false }) | { readonly ok: true; readonly policies: RequiredPolicy[]; readonly needsChaincodePolicy: boolean } {
    const policies: RequiredPolicy[] = [];
    const collection = collectionOf(definition, coll.collection);
    const implicitOrg = implicitCollectionMspId(coll.collection);
    const own = implicitOrg !== undefined ? implicitCollectionEndorsementPolicy(resources, implicitOrg) : collection?.endorsementPolicy;
    if (collection === undefined || (implicitOrg !== undefined && own === undefined)) {
      return { ok: false, code: TX_ENDORSEMENT_POLICY_FAILURE, reason: `collection ${coll.collection} is not defined for chaincode ${namespace}` };
    }
    let needsCollectionPolicy = false;
    const hashedNs = hashedNamespace(namespace, coll.collection);
    for (const keyHash of new Set([...coll.keyHashes, ...coll.metadataKeyHashes])) {
      const vp = decodeStateMetadata(ledger.getStateMetadata(hashedNs, keyHash))?.[VALIDATION_PARAMETER];
      if (vp !== undefined && vp.length > 0) {
        const what = `key-level policy of ${namespace}/${coll.collection}/<hash ${keyHash.slice(0, 16)}…>`;
        const policy = compiled(() => this.signaturePolicy(vp, resources));
        if (policy instanceof PolicyError) return unusable(what, policy);
        policies.push({ policy, what });
      } else needsCollectionPolicy = true;
    }
    if (!needsCollectionPolicy || own === undefined) return { ok: true, policies, needsChaincodePolicy: needsCollectionPolicy };
    const what = `endorsement policy of collection ${coll.collection} of chaincode ${namespace}`;
    const policy = compiled(() => this.applicationPolicy(own, resources));
    if (policy instanceof PolicyError) return unusable(what, policy);
    policies.push({ policy, what });
    return { ok: true, policies, needsChaincodePolicy: false };
  }

  /** The endorsement policy of a chaincode definition (used by the Gateway's planning too). */
  applicationPolicy(validationParameter: Uint8Array, resources: ChannelResources): Policy {
    return this.cached(resources, `ap:${toHex(validationParameter)}`, () =>
      this.policyProvider.newApplicationPolicy(validationParameter, resources.policies, resources.deserializer),
    );
  }

  /** A `SignaturePolicyEnvelope` (a collection's member orgs or endorsement policy), compiled once per channel config. */
  signaturePolicy(envelope: Uint8Array, resources: ChannelResources): Policy {
    return this.cached(resources, `sp:${toHex(envelope)}`, () => this.policyProvider.newSignaturePolicy(envelope, resources.deserializer));
  }

  private cached(resources: ChannelResources, key: string, compile: () => Policy): Policy {
    let cache = this.compiled.get(resources);
    if (cache === undefined) {
      cache = new Map();
      this.compiled.set(resources, cache);
    }
    let p = cache.get(key);
    if (p === undefined) {
      p = compile();
      cache.set(key, p);
    }
    return p;
  }

  /**
   * `_lifecycle`'s rules, as Fabric's validator applies them through its `ValidationInfo` and
   * `CollectionValidationInfo`: a public key (a committed definition) answers to a key-level policy
   * or to `LifecycleEndorsement`; a write into an org's implicit collection (an org's approval)
   * answers to that org's own endorsement policy, and `_lifecycle` has no other collection.
   * `LifecycleEndorsement` is also checked when nothing else was (the transaction invoked
   * `_lifecycle` and wrote none of it: Fabric's `CheckCCEPIfNoEPChecked`). A channel without a
   * `LifecycleEndorsement` policy (upgraded from v1.x) gets Fabric's default, a majority of orgs.
   */
  private lifecyclePolicies(ns: NamespaceWrites & { readonly invokedOnly?: boolean }, resources: ChannelResources, ledger: PeerLedger): PolicyRequirement {
    const policies: RequiredPolicy[] = [];
    let needsLifecycle = ns.invokedOnly === true;
    for (const key of new Set([...ns.keys, ...ns.metadataKeys])) {
      const vp = decodeStateMetadata(ledger.getStateMetadata(LIFECYCLE_NAMESPACE, key))?.[VALIDATION_PARAMETER];
      if (vp === undefined || vp.length === 0) {
        needsLifecycle = true;
        continue;
      }
      const what = `key-level policy of ${LIFECYCLE_NAMESPACE}/${key}`;
      const policy = compiled(() => this.signaturePolicy(vp, resources));
      if (policy instanceof PolicyError) return unusable(what, policy);
      policies.push({ policy, what });
    }
    for (const coll of ns.collections) {
      const r = this.collectionPolicies(LIFECYCLE_NAMESPACE, coll, { collections: [] }, resources, ledger);
      if (!r.ok) return r;
      policies.push(...r.policies);
      if (r.needsChaincodePolicy) needsLifecycle = true;
    }
    if (needsLifecycle) {
      const what = ns.invokedOnly === true ? `${LIFECYCLE_NAMESPACE} invoked without writes (LifecycleEndorsement)` : 'chaincode definition (LifecycleEndorsement)';
      const policy = compiled(() => this.applicationPolicy(lifecycleEndorsementPolicy(resources), resources));
      if (policy instanceof PolicyError) return unusable(what, policy);
      policies.push({ policy, what });
    }
    return { ok: true, policies };
  }
}
