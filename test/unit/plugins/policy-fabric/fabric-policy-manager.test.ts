import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy as ImplicitMetaProto, Policy as PolicyProto } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../../../core/errors';
import type { SigningIdentity } from '../../../../core/msp';
import type { PolicyEvaluation, SignedData } from '../../../../core/policy';
import { buildPolicyConfig, sampleApplicationOrg, sampleChannelConfig, type GroupSpec } from '../../../../core/policy/conformance-config';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';
import { FabricPolicyManager, ImplicitMetaPolicy } from '../../../../plugins/policy-fabric';

const DATA = new TextEncoder().encode('config update');
const sd = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(DATA) });
const ok = (r: PolicyEvaluation | undefined): boolean => {
  if (r === undefined) throw new Error('no such policy');
  return r.satisfied;
};

function thrown(fn: () => unknown): PolicyError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('did not throw');
}

describe('FabricPolicyManager', () => {
  const msp = new ConformanceMsp();
  const orgs = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];
  const peers = orgs.map((o) => msp.createIdentity(o, 'peer'));
  const admins = orgs.map((o) => msp.createIdentity(o, 'admin'));
  const ordererAdmin = msp.createIdentity('OrdererMSP', 'admin');

  it('builds the channel tree with every policy reachable by its flattened name', () => {
    const manager = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP']), msp);
    expect(manager.policyNames()).toEqual([
      'Admins',
      'Application/Admins',
      'Application/Endorsement',
      'Application/LifecycleEndorsement',
      'Application/Org1MSP/Admins',
      'Application/Org1MSP/Endorsement',
      'Application/Org1MSP/Readers',
      'Application/Org1MSP/Writers',
      'Application/Org2MSP/Admins',
      'Application/Org2MSP/Endorsement',
      'Application/Org2MSP/Readers',
      'Application/Org2MSP/Writers',
      'Application/Readers',
      'Application/Writers',
      'Orderer/Admins',
      'Orderer/BlockValidation',
      'Orderer/OrdererMSP/Admins',
      'Orderer/OrdererMSP/Readers',
      'Orderer/OrdererMSP/Writers',
      'Orderer/Readers',
      'Orderer/Writers',
      'Readers',
      'Writers',
    ]);
  });

  it('MAJORITY is a strict majority: 2 of 2, 2 of 3, 3 of 4', () => {
    const endorsement = (n: number) => FabricPolicyManager.fromConfig(sampleChannelConfig(orgs.slice(0, n)), msp).getPolicy('/Channel/Application/Endorsement');
    expect(ok(endorsement(2)?.evaluate([sd(peers[0])]))).toBe(false);
    expect(ok(endorsement(2)?.evaluate([sd(peers[0]), sd(peers[1])]))).toBe(true);
    expect(ok(endorsement(3)?.evaluate([sd(peers[2]), sd(peers[1])]))).toBe(true);
    expect(ok(endorsement(4)?.evaluate([sd(peers[0]), sd(peers[3])]))).toBe(false);
    expect(ok(endorsement(4)?.evaluate([sd(peers[0]), sd(peers[3]), sd(peers[1])]))).toBe(true);
  });

  it('/Channel/Admins is MAJORITY over Application and Orderer, each MAJORITY of their orgs', () => {
    const admins3 = FabricPolicyManager.fromConfig(sampleChannelConfig(orgs.slice(0, 3)), msp).getPolicy('/Channel/Admins');
    expect(ok(admins3?.evaluate([sd(admins[0]), sd(admins[1])]))).toBe(false);
    expect(ok(admins3?.evaluate([sd(admins[0]), sd(admins[1]), sd(ordererAdmin)]))).toBe(true);
    expect(ok(admins3?.evaluate([sd(admins[0]), sd(ordererAdmin)]))).toBe(false);
  });

  it('a child group without the sub-policy counts as a failing child', () => {
    const withoutEndorsement: GroupSpec = { policies: { Admins: { signature: "OR('Org3MSP.admin')" } } };
    const bytes = buildPolicyConfig({
      groups: {
        Application: {
          policies: { Endorsement: { implicitMeta: 'MAJORITY Endorsement' } },
          groups: { Org1MSP: sampleApplicationOrg('Org1MSP'), Org2MSP: sampleApplicationOrg('Org2MSP'), Org3MSP: withoutEndorsement },
        },
      },
    });
    const policy = FabricPolicyManager.fromConfig(bytes, msp).getPolicy('/Channel/Application/Endorsement');
    expect(ok(policy?.evaluate([sd(peers[0]), sd(peers[2])]))).toBe(false);
    expect(ok(policy?.evaluate([sd(peers[0]), sd(peers[1])]))).toBe(true);
    expect(policy).toBeInstanceOf(ImplicitMetaPolicy);
    expect((policy as ImplicitMetaPolicy).threshold).toBe(2);
    const failed = policy?.evaluate([sd(peers[0]), sd(peers[2])]);
    expect(failed?.satisfied === false && failed.reason).toContain('/Channel/Application/Org3MSP/Endorsement: no such policy');
  });

  it('explains an implicit meta failure with each failing sub-policy', () => {
    const policy = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP']), msp).getPolicy('/Channel/Application/Endorsement');
    const r = policy?.evaluate([sd(peers[0])]);
    expect(r?.satisfied).toBe(false);
    const reason = r?.satisfied === false ? r.reason : '';
    expect(reason).toContain('1 sub-policies were satisfied, but this policy requires 2');
    expect(reason).toContain("/Channel/Application/Org2MSP/Endorsement: signature set did not satisfy policy /Channel/Application/Org2MSP/Endorsement OR('Org2MSP.peer')");
  });

  it('ImplicitMetaPolicy thresholds with zero, one and many children', () => {
    const none = new ImplicitMetaPolicy('ALL', 'X', [], msp);
    expect(none.threshold).toBe(0);
    expect(ok(none.evaluate([]))).toBe(true);
    const one = new ImplicitMetaPolicy('MAJORITY', 'X', [{ path: '/a', policy: undefined }], msp);
    expect(one.threshold).toBe(1);
    expect(ok(one.evaluate([]))).toBe(false);
  });

  describe('bad configs name the path that fails', () => {
    it('unknown policy type', () => {
      const err = thrown(() =>
        FabricPolicyManager.fromConfig(buildPolicyConfig({ groups: { Application: { policies: { Odd: { type: 2, value: new Uint8Array() } } } } }), msp),
      );
      expect(err.message).toBe('policy Odd at path /Channel/Application has unknown policy type: 2 (expected SIGNATURE (1) or IMPLICIT_META (3))');
      expect(err.details.path).toBe('/Channel/Application/Odd');
    });

    it('nil policy', () => {
      const err = thrown(() => FabricPolicyManager.fromConfig(buildPolicyConfig({ policies: { Empty: { nil: true } } }), msp));
      expect(err.message).toBe('policy Empty at path /Channel was nil');
    });

    it('malformed signature policy bytes', () => {
      const err = thrown(() =>
        FabricPolicyManager.fromConfig(
          buildPolicyConfig({ groups: { Orderer: { policies: { Writers: { type: PolicyProto.PolicyType.SIGNATURE, value: Uint8Array.from([0x12, 0x09, 0x01]) } } } } }),
          msp,
        ),
      );
      expect(err.message).toContain('/Channel/Orderer/Writers');
      expect(err.code).toBe('POLICY_MALFORMED');
    });

    it('malformed implicit meta bytes', () => {
      thrown(() =>
        FabricPolicyManager.fromConfig(
          buildPolicyConfig({ policies: { Readers: { type: PolicyProto.PolicyType.IMPLICIT_META, value: Uint8Array.from([0x0a, 0x30]) } } }),
          msp,
        ),
      );
    });

    it('config without a channel group, truncated config, non-bytes', () => {
      expect(thrown(() => FabricPolicyManager.fromConfig(new Config().serializeBinary(), msp)).message).toContain('no channel_group');
      const bytes = sampleChannelConfig(['Org1MSP']);
      thrown(() => FabricPolicyManager.fromConfig(bytes.slice(0, bytes.length - 7), msp));
      thrown(() => FabricPolicyManager.fromConfig('nope' as unknown as Uint8Array, msp));
    });
  });

  describe('an implicit meta rule outside ANY/ALL/MAJORITY, accepted and evaluated as Fabric does (threshold 0)', () => {
    const odd = (rule: number): Uint8Array => {
      const policy = new ImplicitMetaProto();
      policy.setRule(rule as ImplicitMetaProto.RuleMap[keyof ImplicitMetaProto.RuleMap]);
      policy.setSubPolicy('Endorsement');
      return policy.serializeBinary();
    };
    const tree = (rule: number) =>
      FabricPolicyManager.fromConfig(
        buildPolicyConfig({
          groups: {
            Application: {
              policies: { Odd: { type: PolicyProto.PolicyType.IMPLICIT_META, value: odd(rule) } },
              groups: { Org1MSP: sampleApplicationOrg('Org1MSP'), Org2MSP: sampleApplicationOrg('Org2MSP') },
            },
          },
        }),
        msp,
      );

    it.each([7, 3, -1])('rule %d holds exactly when no sub-policy is satisfied', (rule) => {
      const policy = tree(rule).getPolicy('/Channel/Application/Odd');
      expect(ok(policy?.evaluate([]))).toBe(true);
      expect(ok(policy?.evaluate([sd(admins[2])]))).toBe(true);
      expect(ok(policy?.evaluate([sd(peers[0])]))).toBe(false);
      expect(ok(policy?.evaluate([sd(peers[1])]))).toBe(false);
      const both = policy?.evaluate([sd(peers[0]), sd(peers[1])]);
      expect(ok(both)).toBe(false);
      expect(both?.satisfied ? '' : both?.reason).toContain(`rule ${rule} is none of ANY, ALL, MAJORITY`);
      expect((policy as ImplicitMetaPolicy).threshold).toBe(0);
    });

    it('over no child groups it holds for any signature set, as the known rules do', () => {
      const config = buildPolicyConfig({ groups: { Application: { policies: { Odd: { type: PolicyProto.PolicyType.IMPLICIT_META, value: odd(9) } } } } });
      expect(ok(FabricPolicyManager.fromConfig(config, msp).getPolicy('/Channel/Application/Odd')?.evaluate([sd(peers[0])]))).toBe(true);
    });
  });
});
