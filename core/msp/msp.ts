import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { Identity, SigningIdentity } from './identity';
import type { MspVersion } from './msp-version';

/** How {@link MspProvider.loadSigningIdentity} loads an identity. */
export interface LoadSigningIdentityOptions {
  /** Return an identity whose certificate has expired instead of refusing it. */
  readonly allowExpired?: boolean;
}

/** How {@link MspProvider.createMsp} builds an MSP. */
export interface CreateMspOptions {
  /**
   * The rules the MSP applies (Fabric's `MSPVersion`): a channel's MSPs take the version its
   * channel capabilities select (`channelMspVersion`); omitted, the newest, as Fabric's local MSP.
   */
  readonly version?: MspVersion;
}

/**
 * Turns `SerializedIdentity` bytes into an {@link Identity}. Implemented by an MSP (for its own
 * identities) and by the {@link MspManager} (dispatching on the msp id). Called for every creator
 * and endorser on every proposal, envelope and block: implementations cache by the exact bytes.
 */
export interface IdentityDeserializer {
  /** Throws `MspError` (`MSP_UNKNOWN`, `MSP_BAD_IDENTITY`, …) when the bytes are not an identity of this deserializer. */
  deserializeIdentity(serialized: Uint8Array): Identity;
}
export const IdentityDeserializer = Symbol('IdentityDeserializer');

/** One organization's membership service provider, configured from a `FabricMSPConfig`. */
export interface Msp extends IdentityDeserializer {
  readonly id: string;
  /** The `FabricMSPConfig` this MSP was built from (root certs, NodeOUs, CRLs, TLS roots). */
  readonly config: FabricMSPConfig;
  /** The version whose rules this MSP applies (Fabric's `GetVersion`). */
  readonly version: MspVersion;
}

/** The channel's MSPs by id: what a channel config's `MSP` values become. */
export interface MspManager extends IdentityDeserializer {
  getMsp(mspId: string): Msp | undefined;
  mspIds(): readonly string[];
  /**
   * Fabric's `IsWellFormed`, which gossip applies to the identities peers announce: stricter than
   * deserialization (one canonical encoding per certificate), so that one certificate cannot stand
   * for several members. Throws `MspError` naming what is not well formed.
   */
  isWellFormed(serialized: Uint8Array): void;
}

/** What {@link MspProvider.loadLocalMsp} reads from one MSP folder, consistent by construction. */
export interface LocalMsp {
  readonly msp: Msp;
  readonly signer: SigningIdentity;
}

/**
 * Which part of a local MSP folder {@link MspProvider.loadLocalMsp} failed on, in its error's
 * `details.part`: `msp` its CAs, intermediates, admins, CRLs, TLS roots or `config.yaml`;
 * `signer` its `signcerts/`, `keystore/` or the signing certificate's validation.
 */
export type LocalMspPart = 'msp' | 'signer';

/**
 * The `msp` plugin slot: builds MSPs from channel configuration and loads local signing identities.
 * Called when a channel config (genesis or update) is applied and when a node starts.
 */
export interface MspProvider {
  /**
   * Builds an MSP from its `FabricMSPConfig`, under `options.version`'s rules (newest when omitted).
   * Throws `MspError` on a config that cannot work under that version (no root CA, bad PEM, …).
   */
  createMsp(config: FabricMSPConfig, options?: CreateMspOptions): Msp;
  /** Builds a manager over several MSPs; deserialization dispatches on `SerializedIdentity.mspid`. */
  createManager(msps: readonly Msp[]): MspManager;
  /**
   * Loads a local signing identity from a Fabric MSP folder (`signcerts/`, `keystore/`,
   * `cacerts/`, `config.yaml`), its key preloaded for signing: a client's (a node's own comes with
   * its MSP from {@link loadLocalMsp}). The identity is validated against the folder's own MSP; throws `MspError` naming the missing or
   * unreadable file, a key that matches no certificate, or the validation rule that failed; and
   * `MSP_EXPIRED` for an expired certificate unless `allowExpired` (for the one signature an expired
   * identity may still give: a ConfigSignature, which channel MSPs check at the certificate's start).
   */
  loadSigningIdentity(mspDir: string, mspId: string, load?: LoadSigningIdentityOptions): SigningIdentity;
  /** Reads a Fabric MSP folder into the `FabricMSPConfig` a channel config carries (no private keys). */
  loadMspConfig(mspDir: string, mspId: string): FabricMSPConfig;
  /**
   * A node's local MSP from its folder in one read: the MSP {@link loadMspConfig} and
   * {@link createMsp} would build (newest version) and the signing identity
   * {@link loadSigningIdentity} would load, validated by that very MSP. Called at node start and on
   * each certificate reload. Throws as those two, the `MspError` carrying `details.part` (a
   * {@link LocalMspPart}) to say which of the two the folder failed.
   */
  loadLocalMsp(mspDir: string, mspId: string): LocalMsp;
  /**
   * Releases what the provider holds for its signers (msp-x509: PKCS#11 token sessions), once,
   * when the node stops, after everything that signs has stopped. Optional.
   */
  close?(): void;
}
export const MspProvider = Symbol('MspProvider');

/**
 * A provider for given `plugins.msp.options`, for tools that load identities outside a node (the
 * CLI's users whose keys are in a PKCS#11 token). MSP plugins may provide it.
 */
export type MspProviderFactory = (options: Record<string, unknown>) => MspProvider;
export const MspProviderFactory = Symbol('MspProviderFactory');
