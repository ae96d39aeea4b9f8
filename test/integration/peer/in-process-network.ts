import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
/**
 * A 2-org network in this process for peer integration tests: the orderer joined through its
 * participation API, both peers started and joined, a gRPC client per peer; plus the steps most
 * tests share (waiting for both peers, deploying the `kv` chaincode).
 */
import * as fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import {
  CHANNEL,
  KV_EVENTS_DIR,
  type Material,
  type OrdererFiles,
  type PeerFiles,
  approve,
  commitDefinition,
  eventually,
  freePort,
  gatewayFor,
  generateMaterial,
  genesisBlock,
  install,
  joinOrderer,
  peerClient,
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
} from './network-fixture';

export interface InProcessNetworkOptions {
  /** `mkdtemp` prefix of the network's directory. */
  readonly prefix: string;
  /** Peers serve TLS (default) or plaintext; the orderer always serves TLS. */
  readonly peerTls?: boolean;
  /** Peers require client certificates (from either org's TLS CA). */
  readonly mutualTls?: boolean;
  /** Open one gRPC client per peer (TLS or plaintext, following `peerTls`; default true). */
  readonly clients?: boolean;
  /** Name each org's peer as its anchor peer in `CHANNEL`'s genesis config. */
  readonly anchorPeers?: boolean;
  /** More settings of both peers' `peer:` sections (merged over the fixture's). */
  readonly peerSection?: Readonly<Record<string, unknown>>;
  /** More settings of each peer's own `peer:` section (merged over `peerSection`). */
  readonly perPeerSection?: readonly [Readonly<Record<string, unknown>>, Readonly<Record<string, unknown>>];
  /** Both peers' `plugins.runtime.options` (the isolated-vm runtime's; none by default). */
  readonly runtimeOptions?: Readonly<Record<string, unknown>>;
  /** More channels both peers and the orderer join, after `CHANNEL`. */
  readonly extraChannels?: readonly { channelId: string; aclOverrides?: Readonly<Record<string, string>> }[];
}

export interface InProcessNetwork {
  readonly dir: string;
  readonly m: Material;
  readonly orderer: OrdererNode;
  readonly ordererFiles: OrdererFiles;
  /** Started and joined; a test may replace an entry (restarting a peer), `close()` stops what is here then. */
  readonly peers: PeerNode[];
  readonly peerFiles: readonly [PeerFiles, PeerFiles];
  readonly ports: [number, number];
  /** The genesis block of `CHANNEL`, then those of `extraChannels` in order. */
  readonly geneses: readonly Uint8Array[];
  /** Closed by `close()`, with whatever tests push here. */
  readonly clients: grpc.Client[];
  /** Closed by `close()`, with whatever tests push here. */
  readonly gateways: Gateway[];
  /** Closes gateways and clients, stops peers and orderer, removes the directory. */
  close(): Promise<void>;
}

/**
 * Builds the network in this process: material, genesis blocks, the orderer joined to every
 * channel through its participation API, both peers started and joined. If a step fails, what was
 * started is stopped before the error propagates.
 */
