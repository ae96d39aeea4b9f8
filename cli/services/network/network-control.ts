import { WeftError } from '../../../core/errors';
import { loadPeerConfig } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';
import { OrdererAdminClient } from '../client/orderer-admin';
import { channelCapabilitiesStatus, type ChannelCapabilitiesStatus } from './channel-capabilities-status';
import { caExpiries, type CaExpiry, type CertificateExpiry, nodeCertificateFiles, soonestExpiry, userCertificateFiles } from './certificate-expiry-report';
import { openNetwork, peerChainInfo, type Progress } from './network-access';
import { channelsOfPeer } from './channel-peers';
import { joinEveryNode } from './network-channels';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { assertNoDrift } from './node-drift';
import { dataDirBytes } from './data-dir-bytes';
import { isThisMachine } from './node-hosts';
import { nodeKeysHere, operationsClientOf, ordererAdminHere, orgsWithKeysHere, signingKeyHere } from './org-keys';
import { assertDataDirFree, assertStillRunning, nodeHealthy, operationsEndpoint, runningPid, startNode, stopNode, waitFor } from './node-processes';
import { shellWord } from '../../../core/node/shell-word';

export interface UpResult {
  readonly channel: string;
  /** Every channel of the network, the default one first. */
  readonly channels: string[];
  /** The nodes this run looks after: those on this machine, or those `--node` named. */
  readonly nodes: string[];
  readonly orderers: { id: string; address: string; adminAddress: string | undefined; operationsAddress: string | undefined }[];
  readonly peers: { id: string; mspId: string; address: string; operationsAddress: string | undefined }[];
}

/**
 * `weft network up`: starts the network's nodes that run on this machine (or those `only` names)
 * in the background, waits until each serves, joins those orderers (channel participation API)
 * and peers (cscc JoinChain) to every channel of the network unless they already are, and waits
 * until each of those peers has each genesis block. On a network spread over several hosts, each
 * host runs `up` for its own nodes. On failure everything started here is stopped again.
 * `join: false` only starts them: a new peer that is to join from a snapshot (`weft channel join
 * --snapshot`) must not first join from the genesis block; `'by-caller'` the same, for a caller
 * that joins them itself (`weft network add-peer`). A peer that joined from a snapshot is
 * never joined again from the genesis block: it lists the channel (cscc GetChannels), so it counts
 * as joined.
 */
export async function networkUp(dir: string, progress: Progress, only?: readonly string[], join: boolean | 'by-caller' = true): Promise<UpResult> {
  const layout = openNetwork(dir);
  const here = await nodesHere(layout, only);
  const stopped = here.filter((n) => runningPid(n) === undefined);
  if (stopped.length === 0) {
    const what = here.length === layout.nodes().length ? `the network in ${layout.dir} is` : `${here.map((n) => n.id).join(', ')} ${here.length === 1 ? 'is' : 'are'}`;
    throw new WeftError('NETWORK_ALREADY_UP', `${what} already up`, {
      suggestions: [`see it with: weft network status ${shellWord(dir)}`, `restart it with: weft network down ${shellWord(dir)} && weft network up ${shellWord(dir)}`],
    });
  }
  assertNoDrift(layout, stopped);
  for (const node of stopped) assertDataDirFree(node);
  const started: NodeLayout[] = [];
  try {
    for (const node of stopped) {
      startNode(node);
      started.push(node);
    }
    progress(`started ${started.length} node processes (logs in ${layout.dir}/logs)`);
    for (const orderer of here.filter((n) => n.kind === 'orderer')) {
      const admin = new OrdererAdminClient(orderer, layout);
      await waitFor(orderer, 'serving its admin API', async () => (await admin.list(), true));
      const client = operationsClientOf(layout, orderer);
      if (orderer.operationsAddress !== undefined) await waitFor(orderer, 'healthy', () => nodeHealthy(orderer, client));
    }
    // A peer run from here always has an operations port (loadNetworkSpec refuses one without).
    for (const peer of here.filter((n) => n.kind === 'peer' && operationsEndpoint(n) !== undefined)) {
      const client = operationsClientOf(layout, peer);
      await waitFor(peer, 'healthy', () => nodeHealthy(peer, client));
    }
    const ids = new Set(here.map((n) => n.id));
    if (join === true) for (const c of layout.channels()) await joinEveryNode(layout.forChannel(c.name), c.name, progress, ids);
    else if (join === false) progress(`not joined to any channel (--no-join): join with weft channel join ${shellWord(layout.dir)} --snapshot <dir> or <genesis block>`);
    assertStillRunning(started);
    progress(
      here.length === layout.nodes().length
        ? 'all nodes healthy'
        : only !== undefined
          ? `${here.map((n) => n.id).join(', ')} healthy`
          : `${here.length} of the network's ${layout.nodes().length} nodes healthy on this machine`,
    );
    return {
      channel: layout.spec.channel.name,
      channels: layout.channels().map((c) => c.name),
      nodes: here.map((n) => n.id),
      orderers: layout.orderers().map((o) => ({ id: o.id, address: o.address, adminAddress: o.adminAddress, operationsAddress: o.operationsAddress })),
      peers: layout.peers().map((p) => ({ id: p.id, mspId: p.mspId, address: p.address, operationsAddress: p.operationsAddress })),
    };
  } catch (err) {
    for (const node of started.reverse()) await stopNode(node, 3000);
    throw err;
  }
}

