import { X509Certificate } from 'node:crypto';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { copiesOf, replaceFiles, takeReplacedCopies, withRenewedCa } from './ca-copies';
import type { RenewCaResult } from './ca-renewal-result';
import { expiredMembers, recoverExpiredCa } from './expired-ca-recovery';
import { openNetwork, type Progress } from './network-access';
import { assertCaKeysHere } from './network-users';
import { orgAuthority } from './org-authority';
import { assertOrgAdminHere, orgMspStates, resolveMspOrg, setOrgMsp, type ChannelUpdated, type MspOrg } from './org-msp-channels';

const DAY_MS = 86_400_000;

export type { RenewCaResult } from './ca-renewal-result';

export interface RenewCaOptions {
  /** The org (name, MSP ID or domain): a peer org or the orderer org. */
  readonly org: string;
  /** Renew the org's CA (enrollment certificates' root). */
  readonly ca: boolean;
  /** Renew the org's TLS CA. */
  readonly tlsCa: boolean;
  /** Validity from now in days; ten years by default. */
  readonly days?: number;
  /** Restart the nodes running here that read a replaced copy. */
  readonly restart?: boolean;
}


/**
 * Refuses, before anything is written, to renew an expired TLS CA in place. Every TLS certificate
 * it issued ended with it, and a TLS handshake (unlike the MSP) checks the whole chain at the
 * current time, the root included: the org's nodes cannot serve or dial anyone, and every node of
 * the network that trusts the org's TLS root (its local copies, and the channels' tls_root_certs
 * its client CA roots are built from) refuses the org's certificates, renewed ones too, until that
 * node holds the renewed root. Those nodes may run on other hosts, which this directory neither
 * reaches nor updates, so Weft does not do it in place.
 */
function assertTlsCaNotExpired(dir: string, org: MspOrg, ca: RenewedCa, now: Date, context = ''): void {
  const end = new Date(new X509Certificate(ca.previousPem).validTo);
  if (end.getTime() > now.getTime()) return;
  throw new ConfigError(
    'CA_EXPIRED',
    `${org.name}'s TLS CA (${ca.fileName}) expired on ${end.toISOString()}: every TLS certificate it issued ended with it, and TLS checks a chain at the current time, root included, so no node of ${org.mspId} can serve or dial over TLS, and every node that trusts ${org.mspId}'s TLS root refuses even a renewed certificate until it holds the renewed root, on whichever host it runs${context}. weft network renew cannot recover an expired TLS CA in place; nothing was changed`,
    {
      field: '--tls-ca',
      file: path.join(org.orgDir, 'tlsca', ca.fileName),
      notAfter: end.toISOString(),
      suggestions: [
        `stop ${org.name}'s nodes and every node that trusts its TLS root (peer.ordererTlsRootCertFiles, mutual-TLS client roots)`,
        `re-issue the TLS CA certificate for its key (same subject and SKI) and every TLS certificate it issued, and copy the new root over every copy under organizations/ and on the other hosts`,
        `start the nodes, then replace the root in each channel's ${org.mspId} tls_root_certs with a config update (weft channel update --from-file) signed by ${org.mspId}'s Admin`,
        `renew a TLS CA before it expires next time: weft network status lists one within 30 days of its end, and weft network renew ${dir} --org ${org.name} --tls-ca then needs no restart`,
      ],
    },
  );
}

/**
 * `weft network renew --org O --ca/--tls-ca`: re-issues the org's CA (or TLS CA) certificate for
 * the same key, subject and SKI, so every certificate it issued still chains to it, with a new
 * expiry; replaces it in the org's MSP in every channel (root_certs or tls_root_certs, and the
 * NodeOU identifiers, by config updates the org's Admin signs, waiting for this directory's peers);
 * then rewrites every copy under `organizations/` under the same file name (NodeOU config.yaml
 * files point at them). Channels first, files last: a run that stopped midway is finished by
 * running it again, as the copies still hold the old certificate and each channel is matched by
 * the CA's subject and key, not its bytes. Running nodes here then reload: their local MSP and every
 * listener's client CA roots (gRPC, operations, admin) hold the renewed copy; one that cannot reload
 * keeps the copy it read until restarted (good until the old certificate's expiry); `restart`
 * restarts those running here instead. An expired CA (`--ca`), or one whose members here still
 * hold ended certificates (a recovery that stopped midway), is recovered by {@link recoverExpiredCa};
 * an expired TLS CA is refused (`CA_EXPIRED`).
 */
