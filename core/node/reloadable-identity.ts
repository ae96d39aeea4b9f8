import type { experimental } from '@grpc/grpc-js';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { SigningIdentity } from '../msp/identity';

/**
 * One object whose current value a certificate reload replaces with one assignment, for every
 * component it was handed to once. Subclasses forward their interface to `held` with plain getters
 * and calls, no Proxy and nothing allocated per call: they sit on the signing and identity-check
 * paths. A call already running when `replace` comes finishes on the value it started with.
 */
export abstract class Switchable<T> {
  constructor(protected held: T) {}

  replace(next: T): void {
    this.held = next;
  }
}

/**
 * The node's signing identity as one object whose current identity a certificate reload replaces:
 * every component (endorser, gateway, block pullers, membership, private data, the orderer's block
 * writer) is handed this object once, so a reload is one assignment instead of a visit to each of
 * them. Each property reads the current identity, so a component that reads `serialized` and then
 * calls `sign` between two awaits could pair an old creator with a new signature across a reload;
 * the components read both in the same synchronous step.
 */
export class SwitchableSigningIdentity extends Switchable<SigningIdentity> implements SigningIdentity {
  /** The identity signing now. */
  get identity(): SigningIdentity {
    return this.held;
  }

  get mspId(): string {
    return this.held.mspId;
  }
  get serialized(): Uint8Array {
    return this.held.serialized;
  }
  get idBytes(): Uint8Array {
    return this.held.idBytes;
  }
  get id(): string {
    return this.held.id;
  }
  get expiresAt(): Date {
    return this.held.expiresAt;
  }
  get organizationalUnits(): readonly string[] {
    return this.held.organizationalUnits;
  }
  validate(): void {
    this.held.validate();
  }
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return this.held.verify(message, signature);
  }
  verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.held.verifyAsync(message, signature);
  }
  satisfiesPrincipal(principal: MSPPrincipal): boolean {
    return this.held.satisfiesPrincipal(principal);
  }
  sign(message: Uint8Array): Uint8Array {
    return this.held.sign(message);
  }
}

/** A TLS listener's own certificate chain and key (PEM). */
export interface ServerIdentity {
  readonly cert: Buffer;
  readonly key: Buffer;
}

/**
 * A gRPC server's TLS identity that a reload replaces on the live server: grpc-js servers built on a
 * certificate provider call `setSecureContext` on each update, so handshakes from then on present
 * the new certificate while connections already open keep theirs (TLS is negotiated once per
 * connection).
 */
export class ServerTlsIdentity extends Switchable<ServerIdentity> {
  private readonly listeners = new Set<experimental.IdentityCertificateUpdateListener>();

  current(): ServerIdentity {
    return this.held;
  }

  override replace(next: ServerIdentity): void {
    super.replace(next);
    for (const listener of [...this.listeners]) listener({ certificate: next.cert, privateKey: next.key });
  }

  addListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.listeners.add(listener);
    // grpc-js adds its listener while it still registers the server's watcher: answering at once
    // would update a server not yet listening for it, which then never gets a TLS context.
    process.nextTick(() => {
      if (this.listeners.has(listener)) listener({ certificate: this.held.cert, privateKey: this.held.key });
    });
  }

  removeListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.listeners.delete(listener);
  }

  /** A provider of this identity alone, for a server that asks no client certificate. */
  provider(): experimental.CertificateProvider {
    return {
      addCaCertificateListener: () => undefined,
      removeCaCertificateListener: () => undefined,
      addIdentityCertificateListener: (l) => this.addListener(l),
      removeIdentityCertificateListener: (l) => this.removeListener(l),
    };
  }
}
