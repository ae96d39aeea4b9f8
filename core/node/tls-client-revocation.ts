import type { X509Certificate } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import type { Server } from '@grpc/grpc-js';
import { grpcListeners } from './grpc-connection-timeout';
import type { Logger } from './logger';
import type { TlsRevocations } from './tls-revocation';

/** Where a listener reads the revoked TLS certificates: {@link TrustedClientRoots} (the channels' MSPs and the local MSP). */
export interface TlsRevocationSource {
  /** The current set; read once per new connection. */
  revocations(): TlsRevocations;
  /** Calls `listener` with each new set; returns the unsubscribe. */
  onRevocationsChanged(listener: (revocations: TlsRevocations) => void): () => void;
}

/**
 * Closes every mutual-TLS connection of `server` whose client certificate `source` revokes: a new
 * one right after its handshake, before HTTP/2 reads a frame of it (the client's first call fails
 * UNAVAILABLE), and one already open as soon as a CRL revoking it arrives (a config block, a
 * certificate reload). Fabric accepts such connections and refuses their messages one by one; a
 * leaked TLS key of a removed member then still costs every node handshakes, streams and work.
 *
 * Node's `createSecureContext({ crl })` cannot do it at the handshake: OpenSSL then demands a CRL
 * from every client CA, and refuses clients of orgs that have none. The cost is paid per
 * connection (one certificate object and a lookup by serial), never per call or message.
 *
 * Must be called after the server is bound (grpc-js creates its listeners then; see `grpcListeners`).
 */
export function refuseRevokedTlsClients(server: Server, source: TlsRevocationSource, logger?: Logger): void {
  refuseRevokedTlsConnections(grpcListeners(server, 'cannot refuse revoked TLS clients'), source, logger);
}

/**
 * {@link refuseRevokedTlsClients} for any `tls.Server` (each emits `secureConnection` with the
 * accepted socket): the gRPC listeners, and the HTTPS ones (operations endpoint, orderer admin
 * listener) whose client certificate is all the authentication some resources have. A
 * connection without a client certificate is left to the listener's own rules. Stops following
 * `source` once every listener has closed.
 */
export function refuseRevokedTlsConnections(listeners: readonly EventEmitter[], source: TlsRevocationSource, logger?: Logger): void {
  const open = new Map<TLSSocket, X509Certificate>();
  const refuse = (socket: TLSSocket, reason: string, when: string): void => {
    logger?.warn({ remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason }, `revoked TLS client certificate: connection closed ${when}`);
    socket.destroy();
  };
  const unsubscribe = source.onRevocationsChanged((revocations) => {
    for (const [socket, cert] of open) {
      const reason = revocations.revocationOf(cert);
      if (reason !== undefined) refuse(socket, reason, 'now that a CRL revokes it');
    }
  });
  let listening = listeners.length;
  for (const listener of listeners) {
    listener.on('secureConnection', (socket: TLSSocket) => {
      const cert = socket.getPeerX509Certificate();
      if (cert === undefined) return;
      const reason = source.revocations().revocationOf(cert);
      if (reason !== undefined) return refuse(socket, reason, 'at its handshake');
      open.set(socket, cert);
      socket.once('close', () => open.delete(socket));
    });
    listener.once('close', () => {
      if (--listening === 0) unsubscribe();
    });
  }
}