/** Whether each host of `nodes` is this machine, asked once a host. */
async function hostsHere(nodes: readonly NodeLayout[]): Promise<Map<string, boolean>> {
  const local = new Map<string, boolean>();
  for (const host of new Set(nodes.map((n) => n.host))) local.set(host, await isThisMachine(host));
  return local;
}

/**
 * The nodes run from this directory, in network order: those whose host is this machine and whose
 * keys this directory holds (a `weft network export` copy runs its own orgs' nodes only), running
 * or not. Only the hosts of nodes whose keys are here are asked about (each may be a DNS lookup).
 */
export async function nodesRunFromHere(layout: NetworkLayout): Promise<NodeLayout[]> {
  const withKeys = layout.nodes().filter((n) => nodeKeysHere(layout, n));
  const local = await hostsHere(withKeys);
  return withKeys.filter((n) => local.get(n.host));
}

/** The nodes of `all` that `ids` names (`--node`), in network order; an unknown name is an error. */
export function namedNodes(layout: NetworkLayout, all: readonly NodeLayout[], ids: readonly string[]): NodeLayout[] {
  const unknown = ids.filter((id) => !all.some((n) => n.id === id));
  if (unknown.length > 0) {
    throw new WeftError('UNKNOWN_NODE', `the network has no node ${unknown.join(', ')}; its nodes: ${layout.nodes().map((n) => n.id).join(', ')}`, {
      field: '--node',
      value: unknown.join(','),
      suggestions: [`list them with: weft network status ${shellWord(layout.dir)}`],
    });
  }
  return all.filter((n) => ids.includes(n.id));
}

/** The nodes `only` names, or by default {@link nodesRunFromHere}; refused when that is none. */
async function nodesHere(layout: NetworkLayout, only: readonly string[] | undefined): Promise<NodeLayout[]> {
  const all = layout.nodes();
  if (only !== undefined && only.length > 0) {
    const named = namedNodes(layout, all, only);
    const keyless = named.filter((n) => !nodeKeysHere(layout, n));
    if (keyless.length > 0) {
      throw new WeftError('NODE_KEYS_NOT_HERE', `this network directory holds no keys for ${keyless.map((n) => `${n.id} (${n.mspId})`).join(', ')}`, {
        nodes: keyless.map((n) => n.id),
        suggestions: [`run it from a directory that holds ${keyless[0]!.mspId}'s keys: the one weft network init made, or its export with --org ${keyless[0]!.mspId}`],
      });
    }
    return named;
  }
  const here = await nodesRunFromHere(layout);
  if (here.length === 0) {
    const local = await hostsHere(all);
    const onThisMachine = all.filter((n) => local.get(n.host));
    const why =
      onThisMachine.length === 0
        ? `none of the network's nodes runs on this machine (their hosts: ${[...local.keys()].join(', ')})`
        : `this network directory holds the keys of none of the nodes on this machine (${onThisMachine.map((n) => n.id).join(', ')})`;
    throw new WeftError('NO_NODES_HERE', why, {
      suggestions: ['run weft network up on the hosts network.yaml names, from a directory with their orgs\' keys, or pick nodes with --node <name>'],
    });
  }
  return here;
}

export interface DownResult {
  readonly nodes: { id: string; result: 'stopped' | 'killed' | 'not-running' }[];
}

/**
 * `weft network down`: SIGTERM to every node running on this machine (peers first), or to those
 * `only` names, SIGKILL after `graceMs`.
 */