export async function startInProcessNetwork(options: InProcessNetworkOptions): Promise<InProcessNetwork> {
  const dir = tmpDir(options.prefix);
  const peers: PeerNode[] = [];
  const clients: grpc.Client[] = [];
  const gateways: Gateway[] = [];
  let orderer: OrdererNode | undefined;
  const close = async (): Promise<void> => {
    for (const g of gateways) g.close();
    for (const c of clients) c.close();
    for (const p of peers) await p.stop();
    await orderer?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    const m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const ports: [number, number] = [p0, p1];
    const geneses = [
      genesisBlock(m, ordererPort, '100ms', CHANNEL, [], {}, options.anchorPeers === true ? ports : []),
      ...(options.extraChannels ?? []).map((c) => genesisBlock(m, ordererPort, '100ms', c.channelId, [], c.aclOverrides)),
    ];
    const ordererFiles = writeOrdererConfig(m, ordererPort, adminPort, { mutualTls: options.mutualTls });
    orderer = new OrdererNode(loadOrdererConfig(ordererFiles.configFile));
    await orderer.start();
    for (const block of geneses) expect(await joinOrderer(m, adminPort, block)).toBe(201);
    const peerFiles: PeerFiles[] = [];
    const tls = options.peerTls ?? true;
    for (const i of [0, 1] as const) {
      peerFiles.push(writePeerConfig(m, i, ports, await freePort(), { tls, mutualTls: options.mutualTls, peerSection: { ...options.peerSection, ...options.perPeerSection?.[i] }, runtimeOptions: options.runtimeOptions }));
      const peer = new PeerNode(parsePeerConfig(loadNodeConfig(peerFiles[i].configFile)));
      await peer.start();
      for (const block of geneses) peer.joinChannel(block);
      peers.push(peer);
      if (options.clients ?? true) {
        clients.push(tls ? peerClient(m.orgs[i], ports[i]) : new grpc.Client(`127.0.0.1:${ports[i]}`, grpc.credentials.createInsecure()));
      }
    }
    return { dir, m, orderer, ordererFiles, peers, peerFiles: [peerFiles[0], peerFiles[1]], ports, geneses, clients, gateways, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * Waits until every peer has committed as many blocks of `channelId` as the first one. A Gateway
 * submit returns once its own peer commits; the next step often needs the other peers too (a
 * definition's commit needs every org's approval on the committing peer; an endorsement needs the
 * definition on the endorsing peer).
 */
export function peersInSync(peers: readonly PeerNode[], channelId = CHANNEL): Promise<void> {
  return eventually(() => {
    const heights = peers.map((p) => p.height(channelId));
    if (heights.some((h) => h !== heights[0])) throw new Error(`peers of ${channelId} are at heights ${heights.join(', ')}`);
  });
}

/**
 * Deploys a test chaincode on an in-process network: installs it on both peers (plaintext with
 * `tls: false`), approves it for both orgs and commits the definition (sequence 1) through Org1's
 * gateway, waiting for both peers at each step. Returns the package ID.
 */
export async function deployChaincodeInProcess(
  net: InProcessNetwork,
  chaincode: (
    | { readonly projectDir: string; readonly label: string }
    /** A package built already (a ccaas package, say). */
    | { readonly built: { readonly packageBytes: Uint8Array; readonly packageId: string } }
  ) & {
    readonly name: string;
    readonly collections?: CollectionConfigPackage;
    /** A signature policy expression; the channel's default endorsement policy when omitted. */
    readonly policy?: string;
  },
  tls = true,
): Promise<string> {
  const { m, ports, clients, gateways, peers } = net;
  const built = 'built' in chaincode ? chaincode.built : await packageChaincode({ projectDir: chaincode.projectDir, label: chaincode.label });
  for (const i of [0, 1] as const) {
    const installed = await install(m.orgs[i], ports[i], built.packageBytes, tls);
    if (installed !== built.packageId) throw new Error(`peer ${i} installed ${installed}, expected ${built.packageId}`);
  }
  const admins = [gatewayFor(m.orgs[0], clients[0], 'Admin'), gatewayFor(m.orgs[1], clients[1], 'Admin')];
  gateways.push(...admins);
  await Promise.all(admins.map((a) => approve(a, chaincode.name, 1, built.packageId, false, CHANNEL, chaincode.collections, chaincode.policy)));
  await peersInSync(peers);
  await commitDefinition(admins[0], chaincode.name, 1, false, CHANNEL, chaincode.collections, chaincode.policy);
  await peersInSync(peers);
  return built.packageId;
}

/** A Gateway connection for `org`'s User1 through the client of peer `via` (its own org's by default), closed with the network. */
export function gatewayOn(net: InProcessNetwork, org: 0 | 1, via: 0 | 1 = org): Gateway {
  const g = gatewayFor(net.m.orgs[org], net.clients[via]);
  net.gateways.push(g);
  return g;
}

/** {@link deployChaincodeInProcess} of the `kv` test chaincode. */
export function deployKvInProcess(net: InProcessNetwork, tls = true): Promise<string> {
  return deployChaincodeInProcess(net, { projectDir: KV_EVENTS_DIR, label: 'kv_1', name: 'kv' }, tls);
}
