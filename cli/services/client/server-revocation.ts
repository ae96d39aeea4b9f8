import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { refuseRevokedServer, TlsRevocations } from '../../../core/node/tls-revocation';
import type { NodeLayout } from '../network/network-layout';

/** The PEM or DER CRLs in an MSP folder's `crls/` (none when it has no such folder, as a remote org's node may not). */
export function mspFolderCrls(mspDir: string): Uint8Array[] {
  const dir = path.join(mspDir, 'crls');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f))) : [];
}

/**
 * The TLS certificates `node`'s own MSP folder revokes: the CRLs in its `crls/` that its org's TLS
 * CA (`tls/ca.crt`, the root the CLI dials it with) signed. `weft network revoke`, `renew
 * --revoke-old` and `remove-peer` write the TLS CA's CRL there (`tls-crl.pem`) as they put it in the
 * channel configs, so the CLI refuses a node presenting a revoked certificate (a removed node's
 * leaked key at its old address) without reading any channel config: two small files per
 * connection, read when its credentials are made.
 */
export function nodeServerRevocations(node: Pick<NodeLayout, 'id' | 'mspDir' | 'tlsRootCertPath'>): TlsRevocations {
  const crls = mspFolderCrls(node.mspDir);
  if (crls.length === 0) return TlsRevocations.NONE;
  return TlsRevocations.fromCrls([fs.readFileSync(node.tlsRootCertPath)], crls, `${node.id}'s MSP folder crls/`);
}

/** Node's `checkServerIdentity` for a connection to `node`, refusing a certificate its MSP folder's TLS CRL lists (see {@link nodeServerRevocations}). */
export function checkNodeServer(node: Pick<NodeLayout, 'id' | 'mspDir' | 'tlsRootCertPath'>): (host: string, cert: PeerCertificate) => Error | undefined {
  const revocations = nodeServerRevocations(node);
  return refuseRevokedServer(() => revocations);
}
