import * as fs from 'node:fs';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { WeftError } from '../../../core/errors';
import { toHex } from '../../../core/protocol/bytes';
import { loadClientIdentity, type ClientIdentity } from '../client/client-identity';
import { OrdererAdminClient } from '../client/orderer-admin';
import { PeerClient } from '../client/peer-client';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { loadNetworkSpec } from './network-spec';
import { nodeHealthy, runningPid, startNode, stopNode, waitFor } from './node-processes';

export type Progress = (message: string) => void;

export function openNetwork(dir: string): NetworkLayout {
  return new NetworkLayout(dir, loadNetworkSpec(dir));
}

/** The Admin of the org a peer belongs to (cscc JoinChain needs the peer's local admin). */
export function peerAdmin(layout: NetworkLayout, peer: NodeLayout): ClientIdentity {
  const org = layout.spec.orgs.find((o) => o.mspId === peer.mspId)!;
  return loadClientIdentity(layout.user(org, 'Admin'));
}

/** Channels a peer has joined (cscc GetChannels). */
export async function peerChannels(layout: NetworkLayout, peer: NodeLayout): Promise<string[]> {
  const client = new PeerClient(peer, layout.spec.tls);
  try {
    const payload = await client.call(peerAdmin(layout, peer).signer, '', 'cscc', ['GetChannels']);
    return ChannelQueryResponse.deserializeBinary(payload)
      .getChannelsList()
      .map((c) => c.getChannelId());
  } finally {
    client.close();
  }
}

/** The peer's ledger height and current block hash for a channel (qscc GetChainInfo). */
export async function peerChainInfo(layout: NetworkLayout, peer: NodeLayout, channel: string): Promise<{ height: number; currentBlockHash: string }> {
  const client = new PeerClient(peer, layout.spec.tls);
  try {
    const payload = await client.call(peerAdmin(layout, peer).signer, channel, 'qscc', ['GetChainInfo', channel]);
    const info = BlockchainInfo.deserializeBinary(payload);
    return { height: info.getHeight(), currentBlockHash: toHex(info.getCurrentblockhash_asU8()) };
  } finally {
    client.close();
  }
}

export interface UpResult {
  readonly channel: string;
  readonly orderers: { id: string; address: string; adminAddress: string | undefined; operationsAddress: string | undefined }[];
  readonly peers: { id: string; mspId: string; address: string; operationsAddress: string | undefined }[];
}

/**
 * `weft network up`: starts every node in the background, waits until each serves, joins the
 * orderers (channel participation API) and the peers (cscc JoinChain) to the channel unless they
 * already are, and waits until every peer has the genesis block. On failure everything started
 * here is stopped again.
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
    const genesis = fs.readFileSync(layout.genesisBlockFile);
    const channel = layout.spec.channel.name;

    for (const orderer of layout.orderers()) {
      const admin = new OrdererAdminClient(orderer, layout);
      await waitFor(orderer, 'serving its admin API', async () => (await admin.list(), true));
      if (orderer.operationsAddress !== undefined) await waitFor(orderer, 'healthy', () => nodeHealthy(orderer));
      if ((await admin.info(channel)) === undefined) {
        await admin.join(channel, genesis);
        progress(`${orderer.id} joined ${channel}`);
      }
    }
    for (const peer of layout.peers()) {
      await waitFor(peer, 'healthy', () => nodeHealthy(peer));
      if (!(await peerChannels(layout, peer)).includes(channel)) {
        const client = new PeerClient(peer, layout.spec.tls);
        try {
          await client.call(peerAdmin(layout, peer).signer, '', 'cscc', ['JoinChain', genesis]);
        } finally {
          client.close();
        }
        progress(`${peer.id} joined ${channel}`);
      }
    }
    for (const peer of layout.peers()) {
      await waitFor(peer, `at height ≥ 1 on ${channel}`, async () => (await peerChainInfo(layout, peer, channel)).height >= 1);
    }
    progress('all nodes healthy');
    return {
      channel,
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
  readonly channel: string;
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
export async function networkStatus(dir: string): Promise<NetworkStatus> {
  const layout = openNetwork(dir);
  const orderers = await Promise.all(layout.orderers().map((n) => nodeStatus(layout, n)));
  const peers = await Promise.all(layout.peers().map((n) => nodeStatus(layout, n)));
  return {
    dir: layout.dir,
    channel: layout.spec.channel.name,
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
