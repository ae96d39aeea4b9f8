import { ConfigError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import type { CaRecovery, RenewCaResult } from './ca-renewal-result';
import { noSubmitter, submitterCandidates } from './config-submitter';
import { expiredMembers, orgNodesHere, recoveryEntry, runningIds } from './expired-ca-recovery';
import { bothCas } from './expired-cas-recovery';
import { reissueBackdated, type BackdatedMember } from './expired-member-backdate';
import { clearRecordedStops, nodesToStart, recordedStops, recoveryUnderway, startPlanned, stopForRecovery } from './expired-recovery-stops';
import { bringOthersOnto } from './expired-tls-ca-recovery';
import type { Progress } from './network-access';
import type { NetworkLayout } from './network-layout';
import type { MspOrg } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

/** Whether a run of the orderer org's recovery began changing things and stopped midway: the next `--ca --tls-ca` finishes it. */
export function ordererRecoveryUnfinished(network: NetworkLayout, org: MspOrg): boolean {
  return org.peerOrg === undefined && recoveryUnderway(network, org.mspId);
}

/**
 * The channel step needs one of the org's orderers, and a recovery starts only the nodes it stopped:
 * when every one was stopped before it (on purpose, or on its expired certificate), the run ends
 * here, its certificates re-issued (so `weft network up` starts one now), the channels untouched and
 * the recovery recorded as under way, so that running it again finishes it.
 */
function assertAnOrdererUp(dir: string, network: NetworkLayout, org: MspOrg, leftStopped: readonly string[]): void {
  const orderers = network.orderers().filter((o) => o.mspId === org.mspId);
  if (orderers.some((o) => !leftStopped.includes(o.id))) return;
  const ids = orderers.map((o) => o.id);
  throw new ConfigError(
    'ORDERERS_DOWN',
    `${org.name}'s CA, TLS CA and ended certificates are re-issued, but none of its orderers runs (${ids.join(', ')}: stopped before this recovery, which starts only the nodes it stops), and the config update that puts the renewed roots in the channels must be ordered; the channels still hold the expired roots`,
    {
      field: '--org',
      org: org.name,
      orderers: ids,
      suggestions: [`start one on its re-issued certificates: weft network up ${shellWord(dir)} --node ${ids[0]}`, `then run weft network renew ${shellWord(dir)} --org ${org.name} --ca --tls-ca again: it finishes the channels`],
    },
  );
}

/**
 * `weft network renew --org <OrdererOrg> --ca --tls-ca` when both of the orderer org's CAs expired
 * and a peer org's Admin here is unexpired (checked first: it carries the channel updates), every
 * node being a node of this directory (checked by the caller: every node trusts the orderer org's
 * TLS root). No orderer can serve the update first (its TLS certificate ended with the TLS CA, and
 * TLS checks a chain at the current time), so, each step needing the one before:
 * 1. the org's running nodes stop (they run on ended certificates, re-issued below while stopped),
 *    recorded first ({@link stopForRecovery}) so that a run stopped midway starts them when run again;
 * 2. every copy of either root under `organizations/` takes the re-issued one (same key, subject, SKI
 *    and start): the orderers' tls/ca.crt, the peers' peer.ordererTlsRootCertFiles, the CLI's roots;
 * 3. every member whose certificate ended is re-issued from its old start ({@link reissueBackdated}):
 *    the channels still hold the expired roots, and the MSP checks a chain at the certificate's
 *    start + 1 s while expiry checks read the leaf's end, so the blocks an orderer signs verify on
 *    the peers, and its TLS certificate chains to the renewed TLS root in the files;
 * 4. the nodes it stopped (and those running when the run began) start ({@link nodesToStart}); when
 *    none of the org's orderers runs then, it ends ({@link assertAnOrdererUp});
 * 5. the other nodes reading a copy reload (orderers) or restart (peers: the roots they dial the
 *    orderers with are fixed when the connection is made; after a restart they hold the file's
 *    renewed root beside the channel's expired one, and TLS picks the one valid now);
 * 6. one config update per channel replaces root_certs and tls_root_certs in /Channel/Orderer/<org>,
 *    signed inside by the org's re-issued Admin and submitted by a peer org's Admin ({@link replaceInChannels});
 * then the record of step 1 goes. Running it again after a finished run changes nothing.
 */
export async function recoverExpiredOrdererCas(dir: string, network: NetworkLayout, org: MspOrg, reissued: { ca: RenewedCa; tlsCa: RenewedCa }, options: { restart?: boolean }, progress: Progress): Promise<RenewCaResult & { recovery: CaRecovery }> {
  const now = new Date();
  const cas = bothCas(dir, network, org, reissued, now);
  const candidates = submitterCandidates(network, org, now);
  if (candidates.usable.length === 0) throw noSubmitter(org, candidates.refused);
  const nodes = orgNodesHere(network, org);
  const runningAtStart = runningIds(nodes);
  const underway = recoveryUnderway(network, org.mspId);
  const resumed = recordedStops(network, org.mspId);

  const stale = cas.anyStale();
  const ended = expiredMembers(network, org, now);
  const stopped = stale || ended.length > 0 ? runningAtStart : [];
  if (stopped.length > 0) progress(`stopping ${stopped.join(', ')}: ${org.mspId}'s nodes run on ended certificates, re-issued from their old start while stopped`);
  if (stale || ended.length > 0) await stopForRecovery(dir, network, org.mspId, stopped, progress);
  const files = cas.replaceCopies(progress);

  const members: BackdatedMember[] = [];
  for (const member of ended) members.push(await reissueBackdated(network, org, member, undefined, progress));

  const plan = nodesToStart(nodes, runningAtStart, [...resumed, ...stopped]);
  await startPlanned(dir, plan, progress);
  assertAnOrdererUp(dir, network, org, plan.leftStopped);

  // A resumed run may find nothing left to replace, but the nodes reading the copies may not have taken them yet.
  const acted = files.length > 0 || members.length > 0 || plan.start.length > 0 || underway;
  const taken = await bringOthersOnto(dir, network, org, cas.copiesToTake(acted), [...plan.start, ...members.map((m) => m.id)], { ...options, ended: cas.tlsCaEnd }, progress);

  const { channels, submitter } = await cas.inChannels(candidates, progress);
  clearRecordedStops(network, org.mspId);

  const nothingToDo = cas.nothingToDo(acted || channels.length > 0, progress);
  return {
    org: org.name,
    mspId: org.mspId,
    cas: cas.entries(),
    channels,
    files,
    ...taken,
    recovery: { ...recoveryEntry(submitter, members, { started: plan.start, leftStopped: plan.leftStopped }, nothingToDo), stopped },
  };
}
