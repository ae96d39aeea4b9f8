/**
 * The contract every `policy` plugin must meet, as jest blocks (STYLE.md 14). A plugin's test
 * file calls `policyConformanceSuite('my-plugin', () => new MyPolicyProvider())`. Not re-exported
 * from `core/index.ts`: it needs jest's globals.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ApplicationPolicy, SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { PolicyError } from '../errors';
import type { SigningIdentity } from '../msp/identity';
import { buildPolicyConfig, sampleChannelConfig } from './conformance-config';
import { deepSignaturePolicy } from './conformance-deep-policy';
import { ConformanceMsp } from './conformance-msp';
import type { PolicyProvider, SignedData } from './policy';
import { rolePrincipal } from './policy-expression';

const DATA = new TextEncoder().encode('a transaction');

type Shape = number | { n: number; rules: Shape[] } | 'unset';
/** A rule as plain data: the signed_by index, or {n, rules}. */
function shape(rule: SignaturePolicy | undefined): Shape {
  if (rule === undefined) return 'unset';
  if (rule.getTypeCase() === SignaturePolicy.TypeCase.SIGNED_BY) return rule.getSignedBy();
  const gate = rule.getNOutOf();
  return gate === undefined ? 'unset' : { n: gate.getN(), rules: gate.getRulesList().map(shape) };
}

/** What `identity` signing {@link DATA} contributes to a signature set. */
export function signedDataOf(identity: SigningIdentity, data: Uint8Array = DATA): SignedData {
  return { data, identity: identity.serialized, signature: identity.sign(data) };
}

