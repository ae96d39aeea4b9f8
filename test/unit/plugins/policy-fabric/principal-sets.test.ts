import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { type PrincipalSet, gatePrincipalSets, leafPrincipalSets, MAX_PRINCIPAL_SETS, principalsOf, rolePrincipal } from '../../../../core/policy';
import { sampleChannelConfig } from '../../../../core/policy/conformance-config';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';
import { FabricPolicyManager, FabricPolicyProvider, ImplicitMetaPolicy } from '../../../../plugins/policy-fabric';

const ROLES: Record<number, string> = { [MSPRole.MSPRoleType.MEMBER]: 'member', [MSPRole.MSPRoleType.PEER]: 'peer', [MSPRole.MSPRoleType.ADMIN]: 'admin' };

function principalText(p: MSPPrincipal): string {
  const role = MSPRole.deserializeBinary(p.getPrincipal_asU8());
  return `${role.getMspIdentifier()}.${ROLES[role.getRole()]}`;
}
const text = (sets: readonly PrincipalSet[] | undefined): string[][] | undefined => sets?.map((s) => s.map(principalText));

describe('principal sets of Fabric policies (service discovery inquiry)', () => {
  const provider = new FabricPolicyProvider();
  const msp = new ConformanceMsp();
  const sets = (expression: string): string[][] | undefined => text(provider.newSignaturePolicy(provider.compileExpression(expression), msp).principalSets?.());

  it('lists every combination of a signature policy, in rule order, keeping pluralities', () => {
    expect(sets("OR('Org1MSP.peer', 'Org2MSP.peer')")).toEqual([['Org1MSP.peer'], ['Org2MSP.peer']]);
    expect(sets("AND('Org1MSP.peer', 'Org2MSP.member')")).toEqual([['Org1MSP.peer', 'Org2MSP.member']]);
    expect(sets("OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')")).toEqual([
      ['Org1MSP.peer', 'Org2MSP.peer'],
      ['Org1MSP.peer', 'Org3MSP.peer'],
      ['Org2MSP.peer', 'Org3MSP.peer'],
    ]);
    expect(sets("AND('Org1MSP.peer', OR('Org2MSP.peer', 'Org3MSP.admin'))")).toEqual([
      ['Org1MSP.peer', 'Org2MSP.peer'],
      ['Org1MSP.peer', 'Org3MSP.admin'],
    ]);
    // Two signatures of Org1 peers: the principal appears twice.
    expect(sets("AND('Org1MSP.peer', 'Org1MSP.peer')")).toEqual([['Org1MSP.peer', 'Org1MSP.peer']]);
  });

  it("lists each set's principals breadth first, as Fabric's principalsOfTree walks the permuted tree", () => {
    // The shallow principal comes first whatever its place among the gate's rules.
    expect(sets("AND(OR('Org1MSP.member', 'Org2MSP.member'), 'Org1MSP.peer')")).toEqual([
      ['Org1MSP.peer', 'Org1MSP.member'],
      ['Org1MSP.peer', 'Org2MSP.member'],
    ]);
    expect(sets("AND(AND('Org1MSP.admin', OR('Org2MSP.peer', 'Org3MSP.peer')), 'Org1MSP.member', AND('Org2MSP.admin', 'Org3MSP.admin'))")).toEqual([
      ['Org1MSP.member', 'Org1MSP.admin', 'Org2MSP.admin', 'Org3MSP.admin', 'Org2MSP.peer'],
      ['Org1MSP.member', 'Org1MSP.admin', 'Org2MSP.admin', 'Org3MSP.admin', 'Org3MSP.peer'],
    ]);
  });

  it('has no set for a policy nothing satisfies, nor for one an empty signature set satisfies', () => {
    expect(sets("OutOf(3, 'Org1MSP.peer', 'Org2MSP.peer')")).toEqual([]);
    expect(text(principalsOf(gatePrincipalSets(0, [leafPrincipalSets(rolePrincipal('Org1MSP', 'peer'))])))).toEqual([[]]);
  });

  it("converts an implicit meta policy as Fabric's Convert does: threshold-out-of its sub-policies", () => {
    const manager = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP', 'Org3MSP']), msp);
    const endorsement = manager.getPolicy('/Channel/Application/Endorsement');
    expect(endorsement).toBeInstanceOf(ImplicitMetaPolicy);
    const orgSets = manager.getPolicy('/Channel/Application/Org1MSP/Endorsement')?.principalSets?.() ?? [];
    expect(orgSets).toHaveLength(1);
    // MAJORITY of three orgs: any two of them, each as its own Endorsement policy has it.
    expect(endorsement?.principalSets?.()?.map((s) => s.map((p) => MSPRole.deserializeBinary(p.getPrincipal_asU8()).getMspIdentifier()))).toEqual([
      ['Org1MSP', 'Org2MSP'],
      ['Org1MSP', 'Org3MSP'],
      ['Org2MSP', 'Org3MSP'],
    ]);
    const missing = new ImplicitMetaPolicy('ANY', 'Endorsement', [{ path: '/a', policy: undefined }], msp);
    expect(missing.principalSets()).toEqual([]);
  });

  it('stops at a bound instead of enumerating an exploding policy', () => {
    const principals = Array.from({ length: 40 }, (_, i) => leafPrincipalSets(rolePrincipal(`Org${i}MSP`, 'peer')));
    const out = gatePrincipalSets(20, principals);
    expect(out.length).toBeGreaterThan(0);
    expect(out.length).toBeLessThanOrEqual(MAX_PRINCIPAL_SETS);
    expect(out.every((s) => s.length === 20)).toBe(true);
  });
});
