import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { ORG_CA_RENEW_FLAG, type OrgCaKind, type RenewedCa } from '../../../core/msp/crypto-material';
import { caEnd, renewedCopies, replaceFiles, takeReplacedCopies, withRenewedCa } from './ca-copies';
import type { RenewCaResult } from './ca-renewal-result';
import { expiredMembers, recoverExpiredCa } from './expired-ca-recovery';
import { bothExpiredOneNamed, recoverExpiredCas } from './expired-cas-recovery';
import { ordererRecoveryUnfinished, recoverExpiredOrdererCas } from './expired-orderer-cas-recovery';
import { recoverExpiredTlsCa, trustingNodesElsewhere } from './expired-tls-ca-recovery';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { intermediateCasOf, orgCaFiles } from './org-intermediate';
import { openNetwork, type Progress } from './network-access';
import { assertCaKeysHere } from './network-users';
import { orgAuthority } from './org-authority';
import { assertOrgAdminHere, orgMspStates, resolveMspOrg, setOrgMsp, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

const DAY_MS = 86_400_000;

export type { RenewCaResult } from './ca-renewal-result';

export interface RenewCaOptions {
  /** The org (name, MSP ID or domain): a peer org or the orderer org. */
  readonly org: string;
  /** Renew the org's CA (enrollment certificates' root). */
  readonly ca: boolean;
  /** Renew the org's TLS CA. */
  readonly tlsCa: boolean;
  /** Renew the root above the org's intermediate CA (an org made with `--intermediate-ca`); its key must be in `rootca/`. */
  readonly rootCa?: boolean;
  /** Renew the root above the org's TLS intermediate likewise (`tlsrootca/`). */
  readonly tlsRootCa?: boolean;
  /** Validity from now in days; ten years by default. */
  readonly days?: number;
  /** Restart the nodes running here that read a replaced copy. */
  readonly restart?: boolean;
}


/**
 * Refuses, before anything is written, an expired TLS CA that cannot be recovered in place: every
 * TLS certificate it issued ended with it, and a TLS handshake (unlike the MSP) checks the whole
 * chain at the current time, the root included, so every node trusting the org's TLS root refuses
 * the org's certificates, renewed ones too, until it holds the renewed root. {@link recoverExpiredTlsCa}
 * does that when every such node is a node of this directory ({@link recoverExpiredCas} when the
 * org's CA expired too); `elsewhere` names the nodes that are not here (on other hosts, or keys
 * elsewhere), which this directory neither reaches nor updates; `context` adds why the TLS CA matters
 * to the recovery asked for.
 */
function assertTlsCaNotExpired(dir: string, org: MspOrg, ca: RenewedCa, now: Date, elsewhere: readonly NodeLayout[], context = ''): void {
  const end = new Date(new X509Certificate(ca.previousPem).validTo);
  if (end.getTime() > now.getTime()) return;
  const ids = elsewhere.map((n) => n.id).join(', ');
  const why =
    elsewhere.length > 0
      ? `weft network renew recovers an expired TLS CA in place only when every node trusting it runs from this directory, and ${ids} do${elsewhere.length === 1 ? 'es' : ''} not (keys elsewhere, or on another host)`
      : `recover it with weft network renew ${shellWord(dir)} --org ${org.name} --tls-ca (--ca --tls-ca when the CA expired too)`;
  throw new ConfigError(
    'CA_EXPIRED',
    `${org.name}'s TLS CA (${ca.fileName}) expired on ${end.toISOString()}: every TLS certificate it issued ended with it, and TLS checks a chain at the current time, root included, so no node of ${org.mspId} can serve or dial over TLS, and every node that trusts ${org.mspId}'s TLS root refuses even a renewed certificate until it holds the renewed root, on whichever host it runs${context}. ${why}; nothing was changed`,
    {
      field: '--tls-ca',
      file: path.join(org.orgDir, 'tlsca', ca.fileName),
      notAfter: end.toISOString(),
      nodesElsewhere: elsewhere.map((n) => n.id),
      suggestions: [
        `stop ${org.name}'s nodes and every node that trusts its TLS root (peer.ordererTlsRootCertFiles, mutual-TLS client roots)${elsewhere.length > 0 ? `, ${ids} included` : ''}`,
        `re-issue the TLS CA certificate for its key (same subject and SKI) and every TLS certificate it issued, and copy the new root over every copy under organizations/ and on the other hosts`,
        `start the nodes, then replace the root in each channel's ${org.mspId} tls_root_certs with a config update (weft channel update --from-file) signed by ${org.mspId}'s Admin`,
        `renew a TLS CA before it expires next time: weft network status lists one within 30 days of its end, and weft network renew ${shellWord(dir)} --org ${org.name} --tls-ca then needs no restart`,
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
 * an expired TLS CA (`--tls-ca`, or its members' ended TLS certificates) by {@link recoverExpiredTlsCa}
 * when every node trusting it runs from here, else refused (`CA_EXPIRED` naming those that do not);
 * both expired (`--ca --tls-ca`) by {@link recoverExpiredCas} for a peer org, {@link recoverExpiredOrdererCas}
 * for the orderer org, under the same condition.
 */
export async function renewOrgCas(dir: string, options: RenewCaOptions, progress: Progress): Promise<RenewCaResult> {
  if (options.days !== undefined && (!Number.isInteger(options.days) || options.days < 1)) {
    throw new ConfigError('BAD_DAYS', `--days ${options.days}: expected a whole number of days, at least 1`, { field: '--days', value: options.days });
  }
  const network = openNetwork(dir);
  const org: MspOrg = resolveMspOrg(network, options.org);
  const which = [...(options.ca ? ['ca' as const] : []), ...(options.tlsCa ? ['tlsca' as const] : [])];
  const roots = [...(options.rootCa === true ? ['rootca' as const] : []), ...(options.tlsRootCa === true ? ['tlsrootca' as const] : [])];
  if (which.length === 0 && roots.length === 0) throw new ConfigError('RENEW_TARGET', 'name the CA to renew: --ca, --tls-ca, or both (--root-ca, --tls-root-ca for the roots above an intermediate)', { field: '--ca' });
  const intermediate = intermediateCasOf(org.orgDir);
  if (roots.length > 0 && !intermediate) {
    throw new ConfigError('RENEW_TARGET', `${org.name} issues from its root CAs (no intermediate): its roots are renewed with --ca and --tls-ca`, {
      field: ORG_CA_RENEW_FLAG[roots[0]!],
      suggestions: [`weft network renew ${shellWord(dir)} --org ${org.name} ${roots.map((r) => (r === 'rootca' ? '--ca' : '--tls-ca')).join(' ')}`],
    });
  }
  assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, which, `renewing ${org.name}'s ${which.join(' and ')}`);
  assertOrgAdminHere(network, org);
  const authority = orgAuthority();
  const now = new Date();
  const notAfter = options.days === undefined ? undefined : new Date(now.getTime() + options.days * DAY_MS);
  const orgRef = { orgDir: org.orgDir, domain: org.domain };
  // An intermediate's end is capped at its root's end as the files hold it: renewing both in one run, the root's old end.
  if (intermediate) return renewIntermediateOrgCas(dir, network, org, [...roots, ...which], { now, notAfter, restart: options.restart }, progress);
  const renewed = new Map<'ca' | 'tlsca', RenewedCa>();
  for (const w of which) renewed.set(w, await authority.renewOrgCa(orgRef, w, { now, ...(notAfter !== undefined && { notAfter }) }));
  const tlsCa = renewed.get('tlsca');
  const ca = renewed.get('ca');
  const ended = (c: RenewedCa): boolean => new Date(new X509Certificate(c.previousPem).validTo).getTime() <= now.getTime();
  if (ca !== undefined && tlsCa !== undefined) {
    const endedMembers = expiredMembers(network, org, now);
    // Both expired, or a run of their recovery stopped after the files: members with both certificates ended.
    // The orderer org's recovery also leaves a record while its nodes are down for it.
    const unfinished =
      (!ended(ca) && !ended(tlsCa) && endedMembers.some((m) => m.ended.includes('enrollment')) && endedMembers.some((m) => m.ended.includes('tls'))) || ordererRecoveryUnfinished(network, org);
    if ((ended(ca) && ended(tlsCa)) || unfinished) {
      const elsewhere = await trustingNodesElsewhere(network, org);
      if (elsewhere.length > 0) assertTlsCaNotExpired(dir, org, tlsCa, now, elsewhere);
      const recover = org.peerOrg === undefined ? recoverExpiredOrdererCas : recoverExpiredCas;
      return recover(dir, network, org, { ca, tlsCa }, { ...(options.restart !== undefined && { restart: options.restart }) }, progress);
    }
  }
  if (tlsCa !== undefined && (ended(tlsCa) || expiredMembers(network, org, now).some((m) => m.ended.includes('tls')))) {
    const elsewhere = await trustingNodesElsewhere(network, org);
    if (elsewhere.length > 0) assertTlsCaNotExpired(dir, org, tlsCa, now, elsewhere);
    // The recovery re-issues the org's members (enrollment certificates too) and its Admin signs the channel updates.
    assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, ['ca', 'tlsca'], `recovering ${org.name}'s expired TLS CA (its members' certificates are re-issued)`);
    const enrollmentCa = ca ?? (await authority.renewOrgCa(orgRef, 'ca', { now }));
    // Its members are re-issued from the CA and its Admin signs the channel updates: an expired CA comes first, or with it (--ca --tls-ca).
    if (ended(enrollmentCa)) {
      if (ended(tlsCa)) throw bothExpiredOneNamed(dir, org, '--tls-ca');
      throw new ConfigError('RENEW_TARGET', `${org.name}'s CA expired, and with it its members' certificates: recover it first (--ca); nothing was changed`, { field: '--tls-ca', suggestions: [`weft network renew ${shellWord(dir)} --org ${org.name} --ca`] });
    }
    if (ca !== undefined) {
      throw new ConfigError('RENEW_TARGET', `${org.name}'s TLS CA expired (or its members' TLS certificates did): recover it alone first (--tls-ca), then renew its CA (--ca); nothing was changed`, {
        field: '--ca',
        suggestions: [`weft network renew ${shellWord(dir)} --org ${org.name} --tls-ca`, `then: weft network renew ${shellWord(dir)} --org ${org.name} --ca`],
      });
    }
    return recoverExpiredTlsCa(dir, network, org, tlsCa, { ...(options.restart !== undefined && { restart: options.restart }) }, progress);
  }
  if (ca !== undefined) {
    // A CA is renewed (and recovered) over TLS, its members' TLS certificates re-issued from the TLS CA: an expired one comes first.
    const currentTlsCa = tlsCa ?? (await authority.renewOrgCa(orgRef, 'tlsca', { now }));
    const elsewhere = await trustingNodesElsewhere(network, org);
    if (ended(currentTlsCa) && !ended(ca) && elsewhere.length === 0) {
      throw new ConfigError('RENEW_TARGET', `${org.name}'s TLS CA expired, and with it its members' TLS certificates: recover it first (--tls-ca), then renew its CA (--ca); nothing was changed`, {
        field: '--ca',
        suggestions: [`weft network renew ${shellWord(dir)} --org ${org.name} --tls-ca`],
      });
    }
    if (ended(currentTlsCa) && ended(ca) && elsewhere.length === 0) throw bothExpiredOneNamed(dir, org, '--ca');
    assertTlsCaNotExpired(dir, org, currentTlsCa, now, elsewhere, ended(ca) ? `; recovering ${org.name}'s expired CA re-issues its members' TLS certificates from it too` : '');
  }
  if (ca !== undefined && (ended(ca) || expiredMembers(network, org, now).length > 0)) {
    // The recovery re-issues the org's members, their TLS certificates from the TLS CA: checked before anything changes.
    assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, ['ca', 'tlsca'], `recovering ${org.name}'s expired CA (its members' certificates are re-issued)`);
    if (tlsCa !== undefined) {
      throw new ConfigError('RENEW_TARGET', `${org.name}'s CA expired (or its members' certificates did): recover it alone first (--ca), then renew its TLS CA (--tls-ca); nothing was changed`, {
        field: '--tls-ca',
        suggestions: [`weft network renew ${shellWord(dir)} --org ${org.name} --ca`, `then: weft network renew ${shellWord(dir)} --org ${org.name} --tls-ca`],
      });
    }
    return recoverExpiredCa(dir, network, org, ca, { ...(options.restart !== undefined && { restart: options.restart }) }, progress);
  }

  return replaceRenewedCas(dir, network, org, renewed, options.restart, progress);
}

/**
 * Renews an intermediate org's CAs (`weft network init --intermediate-ca`): its roots (`rootca`,
 * `tlsrootca`) and intermediates (`ca`, `tlsca`) re-issued for the same keys, then replaced in the
 * channels and files as {@link replaceRenewedCas} does. The expired-CA recoveries do not handle
 * such an org: an ended CA, or members whose certificates ended, is `CA_INTERMEDIATE_UNSUPPORTED`
 * before anything changes.
 */
async function renewIntermediateOrgCas(
  dir: string,
  network: NetworkLayout,
  org: MspOrg,
  which: readonly OrgCaKind[],
  options: { now: Date; notAfter: Date | undefined; restart: boolean | undefined },
  progress: Progress,
): Promise<RenewCaResult> {
  const authority = orgAuthority();
  const orgRef = { orgDir: org.orgDir, domain: org.domain };
  const renewed = new Map<OrgCaKind, RenewedCa>();
  for (const w of which) renewed.set(w, await authority.renewOrgCa(orgRef, w, { now: options.now, ...(options.notAfter !== undefined && { notAfter: options.notAfter }) }));
  // Any CA of the org ended, renewed now or not (its channel updates go over TLS, its Admin signs them): the recoveries' ground.
  const ended = orgCaFiles(org.orgDir).filter((file) => caEnd(fs.readFileSync(file, 'utf8')).getTime() <= options.now.getTime());
  const endedMembers = expiredMembers(network, org, options.now);
  if (ended.length > 0 || endedMembers.length > 0) {
    throw new ConfigError(
      'CA_INTERMEDIATE_UNSUPPORTED',
      `${org.name} issues from an intermediate CA, and ${ended.length > 0 ? `its CA certificate ${ended.map((f) => path.basename(f)).join(' and ')} ended` : `${endedMembers.map((m) => m.id).join(', ')} ${endedMembers.length === 1 ? 'holds' : 'hold'} ended certificates`}: weft network renew recovers expired CAs in place only for orgs issuing from their roots; nothing was changed`,
      {
        field: '--ca',
        ...(ended.length > 0 && { file: ended[0] }),
        suggestions: [
          `renew ${org.name}'s CAs before they end next time: weft network status lists each, intermediates included, within 30 days of its end`,
          `re-issue the ended certificates from the root by hand (same subject and key), replace every copy under organizations/ and each channel's ${org.mspId} MSP with a config update its Admin signs`,
        ],
      },
    );
  }
  return replaceRenewedCas(dir, network, org, renewed, options.restart, progress);
}

/**
 * Puts renewed CA certificates in place: in the org's MSP in every channel (by config updates the
 * org's Admin signs, waiting for this directory's peers), then every copy under `organizations/`
 * (bundles too), then the nodes running here take them (reload, or `restart`).
 */
async function replaceRenewedCas(dir: string, network: NetworkLayout, org: MspOrg, renewed: ReadonlyMap<OrgCaKind, RenewedCa>, restart: boolean | undefined, progress: Progress): Promise<RenewCaResult> {
  const authority = orgAuthority();
  const which = [...renewed.keys()];
  const channels: ChannelUpdated[] = [];
  for (const state of await orgMspStates(network, org)) {
    let msp = state.msp;
    for (const [w, c] of renewed) msp = withRenewedCa(msp, authority, w === 'tlsca' || w === 'tlsrootca' ? 'tlsca' : 'ca', c);
    if (Buffer.from(msp.serializeBinary()).equals(Buffer.from(state.msp.serializeBinary()))) continue;
    channels.push(
      await setOrgMsp(network, org, state, msp, `renewed ${which.join(' and ')} certificate`, progress, {
        code: 'CA_RENEWAL_UNCONFIRMED',
        rerun: `run the same weft network renew --org ${org.name} again once the peers answer: it re-issues the certificate and finishes every channel and file`,
      }),
    );
  }

  const contents = renewedCopies(network, authority, [...renewed.values()]);
  replaceFiles(contents);
  const files = [...contents.keys()];
  progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s ${which.join(' and ')} certificate replaced under ${network.organizationsDir}`);
  const goodUntil = [...renewed.values()].map((c) => new X509Certificate(c.previousPem).validTo).join(', ');
  const taken = await takeReplacedCopies(dir, network, files, { ...(restart !== undefined && { restart }), goodUntil }, progress);
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
