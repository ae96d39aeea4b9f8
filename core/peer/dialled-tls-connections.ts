import type { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { TlsRevocations } from '../node/tls-revocation';

/** What grpc-js's `ChannelCredentials._createSecureConnector` returns (its `SecureConnector`, not exported by name). */
type SecureConnector = ReturnType<grpc.ChannelCredentials['_createSecureConnector']>;

/**
 * The TLS connections that the gRPC clients of one dialled node hold open, each with the server
 * certificate its handshake saw. It is filled once per connection (at its handshake), never per
 * call, so a CRL that arrives later can be checked against the node's certificate, and the
 * connection cut at once: destroying the socket fails every call on it UNAVAILABLE, streams and
 * calls under way included, which closing a grpc-js client does not do (it lets them finish).
 */
export class DialledTlsConnections {
  private readonly open = new Map<TLSSocket, X509Certificate>();
  private wasCut = false;

  /**
   * `credentials` that record here each TLS connection they make. grpc-js hands no socket out, and
   * its `checkServerIdentity` gives the certificate but not the connection to close: this wraps
   * the connector grpc-js builds per connection (`_createSecureConnector`, grpc-js 1.14).
   */
  credentials(inner: grpc.ChannelCredentials): grpc.ChannelCredentials {
    return new RecordingCredentials(inner, (socket) => this.add(socket));
  }

  /** Why the server certificate of one of the connections open now (one, but for a moment while gRPC reconnects) is revoked by `revocations`, or undefined. */
  revocationIn(revocations: TlsRevocations): string | undefined {
    if (revocations.empty) return undefined;
    for (const cert of new Set(this.open.values())) {
      const reason = revocations.revocationOf(cert);
      if (reason !== undefined) return reason;
    }
    return undefined;
  }

  /** Destroys every open connection, and any that a handshake under way completes later. */
  cut(): void {
    this.wasCut = true;
    for (const socket of [...this.open.keys()]) socket.destroy();
    this.open.clear();
  }

  private add(socket: TLSSocket): void {
    if (this.wasCut) {
      socket.destroy();
      return;
    }
    const cert = socket.getPeerX509Certificate();
    if (cert === undefined) return;
    this.open.set(socket, cert);
    socket.once('close', () => this.open.delete(socket));
  }
}

/** Credentials that behave as `inner` and report each TLS socket they set up. */
class RecordingCredentials extends grpc.ChannelCredentials {
  constructor(
    private readonly inner: grpc.ChannelCredentials,
    private readonly onSecure: (socket: TLSSocket) => void,
  ) {
    super();
  }

  override _isSecure(): boolean {
    return this.inner._isSecure();
  }

  // Each connection is its own: a subchannel is shared only by clients given these same credentials.
  override _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  override _createSecureConnector(...args: Parameters<grpc.ChannelCredentials['_createSecureConnector']>): SecureConnector {
    const connector = this.inner._createSecureConnector(...args);
    return {
      connect: async (socket: Socket) => {
        const result = await connector.connect(socket);
        if (result.secure) this.onSecure(result.socket as TLSSocket);
        return result;
      },
      waitForReady: () => connector.waitForReady(),
      getCallCredentials: () => connector.getCallCredentials(),
      destroy: () => connector.destroy(),
    };
  }
}
