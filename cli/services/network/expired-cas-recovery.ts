import { ConfigError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { caEnd, caInPlace, copiesOf, copiesOfCa, replaceFiles, withRenewedCa } from './ca-copies';
import type { CaRecovery, RenewCaResult } from './ca-renewal-result';
import { noSubmitter, submitterCandidates } from './config-submitter';
import { orgNodesHere, recoveryEntry, reissueEndedAndStart, renewedCaEntry, replaceInChannels, runningIds } from './expired-ca-recovery';
import { bringOthersOnto } from './expired-tls-ca-recovery';
import type { Progress } from './network-access';
import type { NetworkLayout } from './network-layout';
import { orgAuthority } from './org-authority';
import type { MspOrg } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

/**
 * The org's CA and TLS CA as both recoveries of them ({@link recoverExpiredCas}, and the orderer
 * org's in `expired-orderer-cas-recovery.ts`) handle them: what goes in place of each (the re-issued
 * certificate when the one here ended, else the one here), the copies, the channel update, the
 * result's entries. Each step is idempotent, so a resumed run repeats it harmlessly.
 */
export function bothCas(dir: string, network: NetworkLayout, org: MspOrg, reissued: { ca: RenewedCa; tlsCa: RenewedCa }, now: Date) {
  const authority = orgAuthority();
  const ends = { ca: caEnd(reissued.ca.previousPem), tlsca: caEnd(reissued.tlsCa.previousPem) };
  const ca = caInPlace(reissued.ca, ends.ca, now);
  const tlsCa = caInPlace(reissued.tlsCa, ends.tlsca, now);
  const renewed = { ca: ca === reissued.ca, tlsCa: tlsCa === reissued.tlsCa };
  const staleCopies = (): Map<string, string> =>
    new Map([...copiesOf(network, authority, ca).map((f) => [f, ca.certPem] as const), ...copiesOf(network, authority, tlsCa).map((f) => [f, tlsCa.certPem] as const)]);
  return {
    tlsCaEnd: ends.tlsca,
    renewed,
    /** Whether a copy of either root under `organizations/` does not hold what goes in place. */
    anyStale: (): boolean => staleCopies().size > 0,
    /** Replaces every copy of either root under `organizations/` that does not hold what goes in place; returns the files. */
    replaceCopies(progress: Progress): string[] {
      const contents = staleCopies();
      replaceFiles(contents);
      const files = [...contents.keys()];
      if (files.length > 0) progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s CA and TLS CA certificates replaced under ${network.organizationsDir}`);
      return files;
    },
    /** Every copy of either root (what the other nodes read), or none when the run did nothing. */
    copiesToTake: (acted: boolean): string[] => (acted ? [...copiesOfCa(network, authority, ca.certPem), ...copiesOfCa(network, authority, tlsCa.certPem)] : []),
    /** One config update per channel of the org replacing root_certs and tls_root_certs ({@link replaceInChannels}). */
    inChannels: (candidates: ReturnType<typeof submitterCandidates>, progress: Progress) =>
      replaceInChannels(
        network,
        org,
        candidates,
        (msp) => withRenewedCa(withRenewedCa(msp, authority, 'ca', ca), authority, 'tlsca', tlsCa),
        { what: 'renewed CA and TLS CA certificates', rerun: `weft network renew ${shellWord(dir)} --org ${org.name} --ca --tls-ca` },
        progress,
      ),
    /** The result's `cas`: each of the two re-issued because it had ended. */
    entries: () => [...(renewed.ca ? [renewedCaEntry('ca', reissued.ca, ends.ca)] : []), ...(renewed.tlsCa ? [renewedCaEntry('tlsca', reissued.tlsCa, ends.tlsca)] : [])],
    /** Whether a run found nothing to do, saying so when it did. */
    nothingToDo(acted: boolean, progress: Progress): boolean {
      const nothing = !renewed.ca && !renewed.tlsCa && !acted;
      if (nothing) progress(`${org.mspId}'s CA and TLS CA were recovered already: every channel and file holds them, no member's certificate has ended, its nodes here run; nothing changed`);
      return nothing;
    },
  };
}

/** `RENEW_TARGET`: both CAs of `org` expired and one flag named; they are recovered together. */
export function bothExpiredOneNamed(dir: string, org: MspOrg, named: '--ca' | '--tls-ca'): ConfigError {
  return new ConfigError(
    'RENEW_TARGET',
    `${org.name}'s CA and TLS CA both expired: recovering either alone needs the other (members are re-issued from the CA and reach the nodes over TLS), so they are recovered together with --ca --tls-ca, not ${named} alone; nothing was changed`,
    { field: named, suggestions: [`weft network renew ${shellWord(dir)} --org ${org.name} --ca --tls-ca`] },
  );
}

/**
 * `weft network renew --org O --ca --tls-ca` when both of O's CAs have expired (O a peer org: the
 * orderer org's is {@link recoverExpiredOrdererCas}; every node trusting its TLS root a node of this
 * directory: checked by the caller), or a run of it
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
 *    ran when the run began and do not run now are started ({@link reissueEndedAndStart});
 * 4. the other running nodes that read a copy reload (orderers) or restart (other orgs' peers:
 *    their connections keep the roots they were dialled with; {@link bringOthersOnto}).
 */
export async function recoverExpiredCas(dir: string, network: NetworkLayout, org: MspOrg, reissued: { ca: RenewedCa; tlsCa: RenewedCa }, options: { restart?: boolean }, progress: Progress): Promise<RenewCaResult & { recovery: CaRecovery }> {
  const now = new Date();
  const cas = bothCas(dir, network, org, reissued, now);
  const candidates = submitterCandidates(network, org, now);
  if (candidates.usable.length === 0) throw noSubmitter(org, candidates.refused);
  const runningAtStart = runningIds(orgNodesHere(network, org));

  const { channels, submitter } = await cas.inChannels(candidates, progress);
  const files = cas.replaceCopies(progress);

  const nodes = await reissueEndedAndStart(dir, network, org, now, runningAtStart, progress);
  const { members, started } = nodes;
  // A run finishing one that stopped after the files has none left to replace, but the nodes that read them may not have taken them yet.
  const acted = channels.length > 0 || files.length > 0 || members.length > 0 || started.length > 0;
  const done = [...started, ...members.map((m) => m.id)];
  const taken = await bringOthersOnto(dir, network, org, cas.copiesToTake(acted), done, { ...options, ended: cas.tlsCaEnd }, progress);

  const nothingToDo = cas.nothingToDo(acted, progress);
  return {
    org: org.name,
    mspId: org.mspId,
    cas: cas.entries(),
    channels,
    files,
    ...taken,
    recovery: recoveryEntry(submitter, members, nodes, nothingToDo),
  };
}
