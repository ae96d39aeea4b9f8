import * as fs from 'node:fs';
import type { ConfigOrg } from './channel/channel-config';
import type { ClientTls } from './orderer/orderer-client';

/**
 * Client TLS for dialling nodes of `orgs`: roots from their TLS root and intermediate
 * certificates and `extraRootFiles`, and `clientCert` (mutual TLS). Peers are dialled with TLS
 * when this peer uses TLS (`tlsEnabled`: a network's peers share the setting); `whenRootsKnown`
 * dials with TLS whenever the orgs or the extra files give roots (orderers serve TLS whatever the
 * peer does), with the client certificate only if this peer has one.
 */
export function dialTls(
  orgs: readonly ConfigOrg[],
  extraRootFiles: readonly string[],
  options: { readonly tlsEnabled: boolean; readonly whenRootsKnown: boolean; readonly clientCert: Pick<ClientTls, 'certChain' | 'privateKey'> },
): ClientTls {
  if (!options.tlsEnabled && !options.whenRootsKnown) return {};
  const roots: Buffer[] = [];
  for (const org of orgs) {
    for (const c of [...org.msp.getTlsRootCertsList_asU8(), ...org.msp.getTlsIntermediateCertsList_asU8()]) roots.push(Buffer.from(c), Buffer.from('\n'));
  }
  for (const f of extraRootFiles) roots.push(fs.readFileSync(f), Buffer.from('\n'));
  if (roots.length === 0 && !options.tlsEnabled) return {};
  return { rootCerts: Buffer.concat(roots), ...options.clientCert };
}
