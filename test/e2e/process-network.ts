/**
 * The acceptance network as real processes: one solo orderer and one peer per org (two orgs), TLS
 * everywhere, MAJORITY endorsement, each peer joined through `cscc JoinChain` by its org Admin, and
 * the `kv` test chaincode installed, approved by both orgs and committed through `_lifecycle`.
 */
import type * as grpc from '@grpc/grpc-js';
import * as fs from 'node:fs';
import { QueryChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { packageChaincode } from '../../core/chaincode/packager';
import {
  CHANNEL,
  KV_EVENTS_DIR,
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
  propose,
  rawEndorser,
  signerOf,
  tmpDir,
  writeOrdererConfig,
  writePeerConfig,
  type Material,
  type PeerFiles,
} from '../integration/peer/network-fixture';
import { ORDERER_MAIN, PEER_MAIN, WeftProcess } from './weft-process';

export interface ProcessNetwork {
  readonly dir: string;
  readonly m: Material;
  readonly orderer: WeftProcess;
  readonly peers: WeftProcess[];
  readonly peerFiles: readonly [PeerFiles, PeerFiles];
  readonly ports: readonly [number, number];
  /** A fresh TLS gRPC client to peer `i` (the caller closes it). */
  client(i: 0 | 1): grpc.Client;
  /** Restarts peer `i` from its config and data dir; `kill` uses SIGKILL (a crash) instead of SIGTERM. */
  restartPeer(i: 0 | 1, options?: { kill?: boolean; downMs?: number }): Promise<WeftProcess>;
  stop(): Promise<void>;
}

export async function startProcessNetwork(options: { batchTimeout?: string; chaincode?: boolean; peerEnv?: Record<string, string> } = {}): Promise<ProcessNetwork> {
  const dir = tmpDir('weft-e2e-');
  const procs: WeftProcess[] = [];
  try {
    const m = await generateMaterial(dir);
    const [ordererPort, adminPort, p0, p1, o0, o1] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const ports = [p0, p1] as const;
    const genesis = genesisBlock(m, ordererPort, options.batchTimeout ?? '250ms');
    const orderer = await WeftProcess.start('orderer', ORDERER_MAIN, writeOrdererConfig(m, ordererPort, adminPort).configFile);
    procs.push(orderer);
    const joined = await joinOrderer(m, adminPort, genesis);
    if (joined !== 201) throw new Error(`orderer join answered ${joined}`);
    const peerFiles = [writePeerConfig(m, 0, ports, o0), writePeerConfig(m, 1, ports, o1)] as const;
    const peers = [
      await WeftProcess.start('peer0.org1', PEER_MAIN, peerFiles[0].configFile, { env: options.peerEnv }),
      await WeftProcess.start('peer0.org2', PEER_MAIN, peerFiles[1].configFile, { env: options.peerEnv }),
    ];
    procs.push(...peers);
    for (const i of [0, 1] as const) {
      const endorser = rawEndorser(m.orgs[i], ports[i]);
      try {
        const res = await propose(endorser, signerOf(m.orgs[i], 'Admin'), '', 'cscc', ['JoinChain', genesis]);
        if (res.response.status !== 200) throw new Error(`JoinChain on peer ${i}: ${res.response.status} ${res.response.message}`);
      } finally {
        endorser.close();
      }
    }
    const net: ProcessNetwork = {
      dir,
      m,
      orderer,
      peers,
      peerFiles,
      ports,
      client: (i) => peerClient(m.orgs[i], ports[i]),
      restartPeer: async (i, opts = {}) => {
        if (opts.kill === true) await peers[i].kill();
        else await peers[i].stop();
        if (opts.downMs !== undefined) await new Promise((r) => setTimeout(r, opts.downMs));
        peers[i] = await WeftProcess.start(peers[i].name, PEER_MAIN, peerFiles[i].configFile, { env: options.peerEnv });
        return peers[i];
      },
      stop: async () => {
        for (const p of [...peers, orderer]) await p.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
    if (options.chaincode ?? true) await deployKv(net);
    return net;
  } catch (err) {
    for (const p of procs) await p.kill();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Installs `kv` on both peers, approves it for both orgs and commits the definition. */
export async function deployKv(net: ProcessNetwork): Promise<void> {
  const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
  for (const i of [0, 1] as const) await install(net.m.orgs[i], net.ports[i], built.packageBytes);
  const clients = [net.client(0), net.client(1)];
  const admins = [gatewayFor(net.m.orgs[0], clients[0], 'Admin'), gatewayFor(net.m.orgs[1], clients[1], 'Admin')];
  try {
    await approve(admins[0], 'kv', 1, built.packageId);
    await approve(admins[1], 'kv', 1, built.packageId);
    // Org2's approval is confirmed on Org2's peer; Org1's peer may still be committing that block.
    await eventually(() => commitDefinition(admins[0], 'kv', 1), 30_000);
    // The commit returns once Org1's peer has the block; Org2's peer must have it too before a
    // transaction can collect its endorsement.
    const query = new QueryChaincodeDefinitionArgs();
    query.setName('kv');
    await eventually(() => admins[1].getNetwork(CHANNEL).getContract('_lifecycle').evaluateTransaction('QueryChaincodeDefinition', query.serializeBinary()), 30_000);
  } finally {
    for (const g of admins) g.close();
    for (const c of clients) c.close();
  }
}

export { CHANNEL };
