import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { copiesOf, copiesOfCa, replaceFiles, withRenewedCa, type CaReplacement } from './ca-copies';
import type { CaRecovery, RenewCaResult } from './ca-renewal-result';
import { noSubmitter, submitterCandidates } from './config-submitter';
import { recoveryEntry, reissueEndedAndStart, renewedCaEntry, replaceInChannels } from './expired-ca-recovery';
import { bringOthersOnto } from './expired-tls-ca-recovery';
import type { Progress } from './network-access';
import type { NetworkLayout } from './network-layout';
import { orgAuthority } from './org-authority';
import type { MspOrg } from './org-msp-channels';

/** A CA certificate's end. */
function endOf(pem: string): Date {
  return new Date(new X509Certificate(pem).validTo);
}

/**
 * Refuses, before anything is written, the orderer org with both CAs expired: its orderers' TLS
 * certificates ended with the TLS CA, so none serves the config update that replaces the roots;
 * and an orderer re-issued first would sign blocks with a certificate issued after the root's end,
 * which peers check against the expired root the channels hold (the MSP checks a chain at the
 * certificate's start) and so refuse, that update's block too.
 */
export function assertBothRecoverable(dir: string, org: MspOrg): void {
  if (org.peerOrg !== undefined) return;
  throw new ConfigError(
    'CA_EXPIRED',
    `${org.name}'s CA and TLS CA both expired: its orderers' TLS certificates ended with the TLS CA, so no orderer can take the config update that replaces the roots in the channels, and an orderer whose certificates are re-issued now signs blocks that peers check against the expired root the channels hold and refuse. weft network renew does not recover the orderer org in place in that state; nothing was changed`,
    {
      field: '--org',
      org: org.name,
      suggestions: [
        `if an orderer still runs on valid certificates elsewhere, run weft network renew ${dir} --org ${org.name} --ca --tls-ca where it is reachable`,
        `when every org's CAs expired (weft network init makes them end together) and every node runs from this directory: weft network renew ${dir} --all-expired`,
        "otherwise the channels must be rebuilt from their blocks by hand: renew the orderer org's CAs before they expire next time (weft network status flags them 30 days ahead)",
      ],
    },
  );
}

/** `RENEW_TARGET`: both CAs of `org` expired and one flag named; they are recovered together. */
export function bothExpiredOneNamed(dir: string, org: MspOrg, named: '--ca' | '--tls-ca'): ConfigError {
  return new ConfigError(
    'RENEW_TARGET',
    `${org.name}'s CA and TLS CA both expired: recovering either alone needs the other (members are re-issued from the CA and reach the nodes over TLS), so they are recovered together with --ca --tls-ca, not ${named} alone; nothing was changed`,
    { field: named, suggestions: [`weft network renew ${dir} --org ${org.name} --ca --tls-ca`] },
  );
}

/**
 * `weft network renew --org O --ca --tls-ca` when both of O's CAs have expired (O a peer org, every
 * node trusting its TLS root a node of this directory: checked by the caller), or a run of it
 * stopped midway (a member of O here still holds ended enrollment and TLS certificates). `reissued`
 * are the certificates renewed in memory; each is put in place only when the one here has ended.
 * In order, so that running it again after a failure finishes the job:
 * 1. every channel of O gets both renewed roots, root_certs and tls_root_certs, in one config
 *    update per channel that O's expired Admin signs inside and another org's unexpired Admin
 *    submits through the orderers ({@link replaceInChannels}, as the CA recovery): nothing of O's
 *    is needed over TLS, and the orderers' client roots (the channels' tls_root_certs) then admit
 *    O's renewed TLS certificates;
 * 2. every copy of either root under `organizations/`;
 * 3. every member of O whose enrollment or TLS certificate ended is re-issued, O's nodes here that
 *    do not run are started ({@link reissueEndedAndStart});
 * 4. the other running nodes that read a copy reload (orderers) or restart (other orgs' peers:
 *    their connections keep the roots they were dialled with; {@link bringOthersOnto}).
 */
export async function recoverExpiredCas(dir: string, network: NetworkLayout, org: MspOrg, reissued: { ca: RenewedCa; tlsCa: RenewedCa }, options: { restart?: boolean }, progress: Progress): Promise<RenewCaResult & { recovery: CaRecovery }> {
  const now = new Date();
  const authority = orgAuthority();
  const ends = { ca: endOf(reissued.ca.previousPem), tlsca: endOf(reissued.tlsCa.previousPem) };
  const inPlace = (c: RenewedCa, end: Date): CaReplacement => (end.getTime() <= now.getTime() ? c : { certPem: c.previousPem, previousPem: c.previousPem });
  const ca = inPlace(reissued.ca, ends.ca);
  const tlsCa = inPlace(reissued.tlsCa, ends.tlsca);
  const candidates = submitterCandidates(network, org, now);
  if (candidates.usable.length === 0) throw noSubmitter(org, candidates.refused);

  const { channels, submitter } = await replaceInChannels(
    network,
    org,
    candidates,
    (msp) => withRenewedCa(withRenewedCa(msp, authority, 'ca', ca), authority, 'tlsca', tlsCa),
    { what: 'renewed CA and TLS CA certificates', rerun: `weft network renew ${dir} --org ${org.name} --ca --tls-ca` },
    progress,
  );

  const contents = new Map([...copiesOf(network, authority, ca).map((f) => [f, ca.certPem] as const), ...copiesOf(network, authority, tlsCa).map((f) => [f, tlsCa.certPem] as const)]);
  replaceFiles(contents);
  const files = [...contents.keys()];
  if (files.length > 0) progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s CA and TLS CA certificates replaced under ${network.organizationsDir}`);

  const { members, stopped } = await reissueEndedAndStart(dir, network, org, now, progress);
  // A run finishing one that stopped after the files has none left to replace, but the nodes that read them may not have taken them yet.
  const acted = channels.length > 0 || files.length > 0 || members.length > 0 || stopped.length > 0;
  const copies = acted ? [...copiesOfCa(network, authority, ca.certPem), ...copiesOfCa(network, authority, tlsCa.certPem)] : [];
  const done = [...stopped, ...members.map((m) => m.id)];
  const taken = await bringOthersOnto(dir, network, org, copies, done, { ...options, ended: ends.tlsca }, progress);

  const caEnded = ca === reissued.ca;
  const tlsCaEnded = tlsCa === reissued.tlsCa;
  const nothingToDo = !caEnded && !tlsCaEnded && !acted;
  if (nothingToDo) progress(`${org.mspId}'s CA and TLS CA were recovered already: every channel and file holds them, no member's certificate has ended, its nodes here run; nothing changed`);
  return {
    org: org.name,
    mspId: org.mspId,
    cas: [...(caEnded ? [renewedCaEntry('ca', reissued.ca, ends.ca)] : []), ...(tlsCaEnded ? [renewedCaEntry('tlsca', reissued.tlsCa, ends.tlsca)] : [])],
    channels,
    files,
    ...taken,
    recovery: recoveryEntry(submitter, members, stopped, nothingToDo),
  };
}
