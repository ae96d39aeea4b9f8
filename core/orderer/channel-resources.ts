import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererError, WeftError } from '../errors';
import type { MspManager, MspProvider } from '../msp/msp';
import type { MspVersion } from '../msp/msp-version';
import { channelMspVersion } from '../protocol/capabilities';
import type { PolicyManager, PolicyProvider } from '../policy/policy';
import { readOrdererConfig, type ChannelConfig } from './channel-config';
import { ConfigUpdateValidator } from './config-update';
import type { SignaturePrecheck } from './signature-precheck';

/**
 * Everything derived from one channel config (Fabric's channelconfig `Bundle`): the values the
 * orderer reads, the channel's MSPs and its policy tree. Immutable; a config block replaces it.
 */
export interface ChannelResources {
  readonly config: ChannelConfig;
  readonly msps: MspManager;
  /** The MSP version {@link msps} run: what the config's channel capabilities select (Fabric's `MSPVersion()`). */
  readonly mspVersion: MspVersion;
  readonly policies: PolicyManager;
  readonly validator: ConfigUpdateValidator;
}

/** The plugins a channel's resources are built with. */
export interface ResourceProviders {
  /** Builds the channel's MSPs (the registrar shares one per distinct MSP config among its channels). */
  readonly mspProvider: Pick<MspProvider, 'createMsp' | 'createManager'>;
  readonly policyProvider: PolicyProvider;
  /** When set, policies see identities whose signatures it verified off the event loop. */
  readonly precheck?: SignaturePrecheck;
}

/** Builds a channel's resources from its config. Throws `OrdererError` ORDERER_BAD_CONFIG naming what failed. */
export function buildChannelResources(channelId: string, config: Config, providers: ResourceProviders): ChannelResources {
  const channelConfig = readOrdererConfig(channelId, config);
  const mspVersion = channelMspVersion(channelConfig.capabilities.channel);
  try {
    const msps = providers.mspProvider.createManager(channelConfig.msps.map((c) => providers.mspProvider.createMsp(c, { version: mspVersion })));
    const deserializer = providers.precheck?.wrap(msps) ?? msps;
    const policies = providers.policyProvider.newPolicyManager(channelConfig.configBytes, deserializer);
    for (const path of ['/Channel/Readers', '/Channel/Writers']) {
      if (policies.getPolicy(path) === undefined) {
        throw new OrdererError('ORDERER_BAD_CONFIG', `channel ${channelId} config has no ${path} policy`, { path });
      }
    }
    return { config: channelConfig, msps, mspVersion, policies, validator: new ConfigUpdateValidator(channelId, config, policies) };
  } catch (err) {
    if (err instanceof OrdererError) throw err;
    const code = err instanceof WeftError ? err.code : 'UNKNOWN';
    throw new OrdererError('ORDERER_BAD_CONFIG', `channel ${channelId} config cannot be used: ${(err as Error).message}`, { cause: code }, { cause: err });
  }
}
