/**
 * Policy paths resolved as Fabric's `ManagerImpl.GetPolicy` resolves them, byte for byte: a
 * chaincode definition's `channel_config_policy_reference` that Fabric's peers find must be found
 * here, and one they do not find must not be.
 */
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError } from '../../../../core/errors';
import type { SigningIdentity } from '../../../../core/msp';
import type { SignedData } from '../../../../core/policy';
import { buildPolicyConfig, sampleApplicationOrg, sampleChannelConfig } from '../../../../core/policy/conformance-config';
import { ConformanceMsp } from '../../../../core/policy/conformance-msp';
import { FabricPolicyManager, newApplicationPolicy } from '../../../../plugins/policy-fabric';

const DATA = new TextEncoder().encode('endorsed payload');
const sd = (id: SigningIdentity): SignedData => ({ data: DATA, identity: id.serialized, signature: id.sign(DATA) });

function reference(path: string): Uint8Array {
  const p = new ApplicationPolicy();
  p.setChannelConfigPolicyReference(path);
  return p.serializeBinary();
}

describe('policy paths (Fabric GetPolicy)', () => {
  const msp = new ConformanceMsp();
  const peer1 = msp.createIdentity('Org1MSP', 'peer');
  const peer2 = msp.createIdentity('Org2MSP', 'peer');
  const root = FabricPolicyManager.fromConfig(sampleChannelConfig(['Org1MSP', 'Org2MSP']), msp);

  it('absolute and relative names', () => {
    expect(root.getPolicy('/Channel/Application/Endorsement')).toBeDefined();
    expect(root.getPolicy('Application/Endorsement')).toBe(root.getPolicy('/Channel/Application/Endorsement'));
    const app = root.getManager('Application');
    expect(app?.getPolicy('/Channel/Application/Org1MSP/Endorsement')).toBe(app?.getPolicy('Org1MSP/Endorsement'));
    expect(app?.getPolicy('/Channel/Writers')).toBeUndefined();
    expect(root.getPolicy('/Other/Writers')).toBeUndefined();
    expect(root.getPolicy('')).toBeUndefined();
  });

  it('the byte after the manager path is skipped whatever it is, as Fabric slices it', () => {
    const endorsement = root.getPolicy('/Channel/Application/Endorsement');
    expect(root.getPolicy('/Channel.Application/Endorsement')).toBe(endorsement);
    expect(root.getManager('Application')?.getPolicy('/Channel/Application:Endorsement')).toBe(endorsement);
    expect(root.getManager('Application')?.getPolicy('/Channel/ApplicationXOrg1MSP/Endorsement')).toBe(
      root.getPolicy('/Channel/Application/Org1MSP/Endorsement'),
    );
    // Half of a two-byte character is skipped: what is left is no policy name.
    expect(root.getManager('Application')?.getPolicy('/Channel/Application\u00e9Endorsement')).toBeUndefined();
  });

  it('a path that is exactly the manager path finds nothing (Fabric panics slicing past the end)', () => {
    expect(root.getPolicy('/Channel')).toBeUndefined();
    expect(root.getManager('Application')?.getPolicy('/Channel/Application')).toBeUndefined();
    expect(root.getManager('Application')?.getPolicy('/Channel/Application/')).toBeUndefined();
  });

  it('a chaincode definition referencing /Channel!Application/Endorsement evaluates that policy, as on Fabric peers', () => {
    // Fabric resolves references in the channel's root manager (/Channel), so only the byte after /Channel is skipped.
    const policy = newApplicationPolicy(reference('/Channel!Application/Endorsement'), root, msp);
    expect(policy.evaluate([sd(peer1)]).satisfied).toBe(false);
    expect(policy.evaluate([sd(peer1), sd(peer2)]).satisfied).toBe(true);
    expect(() => newApplicationPolicy(reference('/Channel/Application!Endorsement'), root, msp)).toThrow(PolicyError);
    expect(() => newApplicationPolicy(reference('/Channel'), root, msp)).toThrow(PolicyError);
  });

  it('an implicit meta policy resolves an absolute sub-policy name in each child the same way', () => {
    const bytes = buildPolicyConfig({
      groups: {
        Application: {
          policies: { Any: { implicitMeta: 'ANY /Channel/Application/Org1MSP/Endorsement' } },
          groups: { Org1MSP: sampleApplicationOrg('Org1MSP'), Org2MSP: sampleApplicationOrg('Org2MSP') },
        },
      },
    });
    const any = FabricPolicyManager.fromConfig(bytes, msp).getPolicy('/Channel/Application/Any');
    // Only Org1MSP's manager holds that absolute path; Org2MSP's finds nothing.
    expect(any?.evaluate([sd(peer1)]).satisfied).toBe(true);
    expect(any?.evaluate([sd(peer2)]).satisfied).toBe(false);
  });
});
