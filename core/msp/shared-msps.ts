import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { CreateMspOptions, Msp, MspManager, MspProvider } from './msp';
import { NEWEST_MSP_VERSION } from './msp-version';

/**
 * Builds the channels' MSPs through the `msp` plugin once per distinct MSP config and version, for
 * as long as some channel uses it: a peer's (or orderer's) channels are mostly among the same orgs,
 * and each MSP parses its CA certificates and keeps its own identity cache. Building them per
 * channel was a third of a peer's start time with 50 channels and over half of an orderer's, and a
 * client transacting on several channels had its certificate parsed once per channel. An MSP is a
 * function of its config and version (Fabric builds each channel's from the config alone), so
 * sharing one changes no decision. MSPs are held weakly: those of a config update that was refused,
 * or that a newer config replaced, are collected as before.
 */
export class SharedMsps implements Pick<MspProvider, 'createMsp' | 'createManager'> {
  private readonly byConfig = new Map<string, WeakRef<Msp>>();
  private readonly collected = new FinalizationRegistry<string>((key) => {
    if (this.byConfig.get(key)?.deref() === undefined) this.byConfig.delete(key);
  });

  constructor(private readonly provider: Pick<MspProvider, 'createMsp' | 'createManager'>) {}

  createMsp(config: FabricMSPConfig, options: CreateMspOptions = {}): Msp {
    const bytes = config.serializeBinary();
    const key = `${options.version ?? NEWEST_MSP_VERSION}\n${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')}`;
    const held = this.byConfig.get(key)?.deref();
    if (held !== undefined) return held;
    const msp = this.provider.createMsp(config, options);
    this.byConfig.set(key, new WeakRef(msp));
    this.collected.register(msp, key);
    return msp;
  }

  createManager(msps: readonly Msp[]): MspManager {
    return this.provider.createManager(msps);
  }
}
