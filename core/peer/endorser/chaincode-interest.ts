import type { SimulationFootprint } from '../../ledger/tx-simulator';
import type { ChaincodeCall, ChaincodeInterest } from '../../protocol/chaincode-interest';
import { VALIDATION_PARAMETER } from '../validation/endorsement-policies';

/** Per namespace: the key-level policies of written keys, and per collection ('' = public) whether its own policy is needed. */
interface NamespacePolicies {
  readonly keyPolicies: Uint8Array[];
  readonly required: Map<string, boolean>;
}

/**
 * Fabric's `buildChaincodeInterest` (core/endorser/endorser.go) over one simulation: one call per
 * user chaincode whose policy the transaction needs (with the key-level policies of the keys it
 * writes, and `disregardNamespacePolicy` when every written public key has one), and one per
 * collection it wrote without a key-level policy or read a private value of, by a point read or a
 * range or rich query (`noPrivateReads` when it only wrote or read hashes; unlike Fabric, whose
 * interest misses the queries). A Gateway plans the further endorsements from it. System
 * chaincodes are left out. Calls come in namespace order, the public one first (Fabric's order is
 * its map iteration, i.e. random; the interest is not signed).
 */
export function buildChaincodeInterest(footprint: SimulationFootprint, isSystemChaincode: (name: string) => boolean): ChaincodeInterest {
  const byNamespace = new Map<string, NamespacePolicies>();
  const policiesOf = (namespace: string): NamespacePolicies => {
    let p = byNamespace.get(namespace);
    if (p === undefined) {
      p = { keyPolicies: [], required: new Map([['', false]]) };
      byNamespace.set(namespace, p);
    }
    return p;
  };
  // Fabric's parseWritesetMetadata: a written key with a key-level policy adds it (private keys'
  // to their namespace's too); any other written key needs its collection's (or chaincode's) policy.
  for (const w of footprint.writes) {
    const p = policiesOf(w.namespace);
    const vp = w.metadata?.[VALIDATION_PARAMETER];
    if (vp !== undefined) p.keyPolicies.push(vp);
    else p.required.set(w.collection, true);
  }
  // A namespace only read needs the chaincode's policy, as does a collection a private value was read
  // from; a namespace only privately queried (nothing in its rwset) is named through that collection.
  for (const namespace of footprint.namespaces) if (!byNamespace.has(namespace)) byNamespace.set(namespace, { keyPolicies: [], required: new Map([['', true]]) });
  const privatelyRead = new Set<string>();
  for (const { namespace, collection } of footprint.privateReads) {
    policiesOf(namespace).required.set(collection, true);
    privatelyRead.add(`${namespace}\u0000${collection}`);
  }

  const chaincodes: ChaincodeCall[] = [];
  for (const name of [...byNamespace.keys()].sort()) {
    if (isSystemChaincode(name)) continue;
    const { keyPolicies, required } = byNamespace.get(name) as NamespacePolicies;
    const chaincodePolicy = required.get('') === true;
    if (keyPolicies.length > 0 || chaincodePolicy) {
      chaincodes.push(call(name, { keyPolicies, disregardNamespacePolicy: keyPolicies.length > 0 && !chaincodePolicy }));
    }
    for (const collection of [...required.keys()].filter((c) => c !== '').sort()) {
      chaincodes.push(call(name, { collections: [collection], noPrivateReads: !privatelyRead.has(`${name}\u0000${collection}`) }));
    }
  }
  return { chaincodes };
}

function call(name: string, fields: Partial<ChaincodeCall>): ChaincodeCall {
  return { name, collections: [], noPrivateReads: false, noPublicWrites: false, keyPolicies: [], disregardNamespacePolicy: false, ...fields };
}
