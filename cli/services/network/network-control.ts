import { WeftError } from '../../../core/errors';
import { OrdererAdminClient } from '../client/orderer-admin';
import { openNetwork, peerChainInfo, type Progress } from './network-access';
import { joinEveryNode } from './network-channels';
import type { NetworkLayout, NodeLayout } from './network-layout';
import { nodeHealthy, runningPid, startNode, stopNode, waitFor } from './node-processes';

export interface UpResult {
  readonly channel: string;
  /** Every channel of the network, the default one first. */
  readonly channels: string[];
  readonly orderers: { id: string; address: string; adminAddress: string | undefined; operationsAddress: string | undefined }[];
  readonly peers: { id: string; mspId: string; address: string; operationsAddress: string | undefined }[];
}

/**
 * `weft network up`: starts every node in the background, waits until each serves, joins the
 * orderers (channel participation API) and the peers (cscc JoinChain) to every channel of the
 * network unless they already are, and waits until every peer has each genesis block. On failure
 * everything started here is stopped again.
 */
export async function networkUp(dir: string, progress: Progress): Promise<UpResult> {
  const layout = openNetwork(dir);
  const running = layout.nodes().filter((n) => runningPid(n) !== undefined);
  if (running.length === layout.nodes().length) {
    throw new WeftError('NETWORK_ALREADY_UP', `the network in ${layout.dir} is already up`, {
      suggestions: [`see it with: weft network status ${dir}`, `restart it with: weft network down ${dir} && weft network up ${dir}`],
    });
  }
  const started: NodeLayout[] = [];
  try {
    for (const node of layout.nodes()) {
      if (runningPid(node) !== undefined) continue;
      startNode(node);
      started.push(node);
    }
    progress(`started ${started.length} node processes (logs in ${layout.dir}/logs)`);
    for (const orderer of layout.orderers()) {
      const admin = new OrdererAdminClient(orderer, layout);
      await waitFor(orderer, 'serving its admin API', async () => (await admin.list(), true));
      if (orderer.operationsAddress !== undefined) await waitFor(orderer, 'healthy', () => nodeHealthy(orderer));
    }
    for (const peer of layout.peers()) await waitFor(peer, 'healthy', () => nodeHealthy(peer));
    const channel = layout.spec.channel.name;
    for (const c of layout.channels()) await joinEveryNode(layout.forChannel(c.name), c.name, progress);
    progress('all nodes healthy');
    return {
      channel,
      channels: layout.channels().map((c) => c.name),
      orderers: layout.orderers().map((o) => ({ id: o.id, address: o.address, adminAddress: o.adminAddress, operationsAddress: o.operationsAddress })),
      peers: layout.peers().map((p) => ({ id: p.id, mspId: p.mspId, address: p.address, operationsAddress: p.operationsAddress })),
    };
  } catch (err) {
    for (const node of started.reverse()) await stopNode(node, 3000);
    throw err;
  }
}

export interface DownResult {
  readonly nodes: { id: string; result: 'stopped' | 'killed' | 'not-running' }[];
}

/** `weft network down`: SIGTERM to every node (peers first), SIGKILL after `graceMs`. */
export async function networkDown(dir: string, graceMs: number, progress: Progress): Promise<DownResult> {
  const layout = openNetwork(dir);
  const order = [...layout.peers(), ...layout.orderers()];
  const results = await Promise.all(order.map(async (n) => ({ id: n.id, result: await stopNode(n, graceMs) })));
  for (const r of results) if (r.result !== 'not-running') progress(`${r.id} ${r.result}`);
  return { nodes: results };
}

export interface NodeStatus {
  readonly id: string;
  readonly kind: 'peer' | 'orderer';
  readonly mspId: string;
  readonly address: string;
  readonly adminAddress?: string;
  readonly operationsAddress?: string;
  readonly tlsRootCertPath: string;
  readonly configFile: string;
  readonly logFile: string;
  readonly pid?: number;
  readonly running: boolean;
  readonly healthy: boolean;
  /** Ledger height on the channel; undefined when the node is down or has not joined. */
  readonly height?: number;
}

export interface NetworkStatus {
  readonly dir: string;
  /** The channel asked about (the default one unless `--channel`); `height` below is each node's on it. */
  readonly channel: string;
  /** Every channel of the network, the default one first. */
  readonly channels: string[];
  readonly tls: boolean;
  readonly up: boolean;
  readonly genesisBlock: string;
  readonly orderers: NodeStatus[];
  readonly peers: NodeStatus[];
  readonly users: { id: string; mspId: string; org: string; admin: boolean; certPath: string; keyPath: string; mspDir: string; tlsCertPath: string; tlsKeyPath: string }[];
}

async function nodeStatus(layout: NetworkLayout, node: NodeLayout): Promise<NodeStatus> {
  const pid = runningPid(node);
  const channel = layout.spec.channel.name;
  let healthy = false;
  let height: number | undefined;
  if (pid !== undefined) {
    try {
      if (node.kind === 'orderer') {
        const info = await new OrdererAdminClient(node, layout).info(channel);
        healthy = node.operationsAddress === undefined || (await nodeHealthy(node));
        height = info?.height;
      } else {
        healthy = await nodeHealthy(node);
        height = (await peerChainInfo(layout, node, channel)).height;
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
    ...(node.operationsAddress ? { operationsAddress: node.operationsAddress } : {}),
    tlsRootCertPath: node.tlsRootCertPath,
    configFile: node.configFile,
    logFile: node.logFile,
    ...(pid !== undefined ? { pid } : {}),
    running: pid !== undefined,
    healthy,
    ...(height !== undefined ? { height } : {}),
  };
}

/** `weft network status`: what a client application needs to connect, and whether each node is up. */
export async function networkStatus(dir: string, channel?: string): Promise<NetworkStatus> {
  const layout = openNetwork(dir).forChannel(channel);
  const orderers = await Promise.all(layout.orderers().map((n) => nodeStatus(layout, n)));
  const peers = await Promise.all(layout.peers().map((n) => nodeStatus(layout, n)));
  return {
    dir: layout.dir,
    channel: layout.spec.channel.name,
    channels: layout.channels().map((c) => c.name),
    tls: layout.spec.tls,
    up: [...orderers, ...peers].every((n) => n.running && n.healthy),
    genesisBlock: layout.genesisBlockFile,
    orderers,
    peers,
    users: layout.users().map((u) => ({
      id: u.id,
      mspId: u.mspId,
      org: u.org,
      admin: u.admin,
      certPath: u.certPath,
      keyPath: u.keyPath,
      mspDir: u.mspDir,
      tlsCertPath: u.tlsCertPath,
      tlsKeyPath: u.tlsKeyPath,
    })),
  };
}
