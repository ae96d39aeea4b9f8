import { X509Certificate } from 'node:crypto';
import type { RenewedCa } from '../../../core/msp/crypto-material';
import { copiesOf, copiesOfCa, nodesReading, replaceFiles, takeReplacedCopies, withRenewedCa, type CaReplacement, type CopiesTaken } from './ca-copies';
import type { CaRecovery, RenewCaResult } from './ca-renewal-result';
import { orgNodesHere, recoveryEntry, reissueEndedAndStart, renewedCaEntry, runningIds } from './expired-ca-recovery';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { isThisMachine } from './node-hosts';
import { runningPid } from './node-processes';
import { orgAuthority } from './org-authority';
import { nodeKeysHere } from './org-keys';
import { orgMspStates, setOrgMsp, type ChannelUpdated, type MspOrg } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

/**
 * The nodes of the network that trust `org`'s TLS root and that this directory does not run: a
 * node whose keys are elsewhere (a remote org's, or any other org's in a directory from `weft
 * network export`) or whose host in network.yaml is not this machine. For a peer org, the orderers (its
 * clients' roots under mutual TLS) and the peers of every org sharing a channel with it (they dial
 * its peers, and take their client certificates); for the orderer org, every node.
 */
export async function trustingNodesElsewhere(network: NetworkLayout, org: MspOrg): Promise<NodeLayout[]> {
  const sharing = new Set<string>([org.mspId]);
  for (const channel of network.channels()) {
    const orgs = network.forChannel(channel.name).spec.orgs.map((o) => o.mspId);
    if (org.peerOrg === undefined || orgs.includes(org.mspId)) for (const id of orgs) sharing.add(id);
  }
  const trusting = network.nodes().filter((n) => org.peerOrg === undefined || n.kind === 'orderer' || sharing.has(n.mspId));
  const elsewhere: NodeLayout[] = [];
  // As weft network up picks the nodes it starts: keys here, and a host that is this machine.
  for (const n of trusting) if (!nodeKeysHere(network, n) || !(await isThisMachine(n.host))) elsewhere.push(n);
  return elsewhere;
}

/**
 * How the running nodes that read a replaced copy of the TLS root take it, the org's own renewed or
 * started nodes aside. A reload re-reads a node's local MSP and every listener's client root files,
 * and a listener then trusts the renewed root beside the expired one the channels still hold (OpenSSL
 * picks, among roots of one subject and key, the one valid now): enough for an orderer, which only
 * takes the org's clients. A peer also dials: the roots of its connections to orderers and to other
 * orgs' peers are fixed when the connection is made (renewed only by a config block or a new client
 * certificate of its own), and it cannot get the config block over those connections: it restarts.
 */
export async function bringOthersOnto(dir: string, network: NetworkLayout, org: MspOrg, files: readonly string[], done: readonly string[], options: { restart?: boolean; ended: Date }, progress: Progress): Promise<CopiesTaken> {
  const others = nodesReading(network, files).filter((n) => runningPid(n) !== undefined && !done.includes(n.id));
  const mustRestart = others.filter((n) => options.restart === true || (n.kind === 'peer' && n.mspId !== org.mspId)).map((n) => n.id);
  const goodUntil = `${options.ended.toISOString()}, already past: restart them now`;
  const restarted = await takeReplacedCopies(dir, network, files, { restart: true, skip: [...done, ...others.map((n) => n.id).filter((id) => !mustRestart.includes(id))], goodUntil }, progress);
  const reloaded = await takeReplacedCopies(dir, network, files, { skip: [...done, ...mustRestart], goodUntil }, progress);
  return { restarted: restarted.restarted, reloaded: reloaded.reloaded, restartNeeded: reloaded.restartNeeded };
}

/**
 * `weft network renew --org O --tls-ca` when O's TLS CA has expired (or a recovery of it stopped
 * midway: a member of O here still holds an ended certificate), every node trusting its TLS root
 * being a node of this directory ({@link trustingNodesElsewhere} is empty: checked by the caller).
 * `reissued` is the TLS CA certificate renewed in memory, put in place only when the one here has
 * ended. In order, each step needing the one before over TLS: every copy under `organizations/` is
 * replaced (nodes' tls/ca.crt, tlscacerts, client root files, peer.ordererTlsRootCertFiles); every
 * member of O whose certificate ended is re-issued ({@link renewMember}: a running node reloads and
 * serves its new certificate); O's nodes here that ran when the run began and do not run now are started and the other running
 * nodes that read a copy reload or restart ({@link bringOthersOnto}); then each channel's
 * tls_root_certs gets the renewed root by a config update O's Admin signs and submits (its
 * enrollment certificate is not the TLS CA's), read and confirmed through this directory's nodes.
 * Running it again after a failure finishes the job; after a finished one it changes nothing.
 */
export async function recoverExpiredTlsCa(dir: string, network: NetworkLayout, org: MspOrg, reissued: RenewedCa, options: { restart?: boolean }, progress: Progress): Promise<RenewCaResult & { recovery: CaRecovery }> {
  const now = new Date();
  const authority = orgAuthority();
  const previousEnd = new Date(new X509Certificate(reissued.previousPem).validTo);
  const tlsCaEnded = previousEnd.getTime() <= now.getTime();
  const tlsCa: CaReplacement = tlsCaEnded ? reissued : { certPem: reissued.previousPem, previousPem: reissued.previousPem };
  const runningAtStart = runningIds(orgNodesHere(network, org));

  const contents = new Map(copiesOf(network, authority, tlsCa).map((file) => [file, tlsCa.certPem] as const));
  replaceFiles(contents);
  const files = [...contents.keys()];
  if (files.length > 0) progress(`${files.length} cop${files.length === 1 ? 'y' : 'ies'} of ${org.mspId}'s TLS CA certificate replaced under ${network.organizationsDir}`);

  const nodes = await reissueEndedAndStart(dir, network, org, now, runningAtStart, progress);
  const { members, started } = nodes;
  // A run finishing one that stopped after the files were replaced has none left to replace, but the
  // nodes that read them may not have taken them yet: every copy counts once this run did something.
  const acted = files.length > 0 || members.length > 0 || started.length > 0;
  const copies = acted ? copiesOfCa(network, authority, tlsCa.certPem) : [];
  const taken = await bringOthersOnto(dir, network, org, copies, [...started, ...members.map((m) => m.id)], { ...options, ended: previousEnd }, progress);

  const channels: ChannelUpdated[] = [];
  for (const state of await orgMspStates(network, org)) {
    const msp = withRenewedCa(state.msp, authority, 'tlsca', tlsCa);
    if (Buffer.from(msp.serializeBinary()).equals(Buffer.from(state.msp.serializeBinary()))) continue;
    channels.push(
      await setOrgMsp(network, org, state, msp, 'renewed TLS CA certificate (in place of the expired one)', progress, {
        code: 'CA_RENEWAL_UNCONFIRMED',
        rerun: `run weft network renew ${shellWord(dir)} --org ${org.name} --tls-ca again: it finishes every channel`,
      }),
    );
  }

  const nothingToDo = !tlsCaEnded && !acted && channels.length === 0;
  if (nothingToDo) progress(`${org.mspId}'s TLS CA was recovered already: every channel and file holds it, no member's certificate has ended, its nodes here run; nothing changed`);
  return {
    org: org.name,
    mspId: org.mspId,
    cas: tlsCaEnded ? [renewedCaEntry('tlsca', reissued, previousEnd)] : [],
    channels,
    files,
    ...taken,
    recovery: recoveryEntry(undefined, members, nodes, nothingToDo),
  };
}
