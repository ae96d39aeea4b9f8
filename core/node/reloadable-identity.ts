import type { experimental } from '@grpc/grpc-js';
import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import type { SigningIdentity } from '../msp/identity';

/**
 * The node's signing identity as one object whose current identity a certificate reload replaces:
 * every component (endorser, gateway, block pullers, membership, private data, the orderer's block
 * writer) is handed this object once, so a reload is one assignment instead of a visit to each of
 * them. Each property reads the current identity, so a component that reads `serialized` and then
 * calls `sign` between two awaits could pair an old creator with a new signature across a reload;
 * the components read both in the same synchronous step.
 */
export class SwitchableSigningIdentity implements SigningIdentity {
  constructor(private current: SigningIdentity) {}

  /** The identity signing now. */
  get identity(): SigningIdentity {
    return this.current;
  }

  replace(next: SigningIdentity): void {
    this.current = next;
  }

  get mspId(): string {
    return this.current.mspId;
  }
  get serialized(): Uint8Array {
    return this.current.serialized;
  }
  get idBytes(): Uint8Array {
    return this.current.idBytes;
  }
  get id(): string {
    return this.current.id;
  }
  get expiresAt(): Date {
    return this.current.expiresAt;
  }
  get organizationalUnits(): readonly string[] {
    return this.current.organizationalUnits;
  }
  validate(): void {
    this.current.validate();
  }
  verify(message: Uint8Array, signature: Uint8Array): boolean {
    return this.current.verify(message, signature);
  }
  verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return this.current.verifyAsync(message, signature);
  }
  satisfiesPrincipal(principal: MSPPrincipal): boolean {
    return this.current.satisfiesPrincipal(principal);
  }
  sign(message: Uint8Array): Uint8Array {
    return this.current.sign(message);
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
export class ServerTlsIdentity {
  private readonly listeners = new Set<experimental.IdentityCertificateUpdateListener>();

  constructor(private identity: ServerIdentity) {}

  current(): ServerIdentity {
    return this.identity;
  }

  replace(next: ServerIdentity): void {
    this.identity = next;
    for (const listener of [...this.listeners]) listener({ certificate: next.cert, privateKey: next.key });
  }

  addListener(listener: experimental.IdentityCertificateUpdateListener): void {
    this.listeners.add(listener);
    // grpc-js adds its listener while it still registers the server's watcher: answering at once
    // would update a server not yet listening for it, which then never gets a TLS context.
    process.nextTick(() => {
      if (this.listeners.has(listener)) listener({ certificate: this.identity.cert, privateKey: this.identity.key });
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
