import type { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import { ConnectWrappingCredentials } from '../node/connect-wrapping-credentials';
import type { TlsRevocations } from '../node/tls-revocation';

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
   * its `checkServerIdentity` gives the certificate but not the connection to close: this sees
   * each connection's socket as grpc-js secures it ({@link ConnectWrappingCredentials}).
   */
  credentials(inner: grpc.ChannelCredentials): grpc.ChannelCredentials {
    return new ConnectWrappingCredentials(inner, (connect) => async (socket) => {
      const result = await connect(socket);
      if (result.secure) this.add(result.socket as TLSSocket);
      return result;
    });
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