export async function renewOrgCas(dir: string, options: RenewCaOptions, progress: Progress): Promise<RenewCaResult> {
  if (options.days !== undefined && (!Number.isInteger(options.days) || options.days < 1)) {
    throw new ConfigError('BAD_DAYS', `--days ${options.days}: expected a whole number of days, at least 1`, { field: '--days', value: options.days });
  }
  const network = openNetwork(dir);
  const org: MspOrg = resolveMspOrg(network, options.org);
  const which = [...(options.ca ? ['ca' as const] : []), ...(options.tlsCa ? ['tlsca' as const] : [])];
  if (which.length === 0) throw new ConfigError('RENEW_TARGET', 'name the CA to renew: --ca, --tls-ca, or both', { field: '--ca' });
  assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, which, `renewing ${org.name}'s ${which.join(' and ')}`);
  assertOrgAdminHere(network, org);
  const authority = orgAuthority();
  const now = new Date();
  const notAfter = options.days === undefined ? undefined : new Date(now.getTime() + options.days * DAY_MS);
  const orgRef = { orgDir: org.orgDir, domain: org.domain };
  const renewed = new Map<'ca' | 'tlsca', RenewedCa>();
  for (const w of which) renewed.set(w, await authority.renewOrgCa(orgRef, w, { now, ...(notAfter !== undefined && { notAfter }) }));
  const tlsCa = renewed.get('tlsca');
  if (tlsCa !== undefined) assertTlsCaNotExpired(dir, org, tlsCa, now);
  const ca = renewed.get('ca');
  if (ca !== undefined && (new Date(new X509Certificate(ca.previousPem).validTo).getTime() <= now.getTime() || expiredMembers(network, org, now).length > 0)) {
    // The recovery re-issues the org's members, their TLS certificates from the TLS CA: checked before anything changes.
    assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, ['ca', 'tlsca'], `recovering ${org.name}'s expired CA (its members' certificates are re-issued)`);
    assertTlsCaNotExpired(dir, org, tlsCa ?? (await authority.renewOrgCa(orgRef, 'tlsca', { now })), now, `; recovering ${org.name}'s expired CA re-issues its members' TLS certificates from it too`);
    if (tlsCa !== undefined) {
      throw new ConfigError('RENEW_TARGET', `${org.name}'s CA expired (or its members' certificates did): recover it alone first (--ca), then renew its TLS CA (--tls-ca); nothing was changed`, {
        field: '--tls-ca',
        suggestions: [`weft network renew ${dir} --org ${org.name} --ca`, `then: weft network renew ${dir} --org ${org.name} --tls-ca`],
      });
    }
    return recoverExpiredCa(dir, network, org, ca, { ...(options.restart !== undefined && { restart: options.restart }) }, progress);
  }

  const channels: ChannelUpdated[] = [];
  for (const state of await orgMspStates(network, org)) {
    let msp = state.msp;
    for (const [w, c] of renewed) msp = withRenewedCa(msp, authority, w, c);
    if (Buffer.from(msp.serializeBinary()).equals(Buffer.from(state.msp.serializeBinary()))) continue;
    channels.push(
      await setOrgMsp(network, org, state, msp, `renewed ${which.join(' and ')} certificate`, progress, {
        code: 'CA_RENEWAL_UNCONFIRMED',
        rerun: `run the same weft network renew --org ${org.name} again once the peers are up: it re-issues the certificate and finishes every channel and file`,
      }),
    );
  }

  const contents = new Map<string, string>();
  for (const c of renewed.values()) for (const file of copiesOf(network, authority, c)) contents.set(file, c.certPem);
  replaceFiles(contents);
  const files = [...contents.keys()];
  progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s ${which.join(' and ')} certificate replaced under ${network.organizationsDir}`);
  const goodUntil = [...renewed.values()].map((c) => new X509Certificate(c.previousPem).validTo).join(', ');
  const taken = await takeReplacedCopies(dir, network, files, { ...(options.restart !== undefined && { restart: options.restart }), goodUntil }, progress);
  return {
    org: org.name,
    mspId: org.mspId,
    cas: [...renewed].map(([w, c]) => ({
      which: w,
      fileName: c.fileName,
      serialNumber: c.serialNumber,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      previousNotAfter: new Date(new X509Certificate(c.previousPem).validTo).toISOString(),
    })),
    channels,
    files,
    ...taken,
  };
}
