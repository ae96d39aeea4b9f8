import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';

/** The roles a Fabric MSP principal can name (`MSPRole.MSPRoleType`). */
export type MspRole = 'member' | 'admin' | 'client' | 'peer' | 'orderer';

/**
 * An identity deserialized from a `SerializedIdentity` (msp id + PEM certificate), as Fabric's
 * `msp.Identity`. Instances are immutable and cached by their serialized bytes, so every method is
 * cheap after the first call.
 */
export interface Identity {
  /** The MSP this identity claims to belong to. */
  readonly mspId: string;
  /** The exact `SerializedIdentity` bytes this identity was deserialized from. */
  readonly serialized: Uint8Array;
  /** The PEM certificate bytes (`SerializedIdentity.id_bytes`). */
  readonly idBytes: Uint8Array;
  /** Unique id within the MSP: hex SHA-256 of the certificate's DER. */
  readonly id: string;
  /** Certificate `notAfter`; proposal and broadcast paths reject expired identities. */
  readonly expiresAt: Date;
  /** The certificate's organizational units (NodeOU classification reads these). */
  readonly organizationalUnits: readonly string[];

  /**
   * Checks the identity against its MSP: chain to exactly one root, not revoked, valid NodeOU.
   * Throws `MspError` with a code naming the rule that failed. Result is cached by the MSP.
   */
  validate(): void;

  /**
   * Verifies `signature` over `message` with the identity's public key. Returns false for a bad
   * or malformed signature (including a high-S ECDSA signature, which Fabric rejects); never throws
   * for signature problems.
   */
  verify(message: Uint8Array, signature: Uint8Array): boolean;

  /**
   * The same check as {@link verify}, run on libuv's thread pool (Node's asynchronous
   * `crypto.verify`), so that a block's or a broadcast stream's signatures are verified on every
   * core while the event loop keeps serving. Called by committers and orderer ingress before the
   * synchronous policy evaluation. Resolves false for a bad or malformed signature; never rejects.
   */
  verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean>;

  /**
   * Whether this identity satisfies the principal (ROLE, ORGANIZATION_UNIT, IDENTITY, ANONYMITY or
   * COMBINED), validity included wherever Fabric's `SatisfiesPrincipal` checks it (everywhere but
   * an admin listed in the MSP's `admins` and an ANONYMITY NOMINAL principal): the policy engine
   * does not validate signers itself. Throws `MspError` only when the principal itself is malformed.
   */
  satisfiesPrincipal(principal: MSPPrincipal): boolean;
}

/** An identity whose private key this process holds: a node's own identity or a client user. */
export interface SigningIdentity extends Identity {
  /** Signs `message` (SHA-256 digest, ECDSA low-S DER or Ed25519). Called on hot paths: keys are preloaded. */
  sign(message: Uint8Array): Uint8Array;
}
