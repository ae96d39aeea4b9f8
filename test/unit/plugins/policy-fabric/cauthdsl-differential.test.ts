/**
 * FabricSignaturePolicy (lazy verification, early exit of hopeless gates, leaves marking in place)
 * against a literal transcription of Fabric's evaluation: `SignatureSetToValidIdentities` (dedup by
 * msp id + id before verifying, verify every signature up front) then `cauthdsl.compile`'s closures
 * (each child on a copy of `used`, copied back on success, every child evaluated). Random policies
 * and signature sets with duplicates, aliases, forgeries, revoked and unknown signers; a seeded
 * generator so a failure reproduces.
 */
import { SignaturePolicy, type SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { Identity, SigningIdentity } from '../../../../core/msp';
import { nOutOf, rolePrincipal, signedBy, type SignedData } from '../../../../core/policy';
import { ConformanceMsp, type ConformanceRole } from '../../../../core/policy/conformance-msp';
import { FabricSignaturePolicy } from '../../../../plugins/policy-fabric';
import { SignaturePolicyEnvelope as Envelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';

const DATA = new TextEncoder().encode('proposal response');

/** mulberry32: small, seeded, good enough to spread cases. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fabric: `SignatureSetToValidIdentities` then `compile`'s evaluator, transcribed. */
function fabricEvaluate(envelope: SignaturePolicyEnvelope, set: readonly SignedData[], msp: ConformanceMsp): boolean {
  const seen = new Set<string>();
  const ids: Identity[] = [];
  for (const sd of set) {
    let id: Identity;
    try {
      id = msp.deserializeIdentity(sd.identity);
    } catch {
      continue;
    }
    const key = id.mspId + id.id;
    if (seen.has(key)) continue;
    if (!id.verify(sd.data, sd.signature)) continue;
    seen.add(key);
    ids.push(id);
  }
  const principals = envelope.getIdentitiesList();
  const satisfies = (id: Identity, p: MSPPrincipal): boolean => {
    try {
      return id.satisfiesPrincipal(p);
    } catch {
      return false;
    }
  };
  const compile = (rule: SignaturePolicy): ((used: boolean[]) => boolean) => {
    if (rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY) {
      const p = principals[rule.getSignedBy()] as MSPPrincipal;
      return (used) => {
        for (let i = 0; i < ids.length; i++) {
          if (used[i]) continue;
          if (!satisfies(ids[i] as Identity, p)) continue;
          used[i] = true;
          return true;
        }
        return false;
      };
    }
    const gate = rule.getNOutOf() as SignaturePolicy.NOutOf;
    const children = gate.getRulesList().map(compile);
    return (used) => {
      let verified = 0;
      for (const child of children) {
        const copy = [...used];
        if (child(copy)) {
          verified++;
          copy.forEach((v, i) => (used[i] = v));
        }
      }
      return verified >= gate.getN();
    };
  };
  return compile(envelope.getRule() as SignaturePolicy)(ids.map(() => false));
}

describe('FabricSignaturePolicy = Fabric cauthdsl, differential', () => {
  const msp = new ConformanceMsp();
  const roles: ConformanceRole[] = ['peer', 'client', 'admin'];
  const signers: SigningIdentity[] = [];
  for (const org of ['Org1MSP', 'Org2MSP']) for (const role of roles) for (let k = 0; k < 2; k++) signers.push(msp.createIdentity(org, role));
  const revoked = msp.createIdentity('Org1MSP', 'peer');
  msp.revoke(revoked);
  const principalPool: MSPPrincipal[] = [];
  for (const org of ['Org1MSP', 'Org2MSP']) for (const role of ['member', 'peer', 'client', 'admin'] as const) principalPool.push(rolePrincipal(org, role));

  function randomPolicy(rand: () => number): SignaturePolicyEnvelope {
    const identities: MSPPrincipal[] = [];
    const rule = (depth: number): SignaturePolicy => {
      if (depth >= 3 || rand() < 0.45) {
        identities.push(principalPool[Math.floor(rand() * principalPool.length)] as MSPPrincipal);
        return signedBy(identities.length - 1);
      }
      const count = 1 + Math.floor(rand() * 4);
      const children = Array.from({ length: count }, () => rule(depth + 1));
      return nOutOf(Math.floor(rand() * (count + 2)), children);
    };
    const env = new Envelope();
    env.setRule(rule(0));
    env.setIdentitiesList(identities);
    return env;
  }

  // Signing is the slow part: one good and one forged signature per signer, reused.
  const good = new Map<SigningIdentity, Uint8Array>([...signers, revoked].map((s) => [s, s.sign(DATA)]));
  const forged = new Map<SigningIdentity, Uint8Array>([...signers, revoked].map((s) => [s, s.sign(new TextEncoder().encode('forged'))]));

  function randomSet(rand: () => number): SignedData[] {
    const set: SignedData[] = [];
    const size = Math.floor(rand() * 6);
    for (let i = 0; i < size; i++) {
      const r = rand();
      const who = r < 0.08 ? revoked : (signers[Math.floor(rand() * signers.length)] as SigningIdentity);
      const sd: SignedData = { data: DATA, identity: who.serialized, signature: good.get(who) as Uint8Array };
      if (r >= 0.08 && r < 0.16) set.push({ ...sd, signature: forged.get(who) as Uint8Array });
      else if (r >= 0.16 && r < 0.22) set.push({ ...sd, identity: msp.aliasOf(who) });
      else if (r >= 0.22 && r < 0.26) set.push({ ...sd, identity: msp.foreignIdentity('Org9MSP') });
      else set.push(sd);
      if (rand() < 0.15) set.push(set[set.length - 1] as SignedData);
    }
    return set;
  }

  it('agrees on 4000 random policies and signature sets', () => {
    const rand = prng(20261124);
    const disagreements: string[] = [];
    for (let c = 0; c < 4000; c++) {
      const env = randomPolicy(rand);
      const set = randomSet(rand);
      const policy = new FabricSignaturePolicy(env, msp);
      const weft = policy.evaluate(set).satisfied;
      const fabric = fabricEvaluate(env, set, msp);
      if (weft !== fabric) disagreements.push(`case ${c}: ${policy.toString()} over ${set.length} signatures: fabric ${fabric}, weft ${weft}`);
    }
    expect(disagreements).toEqual([]);
  });

  it('agrees on 40 random policies nested 130 to 260 gates deep (Weft refused past 128)', () => {
    const rand = prng(20261125);
    const disagreements: string[] = [];
    for (let c = 0; c < 40; c++) {
      // A spine of gates, each with up to three leaves or small gates beside the next one down.
      const identities: MSPPrincipal[] = [];
      const leaf = (): SignaturePolicy => {
        identities.push(principalPool[Math.floor(rand() * principalPool.length)] as MSPPrincipal);
        return signedBy(identities.length - 1);
      };
      let rule = leaf();
      const depth = 130 + Math.floor(rand() * 131);
      for (let d = 0; d < depth; d++) {
        const siblings = Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.7 ? leaf() : nOutOf(1, [leaf(), leaf()])));
        const children = [...siblings];
        children.splice(Math.floor(rand() * (siblings.length + 1)), 0, rule);
        rule = nOutOf(Math.floor(rand() * (children.length + 1)), children);
      }
      const env = new Envelope();
      env.setRule(rule);
      env.setIdentitiesList(identities);
      const set = randomSet(rand);
      const weft = new FabricSignaturePolicy(env, msp).evaluate(set).satisfied;
      const fabric = fabricEvaluate(env, set, msp);
      if (weft !== fabric) disagreements.push(`case ${c} (${depth} gates) over ${set.length} signatures: fabric ${fabric}, weft ${weft}`);
    }
    expect(disagreements).toEqual([]);
  });

  it("OutOf(2, 'A.member', 'A.peer') with a peer listed before a client: greedy fails though a matching exists, as in Fabric", () => {
    const [peer, , client] = signers as [SigningIdentity, SigningIdentity, SigningIdentity];
    const env = Envelope.deserializeBinary(new Envelope().serializeBinary());
    env.setIdentitiesList([rolePrincipal('Org1MSP', 'member'), rolePrincipal('Org1MSP', 'peer')]);
    env.setRule(nOutOf(2, [signedBy(0), signedBy(1)]));
    const sd = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(DATA) });
    for (const set of [[sd(peer), sd(client)], [sd(client), sd(peer)]]) {
      expect(new FabricSignaturePolicy(env, msp).evaluate(set).satisfied).toBe(fabricEvaluate(env, set, msp));
    }
    expect(new FabricSignaturePolicy(env, msp).evaluate([sd(peer), sd(client)]).satisfied).toBe(false);
    expect(new FabricSignaturePolicy(env, msp).evaluate([sd(client), sd(peer)]).satisfied).toBe(true);
  });
});