export function policyConformanceSuite(name: string, factory: () => PolicyProvider | Promise<PolicyProvider>): void {
  describe(`PolicyProvider conformance: ${name}`, () => {
    let provider: PolicyProvider;
    const msp = new ConformanceMsp();
    let ids: Record<'a1' | 'a2' | 'aClient' | 'aAdmin' | 'b1' | 'c1' | 'ord', SigningIdentity>;

    beforeAll(async () => {
      provider = await factory();
      ids = {
        a1: msp.createIdentity('Org1MSP', 'peer'),
        a2: msp.createIdentity('Org1MSP', 'peer'),
        aClient: msp.createIdentity('Org1MSP', 'client'),
        aAdmin: msp.createIdentity('Org1MSP', 'admin'),
        b1: msp.createIdentity('Org2MSP', 'peer'),
        c1: msp.createIdentity('Org3MSP', 'peer'),
        ord: msp.createIdentity('OrdererMSP', 'orderer'),
      };
    });

    const policy = (expression: string) => provider.newSignaturePolicy(provider.compileExpression(expression), msp);
    const holds = (expression: string, signers: readonly SigningIdentity[]): boolean =>
      policy(expression).evaluate(signers.map((s) => signedDataOf(s))).satisfied;

    describe('compileExpression', () => {
      it("produces Fabric's policydsl bytes, identities numbered as Fabric numbers them", () => {
        const env = SignaturePolicyEnvelope.deserializeBinary(provider.compileExpression("OR('A.member', AND('B.member', 'C.peer'))"));
        expect(env.getVersion()).toBe(0);
        const principals = env.getIdentitiesList().map((p) => {
          const role = MSPRole.deserializeBinary(p.getPrincipal_asU8());
          return `${role.getMspIdentifier()}:${role.getRole()}`;
        });
        expect(principals).toEqual([`B:${MSPRole.MSPRoleType.MEMBER}`, `C:${MSPRole.MSPRoleType.PEER}`, `A:${MSPRole.MSPRoleType.MEMBER}`]);
        expect(shape(env.getRule())).toEqual({ n: 1, rules: [2, { n: 2, rules: [0, 1] }] });
      });

      it('encodes byte for byte as Go protobuf does (oneof signed_by 0 present, defaults omitted)', () => {
        const hex = Buffer.from(provider.compileExpression("OR('A.member', 'B.member')")).toString('hex');
        expect(hex).toBe('120c120a08011202080012020801' + '1a0512030a0141' + '1a0512030a0142');
      });

      it.each(['', 'AND(', "OR('A.member'", "FOO('A.member')", "OR('A.guest')", "OutOf(5, 'A.member', 'B.member')", "'A.member'", 'OR()'])(
        'throws PolicyError for %j',
        (bad) => {
          expect(() => provider.compileExpression(bad)).toThrow(PolicyError);
        },
      );
    });

    describe('signature policies', () => {
      it('AND needs every principal', () => {
        const p = "AND('Org1MSP.peer', 'Org2MSP.peer')";
        expect(holds(p, [])).toBe(false);
        expect(holds(p, [ids.a1])).toBe(false);
        expect(holds(p, [ids.b1])).toBe(false);
        expect(holds(p, [ids.a1, ids.b1])).toBe(true);
        expect(holds(p, [ids.b1, ids.a1])).toBe(true);
        expect(holds(p, [ids.a1, ids.a2])).toBe(false);
      });

      it('OR needs one principal', () => {
        const p = "OR('Org1MSP.peer', 'Org2MSP.peer')";
        expect(holds(p, [])).toBe(false);
        expect(holds(p, [ids.a1])).toBe(true);
        expect(holds(p, [ids.b1])).toBe(true);
        expect(holds(p, [ids.c1])).toBe(false);
      });

      it('OutOf(2, three orgs) needs two distinct orgs', () => {
        const p = "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')";
        expect(holds(p, [ids.a1])).toBe(false);
        expect(holds(p, [ids.a1, ids.a2])).toBe(false);
        expect(holds(p, [ids.a1, ids.b1])).toBe(true);
        expect(holds(p, [ids.b1, ids.c1])).toBe(true);
        expect(holds(p, [ids.a1, ids.b1, ids.c1])).toBe(true);
      });

      it('a signer counted twice counts once; two identities of one org count twice', () => {
        const p = "AND('Org1MSP.member', 'Org1MSP.member')";
        expect(holds(p, [ids.a1, ids.a1])).toBe(false);
        expect(policy(p).evaluate([signedDataOf(ids.a1), { ...signedDataOf(ids.a1), identity: msp.aliasOf(ids.a1) }]).satisfied).toBe(false);
        expect(holds(p, [ids.a1, ids.a2])).toBe(true);
      });

      it('roles: peer, client and admin are distinct; member is any of them', () => {
        expect(holds("OR('Org1MSP.peer')", [ids.aClient])).toBe(false);
        expect(holds("OR('Org1MSP.peer')", [ids.aAdmin])).toBe(false);
        expect(holds("OR('Org1MSP.client')", [ids.a1])).toBe(false);
        expect(holds("OR('Org1MSP.admin')", [ids.aClient])).toBe(false);
        expect(holds("OR('Org1MSP.admin')", [ids.aAdmin])).toBe(true);
        expect(holds("OR('Org1MSP.client')", [ids.aClient])).toBe(true);
        expect(holds("OR('OrdererMSP.orderer')", [ids.ord])).toBe(true);
        for (const s of [ids.a1, ids.aClient, ids.aAdmin]) expect(holds("OR('Org1MSP.member')", [s])).toBe(true);
      });

      it('a signer of another org does not satisfy the principal', () => {
        expect(holds("OR('Org1MSP.member')", [ids.b1, ids.c1])).toBe(false);
      });

      it('an invalid signature is skipped, not an error, and its reason is given', () => {
        const forged = { ...signedDataOf(ids.b1), signature: ids.b1.sign(new TextEncoder().encode('something else')) };
        const result = policy("AND('Org1MSP.peer', 'Org2MSP.peer')").evaluate([signedDataOf(ids.a1), forged]);
        expect(result.satisfied).toBe(false);
        if (!result.satisfied) expect(result.reason.length).toBeGreaterThan(0);
        expect(policy("OR('Org1MSP.peer', 'Org2MSP.peer')").evaluate([forged, signedDataOf(ids.a1)]).satisfied).toBe(true);
      });

      it('signatures from unknown MSPs or garbage identities are skipped', () => {
        const stranger: SignedData = { data: DATA, identity: msp.foreignIdentity('Org9MSP'), signature: new Uint8Array(70) };
        const garbage: SignedData = { data: DATA, identity: new Uint8Array([0xff, 0xff, 0xff]), signature: new Uint8Array(1) };
        const p = policy("OR('Org1MSP.peer')");
        expect(p.evaluate([stranger, garbage]).satisfied).toBe(false);
        expect(p.evaluate([stranger, garbage, signedDataOf(ids.a1)]).satisfied).toBe(true);
      });

      it('a revoked identity does not count', () => {
        const revoked = msp.createIdentity('Org1MSP', 'peer');
        msp.revoke(revoked);
        expect(holds("OR('Org1MSP.peer')", [revoked])).toBe(false);
      });

      it('verifies each signature at most once per evaluation', () => {
        const before = msp.verifications;
        expect(holds("OutOf(2, 'Org1MSP.member', 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')", [ids.a1, ids.b1, ids.c1])).toBe(true);
        expect(msp.verifications - before).toBeLessThanOrEqual(3);
      });

      it('malformed envelopes throw PolicyError', () => {
        expect(() => provider.newSignaturePolicy(new Uint8Array([0x12, 0x05, 0x01]), msp)).toThrow(PolicyError);
        const wrongVersion = SignaturePolicyEnvelope.deserializeBinary(provider.compileExpression("OR('A.member')"));
        wrongVersion.setVersion(1);
        // Fabric's EnvelopeBasedPolicyProvider ignores the version of ledger-held envelopes.
        expect(provider.newSignaturePolicy(wrongVersion.serializeBinary(), msp).evaluate([]).satisfied).toBe(false);
        const outOfRange = SignaturePolicyEnvelope.deserializeBinary(provider.compileExpression("OR('A.member')"));
        outOfRange.setIdentitiesList([]);
        expect(() => provider.newSignaturePolicy(outOfRange.serializeBinary(), msp)).toThrow(PolicyError);
        expect(() => provider.newSignaturePolicy(new SignaturePolicyEnvelope().serializeBinary(), msp)).toThrow(PolicyError);
      });

      it("takes a key-level policy as deep as Fabric's validator does: 4998 gates over a principal, not 4999", () => {
        const principal = rolePrincipal('Org1MSP', 'peer').serializeBinary();
        const deepest = provider.newSignaturePolicy(deepSignaturePolicy(4998, principal), msp);
        expect(deepest.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(true);
        expect(deepest.evaluate([signedDataOf(ids.b1)]).satisfied).toBe(false);
        expect(() => provider.newSignaturePolicy(deepSignaturePolicy(4999, principal), msp)).toThrow(PolicyError);
      });
    });

    describe('channel policy tree', () => {
      const config = () => sampleChannelConfig(['Org1MSP', 'Org2MSP', 'Org3MSP']);

      it('MAJORITY Endorsement over three orgs needs two of them', () => {
        const endorsement = provider.newPolicyManager(config(), msp).getPolicy('/Channel/Application/Endorsement');
        expect(endorsement).toBeDefined();
        expect(endorsement?.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(false);
        expect(endorsement?.evaluate([signedDataOf(ids.a1), signedDataOf(ids.a2)]).satisfied).toBe(false);
        expect(endorsement?.evaluate([signedDataOf(ids.a1), signedDataOf(ids.c1)]).satisfied).toBe(true);
      });

      it('ANY Writers is satisfied by one org writer; a peer is not a writer', () => {
        const manager = provider.newPolicyManager(config(), msp);
        expect(manager.getPolicy('/Channel/Application/Writers')?.evaluate([signedDataOf(ids.aClient)]).satisfied).toBe(true);
        expect(manager.getPolicy('/Channel/Application/Writers')?.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(false);
        expect(manager.getPolicy('/Channel/Writers')?.evaluate([signedDataOf(ids.ord)]).satisfied).toBe(true);
        expect(manager.getPolicy('/Channel/Orderer/BlockValidation')?.evaluate([signedDataOf(ids.ord)]).satisfied).toBe(true);
        expect(manager.getPolicy('/Channel/Orderer/BlockValidation')?.evaluate([signedDataOf(ids.aClient)]).satisfied).toBe(false);
      });

      it('resolves absolute and relative paths, and sub-managers', () => {
        const manager = provider.newPolicyManager(config(), msp);
        expect(manager.path).toBe('Channel');
        expect(manager.getPolicy('Application/Org1MSP/Endorsement')?.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(true);
        expect(manager.getPolicy('/Channel/Application/Org2MSP/Endorsement')?.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(false);
        expect(manager.getPolicy('/Channel/Application/Nope')).toBeUndefined();
        expect(manager.getPolicy('/Other/Writers')).toBeUndefined();
        expect(manager.getPolicy('')).toBeUndefined();
        const app = manager.getManager('Application');
        expect(app?.path).toBe('Channel/Application');
        expect(app?.getPolicy('Writers')?.evaluate([signedDataOf(ids.aClient)]).satisfied).toBe(true);
        expect(app?.getPolicy('/Channel/Application/Admins')?.evaluate([signedDataOf(ids.aAdmin)]).satisfied).toBe(false);
        expect(manager.getManager('Application/Org1MSP')?.path).toBe('Channel/Application/Org1MSP');
        expect(manager.getManager('Nope')).toBeUndefined();
      });

      it('ALL needs every child group', () => {
        const bytes = buildPolicyConfig({
          policies: { All: { implicitMeta: 'ALL Endorsement' } },
          groups: { Org1MSP: { policies: { Endorsement: { signature: "OR('Org1MSP.peer')" } } }, Org2MSP: { policies: { Endorsement: { signature: "OR('Org2MSP.peer')" } } } },
        });
        const all = provider.newPolicyManager(bytes, msp).getPolicy('/Channel/All');
        expect(all?.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(false);
        expect(all?.evaluate([signedDataOf(ids.a1), signedDataOf(ids.b1)]).satisfied).toBe(true);
      });

      it('an implicit meta policy over no child groups is satisfied (threshold 0, as Fabric)', () => {
        const bytes = buildPolicyConfig({ policies: { Any: { implicitMeta: 'ANY Readers' }, Majority: { implicitMeta: 'MAJORITY Admins' } } });
        const manager = provider.newPolicyManager(bytes, msp);
        expect(manager.getPolicy('Any')?.evaluate([]).satisfied).toBe(true);
        expect(manager.getPolicy('Majority')?.evaluate([]).satisfied).toBe(true);
      });

      it('malformed configs throw PolicyError', () => {
        expect(() => provider.newPolicyManager(new Uint8Array([0x12, 0x40, 0x01]), msp)).toThrow(PolicyError);
        expect(() => provider.newPolicyManager(buildPolicyConfig({ policies: { Bad: { type: 2, value: new Uint8Array() } } }), msp)).toThrow(PolicyError);
        expect(() => provider.newPolicyManager(buildPolicyConfig({ groups: { G: { policies: { Nil: { nil: true } } } } }), msp)).toThrow(PolicyError);
      });
    });

    describe('application policies', () => {
      it('resolves a channel config reference and an inline signature policy', () => {
        const manager = provider.newPolicyManager(sampleChannelConfig(['Org1MSP', 'Org2MSP']), msp);
        const ref = new ApplicationPolicy();
        ref.setChannelConfigPolicyReference('/Channel/Application/Endorsement');
        const byRef = provider.newApplicationPolicy(ref.serializeBinary(), manager, msp);
        expect(byRef.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(false);
        expect(byRef.evaluate([signedDataOf(ids.a1), signedDataOf(ids.b1)]).satisfied).toBe(true);

        const inline = new ApplicationPolicy();
        inline.setSignaturePolicy(SignaturePolicyEnvelope.deserializeBinary(provider.compileExpression("OR('Org2MSP.peer')")));
        const byValue = provider.newApplicationPolicy(inline.serializeBinary(), manager, msp);
        expect(byValue.evaluate([signedDataOf(ids.b1)]).satisfied).toBe(true);
        expect(byValue.evaluate([signedDataOf(ids.a1)]).satisfied).toBe(false);
      });

      it('throws PolicyError for a reference the tree lacks and for empty or malformed bytes', () => {
        const manager = provider.newPolicyManager(sampleChannelConfig(['Org1MSP']), msp);
        const ref = new ApplicationPolicy();
        ref.setChannelConfigPolicyReference('/Channel/Application/Missing');
        expect(() => provider.newApplicationPolicy(ref.serializeBinary(), manager, msp)).toThrow(PolicyError);
        expect(() => provider.newApplicationPolicy(new Uint8Array(), manager, msp)).toThrow(PolicyError);
        expect(() => provider.newApplicationPolicy(new Uint8Array([0x0a, 0x7f]), manager, msp)).toThrow(PolicyError);
      });
    });
  });
}
