import { PeerError } from '../peer-error';
import type { MspManager, MspProvider } from '../../msp/msp';
import type { MspVersion } from '../../msp/msp-version';
import { channelMspVersion } from '../../protocol/capabilities';
import type { Policy, PolicyManager, PolicyProvider } from '../../policy/policy';
import type { ChannelConfigView } from './channel-config';
import { CachingDeserializer } from './caching-deserializer';

/**
 * Everything a channel's config decides for the peer, rebuilt as a whole on each config block:
 * the MSPs, the policy tree and the orderer endpoints. Immutable; the channel swaps instances.
 */
export interface ChannelResources {
  readonly config: ChannelConfigView;
  readonly msps: MspManager;
  /** The MSP version {@link msps} run: what the config's channel capabilities select, as on every Fabric peer. */
  readonly mspVersion: MspVersion;
  /** Caching deserializer over {@link msps}: every policy of the channel evaluates through it. */
  readonly deserializer: CachingDeserializer;
  readonly policies: PolicyManager;
  /** The policy at an absolute path; throws `PEER_POLICY_MISSING` when the config has none. */
  policy(path: string): Policy;
  /**
   * The policy path guarding an API resource (`peer/Propose`, `qscc/GetChainInfo`, `event/Block`, …):
   * the channel config's ACL when it names one, else Fabric's default `fallback`.
   */
  aclPolicyPath(resource: string, fallback: string): string;
}

/**
 * Builds a channel's resources from its config, the MSPs under the version its own channel
 * capabilities select (so a config block moving the channel to V3_0 changes the rules from the
 * next block on). Throws `MspError`/`PolicyError` on a config that cannot work.
 */
export function buildChannelResources(
  config: ChannelConfigView,
  mspProvider: Pick<MspProvider, 'createMsp' | 'createManager'>,
  policyProvider: PolicyProvider,
): ChannelResources {
  const mspVersion = channelMspVersion(config.capabilities.channel);
  const orgs = [...config.applicationOrgs, ...config.ordererOrgs];
  const seen = new Set<string>();
  const msps = [];
  for (const org of orgs) {
    // An MSP ID named by several orgs carries one MSPConfig (the config parse refuses two).
    if (seen.has(org.mspId)) continue;
    seen.add(org.mspId);
    msps.push(mspProvider.createMsp(org.msp, { version: mspVersion }));
  }
  const manager = mspProvider.createManager(msps);
  const deserializer = new CachingDeserializer(manager);
  const policies = policyProvider.newPolicyManager(config.configBytes, deserializer);
  const cache = new Map<string, Policy>();
  return {
    config,
    msps: manager,
    mspVersion,
    deserializer,
    policies,
    aclPolicyPath(resource: string, fallback: string): string {
      return config.acls.get(resource) ?? fallback;
    },
    policy(path: string): Policy {
      let p = cache.get(path);
      if (p === undefined) {
        p = policies.getPolicy(path);
        if (p === undefined) {
          throw new PeerError('PEER_POLICY_MISSING', `channel ${config.channelId} has no policy ${path}`, { channelId: config.channelId, path });
        }
        cache.set(path, p);
      }
      return p;
    },
  };
}