export async function networkDown(dir: string, graceMs: number, progress: Progress, only?: readonly string[]): Promise<DownResult> {
  const layout = openNetwork(dir);
  const peersFirst = [...layout.peers(), ...layout.orderers()];
  const order = only !== undefined && only.length > 0 ? namedNodes(layout, peersFirst, only) : peersFirst;
  // Every node is seen to before a refusal (NODE_PROCESS_ELSEWHERE) is reported.
  const settled = await Promise.allSettled(order.map(async (n) => ({ id: n.id, result: await stopNode(n, graceMs) })));
  const results = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  for (const r of results) if (r.result !== 'not-running') progress(`${r.id} ${r.result}`);
  const refused = settled.find((s) => s.status === 'rejected');
  if (refused !== undefined) throw refused.reason;
  return { nodes: results };
}

export interface NodeStatus {
  readonly id: string;
  readonly kind: 'peer' | 'orderer';
  readonly mspId: string;
  readonly address: string;
  readonly adminAddress?: string;
  readonly operationsAddress?: string;
  /** Whether the operations endpoint serves HTTPS (a node away from loopback, or network.yaml's `operations.tls`, which `--mutual-tls` sets). */
  readonly operationsTls?: boolean;
  readonly tlsRootCertPath: string;
  readonly configFile: string;
  readonly logFile: string;
  /**
   * Whether its host is this machine. A node elsewhere, or one whose keys this directory does not
   * hold (run from another org's directory), has no pid here and counts as running when it answers.
   */
  readonly onThisMachine: boolean;
  /** Whether this directory holds the node's keys, so that `up` here runs it. */
  readonly keysHere: boolean;
  readonly pid?: number;
  readonly running: boolean;
  readonly healthy: boolean;
  /** Ledger height on the channel; undefined when the node is down or has not joined. */
  readonly height?: number;
  /** A peer whose ledger starts after a snapshot (joined from it, or pruned to it): the snapshot's last block (it holds only the blocks after it). */
  readonly snapshotBlock?: number;
  /** The soonest expiry of its enrollment and TLS certificates; absent when this directory holds neither. */
  readonly certificate?: CertificateExpiry;
  /** A peer run from here: the channels `weft peer pause` left on its disk unopened (absent when none). */
  readonly pausedChannels?: string[];
  /** A node run from here: the bytes under its data directory (ledgers, snapshots, packages); absent before it first ran. */
  readonly dataBytes?: number;
  /** A peer: the channels network.yaml puts it on (each channel's `peers`, else every peer of its member orgs). */
  readonly channels?: string[];
}

/** A user that can sign from this directory. */
export interface UserStatus {
  readonly id: string;
  readonly mspId: string;
  readonly org: string;
  readonly admin: boolean;
  readonly certPath: string;
  readonly keyPath: string;
  readonly mspDir: string;
  readonly tlsCertPath: string;
  readonly tlsKeyPath: string;
  /** The soonest expiry of its enrollment certificate and (under mutual TLS) its TLS client certificate. */
  readonly certificate?: CertificateExpiry;
}

export interface NetworkStatus {
  readonly dir: string;
  /** The channel asked about (the default one unless `--channel`); `height` below is each node's on it. */
  readonly channel: string;
  /** Every channel of the network, the default one first. */
  readonly channels: string[];
  /** Each channel's capabilities, in `channels`' order, and where they were read (a running peer, else network.yaml). */
  readonly capabilities: ChannelCapabilitiesStatus[];
  /** The orgs (MSP IDs) whose Admin keys this directory holds: all of them, or an export's. */
  readonly orgKeysHere: string[];
  readonly tls: boolean;
  /** Whether nodes take only clients that present a TLS client certificate (a user's `tlsCertPath`/`tlsKeyPath`). */
  readonly mutualTls: boolean;
  readonly up: boolean;
  readonly genesisBlock: string;
  readonly orderers: NodeStatus[];
  readonly peers: NodeStatus[];
  readonly users: UserStatus[];
  /** Every org's CA and TLS CA: when one expires, every certificate it issued stops verifying. */
  readonly cas: CaExpiry[];
}

