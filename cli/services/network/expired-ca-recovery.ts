import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { configSignature, unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import type { Signer } from '../../../core/protocol/signer';
import { ordererBlock } from '../block/orderer-block-source';
import { loadClientIdentity } from '../client/client-identity';
import { copiesOf, replaceFiles, takeReplacedCopies, withRenewedCa, type CaReplacement } from './ca-copies';
import { chooseSubmitter, noSubmitter, submitterCandidates, type ConfigSubmitter } from './config-submitter';
import { adminOf, missingSignatures, needsMet, policyNeeds } from './config-update-signatures';
import { broadcastConfigUpdate } from './config-update-submit';
import { signerIgnoringExpiry } from './expired-signer';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { renewMember, type RenewOptions, type RenewResult } from './network-renew';
import { runningPid, waitFor } from './node-processes';
import type { CaRecovery, RecoveredMember, RenewCaResult } from './ca-renewal-result';
import { nodesToStart, recordedStops, startPlanned } from './expired-recovery-stops';
import { orgAuthority } from './org-authority';
import { endedBy } from './consenter-renewal';
import { nodeKeysHere, signingKeyHere } from './org-keys';
import { groupKeyOf, orgMspConfig, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

/** A config block reaches the orderer's ledger well within this on any network the CLI drives. */
const CONFIG_BLOCK_TIMEOUT_MS = 60_000;


/** A member of the org with keys here whose certificate ended, and the `renew` options that re-issue it. */
export interface ExpiredMember {
  readonly id: string;
  readonly ended: ('enrollment' | 'tls')[];
  readonly renew: RenewOptions;
}

/** The org's nodes and users whose keys are here and whose enrollment or TLS certificate has ended by `now`. */
export function expiredMembers(network: NetworkLayout, org: MspOrg, now: Date): ExpiredMember[] {
  const out: ExpiredMember[] = [];
  const add = (id: string, enrollment: string, tls: string, renew: RenewOptions): void => {
    const ended = [...(endedBy(enrollment, now) ? ['enrollment' as const] : []), ...(endedBy(tls, now) ? ['tls' as const] : [])];
    if (ended.length > 0) out.push({ id, ended, renew });
  };
  for (const node of network.nodes().filter((n) => n.mspId === org.mspId && nodeKeysHere(network, n))) {
    const signcerts = path.join(node.mspDir, 'signcerts');
    const cert = fs.readdirSync(signcerts).find((f) => f.endsWith('.pem'));
    // An etcdraft orderer with an ended certificate keeps its TLS key: renewMember decides (consenterRenewal).
    if (cert !== undefined) add(node.id, path.join(signcerts, cert), path.join(node.tlsDir, 'server.crt'), { node: node.id });
  }
  const users = org.peerOrg === undefined ? [network.ordererAdmin()] : org.peerOrg.users.map((u) => network.user(org.peerOrg!, u));
  for (const user of users.filter((u) => signingKeyHere(u))) add(user.id, user.certPath, user.tlsCertPath, { org: org.name, user: user.name });
  return out;
}

/** A channel whose config holds the org's old root, with the MSP that replaces it. */
interface PendingChannel {
  readonly layout: NetworkLayout;
  readonly current: ParsedChannelConfig;
  readonly block: number;
  readonly msp: FabricMSPConfig;
}

/**
 * Refuses the orderer org's recovery when every orderer is a node of this directory and none runs:
 * the update could not be ordered (see the message), and nothing has been changed yet.
 */
function assertAnOrdererRuns(dir: string, network: NetworkLayout, org: MspOrg): void {
  const orderers = network.orderers();
  if (orderers.some((o) => runningPid(o) !== undefined || !nodeKeysHere(network, o))) return;
  const ids = orderers.map((o) => o.id).join(', ');
  throw new ConfigError(
    'ORDERERS_DOWN',
    `${org.name}'s CA expired and no orderer runs (${ids}): the config update that replaces the expired root in the channels must be ordered, and an orderer whose certificate ended with the CA cannot come back first: it does not start with an expired signing certificate, and on one issued now it would sign blocks that peers check against the expired root the channels hold, which a certificate issued after the root's end does not chain to (the MSP checks a chain at the certificate's start), so peers would refuse every block, this update's too. Nothing was changed`,
    {
      field: '--org',
      org: org.name,
      orderers: orderers.map((o) => o.id),
      suggestions: [
        `if one of them still runs elsewhere (an orderer keeps running, and its blocks keep verifying, after its certificate ends), run weft network renew ${shellWord(dir)} --org ${org.name} --ca where it is reachable`,
        "otherwise the channels must be rebuilt from their blocks by hand: renew the orderer org's CA before it expires next time (weft network status flags it 30 days ahead)",
      ],
    },
  );
}

/**
 * One channel's update: signed inside by the org's Admin (expired: the MSP checks its chain at its
 * start, when the old root was valid), carried by `submitter` (orderers refuse an expired creator),
 * confirmed by the orderer's Deliver holding a config block after the one read.
 */
async function replaceRootIn(network: NetworkLayout, org: MspOrg, pending: PendingChannel, admin: Signer, submitter: ConfigSubmitter, step: ChannelStep, progress: Progress): Promise<ChannelUpdated> {
  const channel = pending.layout.spec.channel.name;
  const { envelope, update } = unsignedConfigUpdate(channel, pending.current.config, orgMspConfig(org, pending.current, pending.msp));
  envelope.addSignatures(configSignature(admin, envelope.getConfigUpdate_asU8()));
  const needs = policyNeeds(pending.current, update, envelope);
  if (!needsMet(needs)) throw missingSignatures(pending.layout, channel, pending.current, needs);
  const { orderer } = await broadcastConfigUpdate(network, channel, envelope, { user: submitter.identity.user, signer: submitter.identity.signer });
  progress(`channel ${channel}: orderer ${orderer} accepted ${org.mspId}'s ${step.what} (signed by ${org.mspId}'s Admin, submitted by ${submitter.identity.user.id})`);
  let configBlock: number | undefined;
  try {
    await waitFor(
      network.orderers().find((o) => o.id === orderer)!,
      `holding the new config block of ${channel}`,
      async () => {
        const read = await ordererBlock(pending.layout, submitter.identity, 'config');
        if (read.number > pending.block) configBlock = read.number;
        return configBlock !== undefined;
      },
      CONFIG_BLOCK_TIMEOUT_MS,
    );
  } catch (err) {
    throw new WeftError('CA_RECOVERY_UNCONFIRMED', `channel ${channel} took ${org.mspId}'s ${step.what}, but its config block was not seen: ${(err as Error).message}`, {
      channel,
      suggestions: [`run ${step.rerun} again: it finishes every channel, file, member and node`],
    }, { cause: err });
  }
  return { channel, orderer, ...(configBlock !== undefined && { configBlock }) };
}

/** What a recovery's channel step puts in the channels, for its progress and errors. */
export interface ChannelStep {
  /** What the update carries, e.g. "renewed CA certificate". */
  readonly what: string;
  /** The command that finishes the recovery when the step fails midway. */
  readonly rerun: string;
}

/**
 * The channel step of a recovery of an org whose Admin has expired: every channel (of the org, or
 * every one for the orderer org) whose config holds an MSP value for it that `replace` changes gets
 * it by a config update the org's expired Admin signs inside and the first of `candidates` that
 * every such channel's /Channel/Writers admits submits (read and confirmed through the orderers'
 * Deliver, which refuse an expired reader as peers do). Every channel is read and the submitter
 * chosen before the first update is sent; none when no channel needs one.
 */
export async function replaceInChannels(
  network: NetworkLayout,
  org: MspOrg,
  candidates: ReturnType<typeof submitterCandidates>,
  replace: (msp: FabricMSPConfig) => FabricMSPConfig,
  step: ChannelStep,
  progress: Progress,
): Promise<{ channels: ChannelUpdated[]; submitter?: ConfigSubmitter }> {
  const pending: PendingChannel[] = [];
  for (const spec of network.channels()) {
    const layout = network.forChannel(spec.name);
    if (org.peerOrg !== undefined && !layout.spec.orgs.some((o) => o.mspId === org.mspId)) continue;
    // Read as an unexpired Admin of an org of the channel (its Readers): the orderer org's, or a member's.
    const member = (mspId: string): boolean => mspId === network.spec.ordererOrg.mspId || layout.spec.orgs.some((o) => o.mspId === mspId);
    const reader = candidates.usable.find((u) => member(u.mspId));
    if (reader === undefined) throw noSubmitter(org, [...candidates.refused, ...candidates.usable.map((u) => ({ id: u.id, why: `${u.mspId} is not an org of channel ${spec.name}` }))]);
    const read = await ordererBlock(layout, loadClientIdentity(reader), 'config');
    const current = parseConfigBlock(read.bytes);
    const msp = current.msps.get(org.mspId);
    if (msp === undefined || groupKeyOf(org, current) === undefined) continue;
    const next = replace(msp);
    if (Buffer.from(next.serializeBinary()).equals(Buffer.from(msp.serializeBinary()))) continue;
    pending.push({ layout, current, block: read.number, msp: next });
  }
  // Every channel checked before the first update is sent: a submitter that one channel refuses is no use halfway.
  const submitter = pending.length === 0 ? undefined : chooseSubmitter(org, candidates, pending.map((p) => p.current));
  const channels: ChannelUpdated[] = [];
  if (submitter !== undefined) {
    const admin = signerIgnoringExpiry(adminOf(network, org.mspId)!);
    for (const p of pending) channels.push(await replaceRootIn(network, org, p, admin, submitter, step, progress));
  }
  return { channels, ...(submitter !== undefined && { submitter }) };
}

/**
 * Re-issues every member of `org` with keys here whose enrollment or TLS certificate ended
 * ({@link renewMember}: a running node reloads), then starts the org's nodes here that do not run
 * and that ran when the run began or an earlier run of this recovery stopped ({@link nodesToStart}:
 * a node stopped before, perhaps on purpose, stays stopped). The common tail of the recoveries.
 */
export async function reissueEndedAndStart(dir: string, network: NetworkLayout, org: MspOrg, now: Date, runningAtStart: readonly string[], progress: Progress): Promise<{ members: RenewResult[]; started: string[]; leftStopped: string[] }> {
  const members: RenewResult[] = [];
  for (const member of expiredMembers(network, org, now)) {
    progress(`${member.id}: its ${member.ended.join(' and ')} certificate ended: re-issuing it`);
    members.push(await renewMember(dir, member.renew, progress));
  }
  const plan = nodesToStart(orgNodesHere(network, org), runningAtStart, recordedStops(network, org.mspId));
  await startPlanned(dir, plan, progress);
  return { members, started: plan.start, leftStopped: plan.leftStopped };
}

/** The org's nodes whose keys are here: those a recovery of it stops, re-issues and starts. */
export function orgNodesHere(network: NetworkLayout, org: MspOrg): NodeLayout[] {
  return network.nodes().filter((n) => n.mspId === org.mspId && nodeKeysHere(network, n));
}

/** Of `nodes`, the ids of those running now: taken when a run begins, for {@link nodesToStart}. */
export function runningIds(nodes: readonly NodeLayout[]): string[] {
  return nodes.filter((n) => runningPid(n) !== undefined).map((n) => n.id);
}

/** A recovered CA's line of {@link RenewCaResult.cas}. */
export function renewedCaEntry(which: 'ca' | 'tlsca', reissued: RenewedCa, previousEnd: Date): RenewCaResult['cas'][number] {
  return { which, fileName: reissued.fileName, serialNumber: reissued.serialNumber, notBefore: reissued.notBefore.toISOString(), notAfter: reissued.notAfter.toISOString(), previousNotAfter: previousEnd.toISOString() };
}

/** A recovery's `recovery` entry: who submitted its channel updates, the members re-issued, the nodes started and left stopped. */
export function recoveryEntry(submitter: ConfigSubmitter | undefined, members: readonly RecoveredMember[], nodes: { started: string[]; leftStopped: string[] }, nothingToDo: boolean): CaRecovery {
  return { ...(submitter !== undefined && { submitter: { id: submitter.identity.user.id, mspId: submitter.mspId } }), members: [...members], started: nodes.started, leftStopped: nodes.leftStopped, nothingToDo };
}

/**
 * `weft network renew --org O --ca` when O's CA has expired (or a recovery stopped midway: a member
 * of O here still holds an ended certificate). `reissued` is the CA certificate renewed in memory;
 * it is put in place only when the one here has ended (a run after the CA was recovered finishes
 * the rest with the CA here). In order, so that running it again after a failure finishes the job:
 * every channel whose config holds another copy of the root gets it replaced by a config update
 * the org's expired Admin signs inside and an unexpired Admin of another org submits (read and
 * confirmed through the orderers' Deliver, which refuse an expired reader as peers do); then every
 * copy under `organizations/`; then each member whose enrollment or TLS certificate ended is
 * re-issued ({@link renewMember}: a running node reloads); then the org's nodes here that ran when
 * the run began and do not run now are started (one stopped before stays stopped), and other
 * running nodes that read a replaced copy reload it (or restart).
 */
export async function recoverExpiredCa(dir: string, network: NetworkLayout, org: MspOrg, reissued: RenewedCa, options: { restart?: boolean }, progress: Progress): Promise<RenewCaResult & { recovery: CaRecovery }> {
  const now = new Date();
  const authority = orgAuthority();
  const previousEnd = new Date(new X509Certificate(reissued.previousPem).validTo);
  const caEnded = previousEnd.getTime() <= now.getTime();
  const ca: CaReplacement = caEnded ? reissued : { certPem: reissued.previousPem, previousPem: reissued.previousPem };
  const candidates = submitterCandidates(network, org, now);
  if (candidates.usable.length === 0) throw noSubmitter(org, candidates.refused);
  if (org.peerOrg === undefined) assertAnOrdererRuns(dir, network, org);
  const runningAtStart = runningIds(orgNodesHere(network, org));

  const { channels, submitter } = await replaceInChannels(network, org, candidates, (msp) => withRenewedCa(msp, authority, 'ca', ca), {
    what: 'renewed CA certificate',
    rerun: `weft network renew ${shellWord(dir)} --org ${org.name} --ca`,
  }, progress);

  const contents = new Map(copiesOf(network, authority, ca).map((file) => [file, ca.certPem] as const));
  replaceFiles(contents);
  const files = [...contents.keys()];
  if (files.length > 0) progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s CA certificate replaced under ${network.organizationsDir}`);

  const nodes = await reissueEndedAndStart(dir, network, org, now, runningAtStart, progress);
  const { members, started } = nodes;
  const taken = await takeReplacedCopies(dir, network, files, { restart: options.restart, skip: [...started, ...members.map((m) => m.id)], goodUntil: `${previousEnd.toISOString()}, already past: restart them now` }, progress);

  const nothingToDo = !caEnded && channels.length === 0 && files.length === 0 && members.length === 0 && started.length === 0;
  if (nothingToDo) progress(`${org.mspId}'s CA was recovered already: every channel holds it, no member's certificate has ended, its nodes here run; nothing changed`);
  return {
    org: org.name,
    mspId: org.mspId,
    cas: caEnded ? [renewedCaEntry('ca', reissued, previousEnd)] : [],
    channels,
    files,
    ...taken,
    recovery: recoveryEntry(submitter, members, nodes, nothingToDo),
  };
}
