import { X509Certificate } from 'node:crypto';
import { ConfigError } from '../../../core/errors';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { copiesOf, replaceFiles, withRenewedCa, type CaReplacement } from './ca-copies';
import { expiredMembers, runningIds } from './expired-ca-recovery';
import { reissueBackdated, type BackdatedMember } from './expired-member-backdate';
import { clearRecordedStops, nodesToStart, recordedStops, startPlanned, stopForRecovery } from './expired-recovery-stops';
import { intermediateCasOf } from './org-intermediate';
import { openNetwork, type Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { assertCaKeysHere } from './network-users';
import { isThisMachine } from './node-hosts';
import { orgAuthority } from './org-authority';
import { nodeKeysHere } from './org-keys';
import { assertOrgAdminHere, mspOrgOf, orgMspStates, resolveMspOrg, setOrgMsp, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

const DAY_MS = 86_400_000;

/** The name `--all-expired` records the nodes it stopped under. */
const ALL_EXPIRED = 'all';

/** One org's CA or TLS CA as this run found it. */
interface OrgCa {
  readonly org: MspOrg;
  readonly which: 'ca' | 'tlsca';
  readonly reissued: RenewedCa;
  readonly end: Date;
  readonly ended: boolean;
}

/** What `weft network renew <dir> --all-expired` did. */
export interface NetworkRecovery {
  /** The CAs and TLS CAs that had ended, re-issued (same key, subject, SKI and start). */
  readonly cas: { org: string; mspId: string; which: 'ca' | 'tlsca'; fileName: string; serialNumber: string; notAfter: string; previousNotAfter: string }[];
  /** Every file under organizations/ that held an old copy of a root. */
  readonly files: string[];
  /** Nodes that were running and were stopped before the files changed. */
  readonly stopped: string[];
  /** Members whose certificates had ended, re-issued from their old start. */
  readonly members: BackdatedMember[];
  /** Nodes of this directory started: those it stopped (this run or an earlier one of it), or that ran when it began. */
  readonly started: string[];
  /** Nodes of this directory that were stopped before the recovery (perhaps on purpose): left stopped. */
  readonly leftStopped: string[];
  /** Per org and channel, the config update replacing root_certs and tls_root_certs, signed and submitted by the org's own Admin. */
  readonly channels: (ChannelUpdated & { mspId: string })[];
  /** A run after a finished recovery: nothing ended, every copy and channel held the roots, every node ran. */
  readonly nothingToDo: boolean;
}

/** The orderer org, then the peer orgs, in network order. */
function allOrgs(network: NetworkLayout): MspOrg[] {
  return [resolveMspOrg(network, network.spec.ordererOrg.mspId), ...network.spec.orgs.map((o) => mspOrgOf(network, o))];
}

/** The nodes this directory does not run: keys elsewhere, or a host that is not this machine. */
async function nodesElsewhere(network: NetworkLayout): Promise<NodeLayout[]> {
  const out: NodeLayout[] = [];
  for (const n of network.nodes()) if (!nodeKeysHere(network, n) || !(await isThisMachine(n.host))) out.push(n);
  return out;
}

/**
 * Every check that comes before anything is written (the CA keys checked before): the Admin key of
 * every org here, every node run from here (the renewed TLS roots must reach every node that dials or takes
 * one, and only this directory's are reached), and either every CA ended or none (a recovery being
 * finished): when some still run, the per-org recovery applies, an unexpired Admin carrying it.
 */
async function assertRecoverable(dir: string, network: NetworkLayout, cas: readonly OrgCa[]): Promise<void> {
  for (const org of allOrgs(network)) assertOrgAdminHere(network, org);
  const elsewhere = await nodesElsewhere(network);
  if (elsewhere.length > 0) {
    const ids = elsewhere.map((n) => n.id);
    throw new ConfigError(
      'NODES_ELSEWHERE',
      `--all-expired recovers a network whose every node runs from this directory: every TLS root is replaced where the nodes read it, and ${ids.join(', ')} ${ids.length === 1 ? 'is' : 'are'} not run from here (keys elsewhere, or another host); nothing was changed`,
      {
        field: '--all-expired',
        nodesElsewhere: ids,
        suggestions: [
          `run it from a directory holding every node's keys on the machine that runs them all`,
          'by hand: re-issue each CA and TLS CA certificate for its key, subject, SKI and start; re-issue every member certificate from its old start (the channels check a chain at its start); copy every root to every host; restart every node; then replace root_certs and tls_root_certs per org by a config update its Admin signs',
        ],
      },
    );
  }
  const ended = cas.filter((c) => c.ended);
  if (ended.length > 0 && ended.length < cas.length) {
    const name = (c: OrgCa): string => `${c.org.name} ${c.which === 'ca' ? 'CA' : 'TLS CA'}`;
    const expiredOrgs = [...new Set(ended.map((c) => c.org.name))];
    throw new ConfigError(
      'RENEW_TARGET',
      `--all-expired is for a network whose every CA and TLS CA expired; ${ended.map(name).join(', ')} did, ${cas.filter((c) => !c.ended).map(name).join(', ')} did not: recover each expired org alone (an unexpired Admin of another org carries its channel updates); nothing was changed`,
      { field: '--all-expired', expired: ended.map(name), suggestions: expiredOrgs.map((o) => `weft network renew ${shellWord(dir)} --org ${o} --ca --tls-ca`) },
    );
  }
}

/** The CA as it is to be in place: the re-issued certificate when the one here ended, else the one here. */
function inPlace(c: OrgCa): CaReplacement {
  return c.ended ? c.reissued : { certPem: c.reissued.previousPem, previousPem: c.reissued.previousPem };
}

/**
 * `weft network renew <dir> --all-expired`: every org's CA and TLS CA ended (as `weft network init`
 * makes them, all at once), so no Admin can carry a config update for another: the channels keep
 * the expired roots while the members come back. Each step needs the one before; running it again
 * after a failure finishes the job, and after a finished one changes nothing:
 * 1. every running node of this directory stops (each runs, or would start, on ended certificates),
 *    recorded first so that a run stopped midway starts them when run again ({@link stopForRecovery});
 * 2. every ended CA and TLS CA is re-issued (same key, subject, SKI and start) and every copy under
 *    `organizations/` replaced: the TLS roots every node reads (tls/ca.crt, client roots,
 *    peer.ordererTlsRootCertFiles; a listener trusts it beside the expired one in the channels);
 * 3. every member whose certificate ended is re-issued from its old start ({@link reissueBackdated}):
 *    it verifies against the expired root still in the channels (the MSP checks a chain at the
 *    certificate's start + 1 s) and is not expired (expiry checks look at the leaf's end only);
 * 4. the nodes it stopped, and those running when the run began, start; a node stopped before the
 *    recovery (perhaps on purpose) stays stopped ({@link nodesToStart});
 * 5. per org, each channel's root_certs and tls_root_certs take the renewed roots by a config
 *    update the org's own re-issued Admin signs and submits; then the record of step 1 goes.
 */
export async function recoverExpiredNetwork(dir: string, options: { days?: number }, progress: Progress): Promise<NetworkRecovery> {
  if (options.days !== undefined && (!Number.isInteger(options.days) || options.days < 1)) {
    throw new ConfigError('BAD_DAYS', `--days ${options.days}: expected a whole number of days, at least 1`, { field: '--days', value: options.days });
  }
  const network = openNetwork(dir);
  const authority = orgAuthority();
  const now = new Date();
  const notAfter = options.days === undefined ? undefined : new Date(now.getTime() + options.days * DAY_MS);
  const orgs = allOrgs(network);
  const intermediate = orgs.filter((org) => intermediateCasOf(org.orgDir));
  if (intermediate.length > 0) {
    throw new ConfigError('CA_INTERMEDIATE_UNSUPPORTED', `${intermediate.map((o) => o.name).join(', ')} issue${intermediate.length === 1 ? 's' : ''} from an intermediate CA: weft network renew --all-expired recovers networks whose orgs issue from their roots only; nothing was changed`, {
      field: '--all-expired',
      orgs: intermediate.map((o) => o.name),
      suggestions: ['renew the CAs of such an org before they end: weft network status lists each, intermediates included, within 30 days of its end (weft network renew --org <org> --ca --tls-ca)'],
    });
  }
  for (const org of orgs) assertCaKeysHere(network, org.peerOrg ?? network.spec.ordererOrg, ['ca', 'tlsca'], `recovering ${org.name}'s expired CAs`);
  const cas: OrgCa[] = [];
  for (const org of orgs) {
    for (const which of ['ca', 'tlsca'] as const) {
      const reissued = await authority.renewOrgCa({ orgDir: org.orgDir, domain: org.domain }, which, { now, ...(notAfter !== undefined && { notAfter }) });
      const end = new Date(new X509Certificate(reissued.previousPem).validTo);
      cas.push({ org, which, reissued, end, ended: end.getTime() <= now.getTime() });
    }
  }
  await assertRecoverable(dir, network, cas);

  const contents = new Map<string, string>();
  for (const c of cas) for (const file of copiesOf(network, authority, inPlace(c))) contents.set(file, inPlace(c).certPem);
  const ended = orgs.flatMap((org) => expiredMembers(network, org, now).map((member) => ({ org, member })));
  const running = runningIds(network.nodes());
  const resumed = recordedStops(network, ALL_EXPIRED);
  const stopped = contents.size > 0 || ended.length > 0 ? running : [];
  if (stopped.length > 0) progress(`stopping ${stopped.join(', ')}: every node restarts on the renewed roots`);
  if (contents.size > 0 || ended.length > 0) await stopForRecovery(dir, network, ALL_EXPIRED, stopped, progress);
  replaceFiles(contents);
  const files = [...contents.keys()];
  if (files.length > 0) progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of the orgs' CA and TLS CA certificates replaced under ${network.organizationsDir}`);

  const members: BackdatedMember[] = [];
  for (const { org, member } of ended) members.push(await reissueBackdated(network, org, member, notAfter, progress));

  const plan = nodesToStart(network.nodes(), running, [...resumed, ...stopped]);
  await startPlanned(dir, plan, progress);
  const started = plan.start;

  const channels: NetworkRecovery['channels'] = [];
  for (const org of orgs) {
    const [ca, tlsCa] = (['ca', 'tlsca'] as const).map((w) => {
      const here = inPlace(cas.find((c) => c.org.mspId === org.mspId && c.which === w)!).certPem;
      return { certPem: here, previousPem: here };
    });
    for (const state of await orgMspStates(network, org)) {
      const msp = withRenewedCa(withRenewedCa(state.msp, authority, 'ca', ca!), authority, 'tlsca', tlsCa!);
      if (Buffer.from(msp.serializeBinary()).equals(Buffer.from(state.msp.serializeBinary()))) continue;
      const updated = await setOrgMsp(network, org, state, msp, 'renewed CA and TLS CA certificates (in place of the expired ones)', progress, {
        code: 'CA_RECOVERY_UNCONFIRMED',
        rerun: `run weft network renew ${shellWord(dir)} --all-expired again: it finishes every channel`,
      });
      channels.push({ ...updated, mspId: org.mspId });
    }
  }

  clearRecordedStops(network, ALL_EXPIRED);

  const renewed = cas.filter((c) => c.ended);
  const nothingToDo = renewed.length === 0 && files.length === 0 && members.length === 0 && started.length === 0 && channels.length === 0;
  if (nothingToDo) progress('every CA and TLS CA was recovered already: every channel and file holds them, no member certificate has ended, every node runs; nothing changed');
  return {
    cas: renewed.map((c) => ({ org: c.org.name, mspId: c.org.mspId, which: c.which, fileName: c.reissued.fileName, serialNumber: c.reissued.serialNumber, notAfter: c.reissued.notAfter.toISOString(), previousNotAfter: c.end.toISOString() })),
    files,
    stopped,
    members,
    started,
    leftStopped: plan.leftStopped,
    channels,
    nothingToDo,
  };
}
