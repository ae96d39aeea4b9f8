/**
 * Hand-built channel configs holding only what a policy tree reads (groups and policies), for the
 * policy conformance suite and policy tests. Real config blocks come from `core/protocol`.
 */
import { Config, ConfigGroup, ConfigPolicy } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { Policy as PolicyProto } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { compileImplicitMetaExpression } from './implicit-meta-expression';
import { compilePolicyExpression } from './policy-expression';

/** A policy in a test config: a signature policy expression, an implicit meta rule, or raw bytes. */
export type PolicySpec = { signature: string } | { implicitMeta: string } | { type: number; value: Uint8Array } | { nil: true };

/** A config group: its policies and sub-groups. */
export interface GroupSpec {
  readonly policies?: Readonly<Record<string, PolicySpec>>;
  readonly groups?: Readonly<Record<string, GroupSpec>>;
}

function policyOf(spec: PolicySpec): PolicyProto | undefined {
  if ('nil' in spec) return undefined;
  const p = new PolicyProto();
  if ('signature' in spec) {
    p.setType(PolicyProto.PolicyType.SIGNATURE);
    p.setValue(compilePolicyExpression(spec.signature));
  } else if ('implicitMeta' in spec) {
    p.setType(PolicyProto.PolicyType.IMPLICIT_META);
    p.setValue(compileImplicitMetaExpression(spec.implicitMeta));
  } else {
    p.setType(spec.type);
    p.setValue(spec.value);
  }
  return p;
}

/** The `ConfigGroup` for `spec` (mod_policy `Admins` everywhere, versions 0). */
export function buildConfigGroup(spec: GroupSpec): ConfigGroup {
  const group = new ConfigGroup();
  group.setModPolicy('Admins');
  for (const [name, child] of Object.entries(spec.groups ?? {})) group.getGroupsMap().set(name, buildConfigGroup(child));
  for (const [name, policySpec] of Object.entries(spec.policies ?? {})) {
    const cp = new ConfigPolicy();
    cp.setModPolicy('Admins');
    const policy = policyOf(policySpec);
    if (policy !== undefined) cp.setPolicy(policy);
    group.getPoliciesMap().set(name, cp);
  }
  return group;
}

/** `common.Config` bytes whose channel group is `root`. */
export function buildPolicyConfig(root: GroupSpec, sequence = 0): Uint8Array {
  const config = new Config();
  config.setSequence(sequence);
  config.setChannelGroup(buildConfigGroup(root));
  return config.serializeBinary();
}

/** An application org's policies as Fabric's sample `configtx.yaml` writes them. */
export function sampleApplicationOrg(mspId: string): GroupSpec {
  return {
    policies: {
      Readers: { signature: `OR('${mspId}.admin', '${mspId}.peer', '${mspId}.client')` },
      Writers: { signature: `OR('${mspId}.admin', '${mspId}.client')` },
      Admins: { signature: `OR('${mspId}.admin')` },
      Endorsement: { signature: `OR('${mspId}.peer')` },
    },
  };
}

/** An orderer org's policies as Fabric's sample `configtx.yaml` writes them. */
export function sampleOrdererOrg(mspId: string): GroupSpec {
  return {
    policies: {
      Readers: { signature: `OR('${mspId}.member')` },
      Writers: { signature: `OR('${mspId}.member')` },
      Admins: { signature: `OR('${mspId}.admin')` },
    },
  };
}

/**
 * The policy tree of Fabric's sample channel profile: `/Channel`, `/Channel/Application` with
 * one group per application org, `/Channel/Orderer` with one group per orderer org, and the
 * implicit meta defaults (Readers/Writers ANY, Admins/Endorsement/LifecycleEndorsement MAJORITY,
 * BlockValidation ANY Writers).
 */
export function sampleChannelConfig(applicationOrgs: readonly string[], ordererOrgs: readonly string[] = ['OrdererMSP']): Uint8Array {
  const standard = { Readers: { implicitMeta: 'ANY Readers' }, Writers: { implicitMeta: 'ANY Writers' }, Admins: { implicitMeta: 'MAJORITY Admins' } };
  return buildPolicyConfig({
    policies: standard,
    groups: {
      Application: {
        policies: {
          ...standard,
          Endorsement: { implicitMeta: 'MAJORITY Endorsement' },
          LifecycleEndorsement: { implicitMeta: 'MAJORITY Endorsement' },
        },
        groups: Object.fromEntries(applicationOrgs.map((id) => [id, sampleApplicationOrg(id)])),
      },
      Orderer: {
        policies: { ...standard, BlockValidation: { implicitMeta: 'ANY Writers' } },
        groups: Object.fromEntries(ordererOrgs.map((id) => [id, sampleOrdererOrg(id)])),
      },
    },
  });
}