async function nodeStatus(layout: NetworkLayout, node: NodeLayout, onThisMachine: boolean): Promise<NodeStatus> {
  // A node this directory holds no keys for runs from another org's directory, even on this machine:
  // like a node on another host, it has no pid here and counts as running when it answers.
  const keysHere = nodeKeysHere(layout, node);
  const runFromHere = onThisMachine && keysHere;
  const pid = runFromHere ? runningPid(node) : undefined;
  const channel = layout.spec.channel.name;
  const operations = operationsEndpoint(node) !== undefined;
  let healthy = false;
  let height: number | undefined;
  let snapshotBlock: number | undefined;
  if (pid !== undefined || !runFromHere) {
    try {
      if (node.kind === 'orderer') {
        // Without the orderer Admin's key (a peer org's export), its health is all there is to ask.
        const admin = ordererAdminHere(layout) ? new OrdererAdminClient(node, layout) : undefined;
        const info = await admin?.info(channel);
        healthy = node.operationsAddress === undefined ? admin !== undefined : await nodeHealthy(node, operationsClientOf(layout, node));
        height = info?.height;
      } else {
        if (operations) healthy = await nodeHealthy(node, operationsClientOf(layout, node));
        ({ height, snapshotBlock } = await peerChainInfo(layout, node, channel));
        // Without an operations endpoint (another org's peer, listed without one), its answer to qscc is all there is to ask.
        if (!operations) healthy = true;
      }
    } catch {
      // down or not joined: reported as such
    }
  }
  return {
    id: node.id,
    kind: node.kind,
    mspId: node.mspId,
    address: node.address,
    ...(node.adminAddress ? { adminAddress: node.adminAddress } : {}),
    ...(operations ? { operationsAddress: node.operationsAddress, operationsTls: node.operationsTls } : {}),
    tlsRootCertPath: node.tlsRootCertPath,
    configFile: node.configFile,
    logFile: node.logFile,
    onThisMachine,
    keysHere,
    ...(pid !== undefined ? { pid } : {}),
    running: pid !== undefined || (!runFromHere && healthy),
    healthy,
    ...(height !== undefined ? { height } : {}),
    ...(snapshotBlock !== undefined ? { snapshotBlock } : {}),
    ...withCertificate(soonestExpiry(nodeCertificateFiles(layout, node))),
    ...(node.kind === 'peer' && runFromHere ? pausedOn(node) : {}),
    ...withDataBytes(runFromHere ? dataDirBytes(node.dataDir) : undefined),
  };
}

function withDataBytes(bytes: number | undefined): { dataBytes?: number } {
  return bytes === undefined ? {} : { dataBytes: bytes };
}

/** Read from the peer's ledger folder, which a running peer shares: a paused channel is one it never mentions over the network. */
function pausedOn(peer: NodeLayout): { pausedChannels?: string[] } {
  try {
    const { paused } = PeerLedgerAdmin.channelStatusOf(loadPeerConfig(peer.configFile));
    return paused.length === 0 ? {} : { pausedChannels: paused };
  } catch {
    return {}; // no config or ledger folder yet: nothing paused
  }
}

function withCertificate(certificate: CertificateExpiry | undefined): { certificate?: CertificateExpiry } {
  return certificate === undefined ? {} : { certificate };
}

/** `weft network status`: what a client application needs to connect, and whether each node is up. */
export async function networkStatus(dir: string, channel?: string): Promise<NetworkStatus> {
  const whole = openNetwork(dir);
  const layout = whole.forChannel(channel);
  const local = await hostsHere(whole.nodes());
  const orderers = await Promise.all(layout.orderers().map((n) => nodeStatus(layout, n, local.get(n.host)!)));
  // Every peer of the channel's member orgs, those network.yaml keeps off it too (without a height there).
  const peerNodes = layout.spec.orgs.flatMap((org) => whole.peersOf(whole.spec.orgs.find((o) => o.name === org.name)!));
  const peers = await Promise.all(peerNodes.map(async (n) => ({ ...(await nodeStatus(layout, n, local.get(n.host)!)), channels: channelsOfPeer(whole.spec, n.id) })));
  const onChannel = new Set(layout.peers().map((p) => p.id));
  const capabilities = await channelCapabilitiesStatus(layout, new Set(peers.filter((p) => p.running && onChannel.has(p.id)).map((p) => p.id)));
  return {
    dir: layout.dir,
    channel: layout.spec.channel.name,
    channels: layout.channels().map((c) => c.name),
    capabilities,
    orgKeysHere: [...(ordererAdminHere(layout) ? [layout.spec.ordererOrg.mspId] : []), ...orgsWithKeysHere(whole).map((o) => o.mspId)],
    tls: layout.spec.tls,
    mutualTls: layout.spec.mutualTls,
    up: [...orderers, ...peers].every((n) => n.running && n.healthy),
    genesisBlock: layout.genesisBlockFile,
    orderers,
    peers,
    // Those that can sign from here: in an exported directory, its own orgs' users.
    users: layout.users().filter((u) => signingKeyHere(u)).map((u) => ({
      id: u.id,
      mspId: u.mspId,
      org: u.org,
      admin: u.admin,
      certPath: u.certPath,
      keyPath: u.keyPath,
      mspDir: u.mspDir,
      tlsCertPath: u.tlsCertPath,
      tlsKeyPath: u.tlsKeyPath,
      ...withCertificate(soonestExpiry(userCertificateFiles(layout, u))),
    })),
    cas: caExpiries(layout),
  };
}
