import type { X509Certificate } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import type { TLSSocket } from 'node:tls';
import type { Server } from '@grpc/grpc-js';
import { NodeError } from '../errors';
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
 * Must be called after the server is bound; grpc-js does not expose its listeners, so they are read
 * from its `http2Servers` field (as `enforceConnectionTimeout` does), and a grpc-js without it makes
 * this throw rather than leave revoked clients in.
 */
export function refuseRevokedTlsClients(server: Server, source: TlsRevocationSource, logger?: Logger): void {
  const listeners = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listeners instanceof Map)) {
    throw new NodeError('GRPC_LISTENERS_UNREADABLE', 'cannot refuse revoked TLS clients: this grpc-js keeps its listeners elsewhere than Server.http2Servers', {
      field: 'http2Servers',
    });
  }
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
  let listening = listeners.size;
  for (const listener of listeners.keys() as Iterable<EventEmitter>) {
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
