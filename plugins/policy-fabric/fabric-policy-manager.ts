import { Config, type ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { Policy as PolicyProto } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { PolicyError, WeftError } from '../../core/errors';
import type { IdentityDeserializer } from '../../core/msp';
import type { Policy, PolicyManager } from '../../core/policy';
import { FabricSignaturePolicy } from './fabric-signature-policy';
import { ImplicitMetaPolicy } from './implicit-meta-policy';
import type { SignatureSetPolicy } from './signature-set-policy';

/** The root group's name in every channel policy path (Fabric's `channelconfig.RootGroupKey`). */
export const ROOT_GROUP = 'Channel';
/** Config groups nest three or four levels in practice; this bounds recursion on hostile input. */
const MAX_GROUP_DEPTH = 32;

/**
 * Fabric's `policies.ManagerImpl`: one manager per config group, holding the group's own policies
 * and, flattened under `<group>/<name>`, every policy of its descendants. Built bottom-up, so an
 * implicit meta policy resolves its sub-policy in the already-built child managers.
 */
export class FabricPolicyManager implements PolicyManager {
  private readonly policies = new Map<string, SignatureSetPolicy>();
  private readonly managers = new Map<string, FabricPolicyManager>();

  /**
   * Builds the tree of `group` at `path` (`Channel` for a channel's root group). Throws
   * `PolicyError` naming the policy and path that fails, as Fabric's `NewManagerImpl` does.
   */
  constructor(
    readonly path: string,
    group: ConfigGroup,
    deserializer: IdentityDeserializer,
    depth = 1,
  ) {
    if (depth > MAX_GROUP_DEPTH) {
      throw new PolicyError('POLICY_MALFORMED', `config group /${path} nested deeper than ${MAX_GROUP_DEPTH} levels`, { path: `/${path}` });
    }
    for (const [groupName, child] of sortedEntries(group.getGroupsMap())) {
      this.managers.set(groupName, new FabricPolicyManager(`${path}/${groupName}`, child, deserializer, depth + 1));
    }
    for (const [policyName, configPolicy] of sortedEntries(group.getPoliciesMap())) {
      this.policies.set(policyName, this.compile(policyName, configPolicy.getPolicy(), deserializer));
    }
    for (const [groupName, manager] of this.managers) {
      for (const [policyName, policy] of manager.policies) this.policies.set(`${groupName}/${policyName}`, policy);
    }
  }

  /** The policy tree of a channel config (`common.Config` bytes), rooted at `/Channel`. */
  static fromConfig(config: Uint8Array, deserializer: IdentityDeserializer): FabricPolicyManager {
    if (!(config instanceof Uint8Array)) {
      throw new PolicyError('POLICY_MALFORMED', `channel config: expected common.Config bytes, got ${typeof config}`, {});
    }
    let decoded: Config;
    try {
      decoded = Config.deserializeBinary(config);
    } catch (err) {
      throw new PolicyError(
        'POLICY_MALFORMED',
        `channel config: ${config.length} bytes are not a common.Config (${err instanceof Error ? err.message : String(err)})`,
        { length: config.length },
        { cause: err },
      );
    }
    const root = decoded.getChannelGroup();
    if (root === undefined) {
      throw new PolicyError('POLICY_MALFORMED', 'channel config has no channel_group: expected the /Channel config group', {
        field: 'channel_group',
      });
    }
    return new FabricPolicyManager(ROOT_GROUP, root, deserializer);
  }

  getPolicy(path: string): Policy | undefined {
    return this.lookup(path);
  }

  /**
   * Fabric's `GetPolicy` path rules, byte for byte: an absolute path must start with `/` + this
   * manager's path, and the one byte after that prefix is dropped whatever it is, so
   * `/Channel/Application.Writers` finds `Writers` as `/Channel/Application/Writers` does (a
   * reference in a chaincode definition resolves on Fabric's peers, so it must here). A path of
   * exactly `/` + this manager's path makes Fabric's slice run past the end and panic; here it
   * finds nothing.
   */
  private lookup(path: string): SignatureSetPolicy | undefined {
    if (typeof path !== 'string' || path === '') return undefined;
    if (!path.startsWith('/')) return this.policies.get(path);
    const bytes = Buffer.from(path, 'utf8');
    const prefix = Buffer.from(`/${this.path}`, 'utf8');
    if (bytes.length < prefix.length + 1 || !bytes.subarray(0, prefix.length).equals(prefix)) return undefined;
    const rest = bytes.subarray(prefix.length + 1);
    const relative = rest.toString('utf8');
    // Dropping one byte of a multi-byte character leaves bytes no policy name (valid UTF-8) can equal.
    if (!Buffer.from(relative, 'utf8').equals(rest)) return undefined;
    return this.policies.get(relative);
  }

  getManager(path: string): PolicyManager | undefined {
    if (typeof path !== 'string') return undefined;
    let manager: FabricPolicyManager | undefined = this as FabricPolicyManager;
    for (const segment of path.split('/')) {
      if (segment === '') continue;
      manager = manager.managers.get(segment);
      if (manager === undefined) return undefined;
    }
    return manager;
  }

  /** The names of this group's policies, own and descendants' (`Application/Org1MSP/Endorsement`). */
  policyNames(): string[] {
    return [...this.policies.keys()].sort();
  }

  private compile(policyName: string, policy: PolicyProto | undefined, deserializer: IdentityDeserializer): SignatureSetPolicy {
    const name = `/${this.path}/${policyName}`;
    if (policy === undefined) {
      throw new PolicyError('POLICY_MALFORMED', `policy ${policyName} at path /${this.path} was nil`, { path: name });
    }
    try {
      switch (policy.getType()) {
        case PolicyProto.PolicyType.SIGNATURE:
          return FabricSignaturePolicy.fromBytes(policy.getValue_asU8(), deserializer, name);
        case PolicyProto.PolicyType.IMPLICIT_META:
          return ImplicitMetaPolicy.fromBytes(
            policy.getValue_asU8(),
            (sub) =>
              [...this.managers.values()].map((manager) => ({
                path: `/${manager.path}/${sub}`,
                policy: manager.lookup(sub),
              })),
            deserializer,
            name,
          );
        default:
          throw new PolicyError(
            'POLICY_MALFORMED',
            `policy ${policyName} at path /${this.path} has unknown policy type: ${policy.getType()} (expected SIGNATURE (1) or IMPLICIT_META (3))`,
            { path: name, field: 'type', received: policy.getType() },
          );
      }
    } catch (err) {
      if (err instanceof WeftError) throw err;
      throw new PolicyError('POLICY_MALFORMED', `policy ${policyName} at path /${this.path} did not compile: ${String(err)}`, { path: name }, {
        cause: err,
      });
    }
  }
}

/** Map entries in name order: Go's map order is random, ours is stable so reasons are too. */
function sortedEntries<V>(map: { forEach(callback: (value: V, key: string) => void): void }): [string, V][] {
  const entries: [string, V][] = [];
  map.forEach((value, key) => entries.push([key, value]));
  return entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
