import type { PeerCertificate } from 'node:tls';
import { tlsCertificateHash } from '../protocol/deliver-request';

/** The part of a grpc-js server call that knows the connection's TLS peer. */
export interface TlsCall {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

const EMPTY = new Uint8Array(0);

/** SHA-256 of the client's TLS certificate on this call's connection; empty when it sent none. */
export function clientCertificateHash(call: TlsCall): Uint8Array {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  return raw === undefined || raw.length === 0 ? EMPTY : tlsCertificateHash(raw);
}
