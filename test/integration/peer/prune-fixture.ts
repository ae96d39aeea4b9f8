import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import type { Signer } from '../../../core/protocol/signer';
import { snapshotsRootDir } from '../../../core/peer/peer-config';
import { type InProcessNetwork, deployKvInProcess, gatewayOn, peersInSync, startInProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, propose, rawEndorser, signerOf } from './network-fixture';
import { peerDeliver, signedSnapshotRequest, snapshotCall } from './snapshot-support';

/** The network the prune tests prune peer0 (Org1) of, and what they sign and read with. */
export interface PruneNetwork {
  readonly net: InProcessNetwork;
  /** The kv chaincode through Org1's gateway. */
  readonly kv: Contract;
  /** Org1's admin, who may snapshot and prune. */
  admin(): Signer;
  /** An Org1 member who is not an admin. */
  reader(): Signer;
  /** peer0's height on the channel. */
  height(): number;
}

/**
 * Starts the two-org in-process network with the kv chaincode before the file's tests, and closes it
 * after them; read the returned object's members inside the tests only.
 */
export function usePruneNetwork(prefix: string): PruneNetwork {
  let net: InProcessNetwork | undefined;
  let kv: Contract | undefined;
  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix });
    await deployKvInProcess(net);
    kv = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
  }, 180_000);
  afterAll(async () => {
    await net?.close();
  });
  const started = (): InProcessNetwork => net ?? fail('the prune network is read before it started (outside a test)');
  return {
    get net() {
      return started();
    },
    get kv() {
      return kv ?? fail('the kv contract is read before the network started (outside a test)');
    },
    admin: () => signerOf(started().m.orgs[0], 'Admin'),
    reader: () => signerOf(started().m.orgs[0]),
    height: () => started().peers[0]!.height(CHANNEL),
  };
}

function fail(message: string): never {
  throw new Error(message);
}

/** A completed snapshot of peer0 that the channel has gone two blocks past, as a prune takes it. */
export interface SnapshotAhead {
  /** The snapshot's block. */
  readonly target: number;
  readonly snapshotDir: string;
  /** peer0's Deliver of block `target + 1`, the first a prune keeps. */
  readonly keptBlock: { blocks: number[]; status: number };
}

/** Asks peer0 for a snapshot at the next block, commits past it and waits for it to complete, with both peers in step. */
export async function snapshotAhead(fx: PruneNetwork): Promise<SnapshotAhead> {
  const { net, kv } = fx;
  const target = fx.height() + 1;
  await snapshotCall(net.clients[0]!, 'Generate', signedSnapshotRequest(fx.admin(), CHANNEL, target));
  while (fx.height() <= target + 1) await kv.submitTransaction('Put', 'b', `banana${fx.height()}`);
  const snapshotDir = path.join(snapshotsRootDir(net.peers[0]!.config), 'completed', CHANNEL, String(target));
  await eventually(() => expect(fs.existsSync(snapshotDir)).toBe(true), 30_000);
  await peersInSync(net.peers);
  const keptBlock = await peerDeliver(net.clients[0]!, fx.reader(), CHANNEL, target + 1, target + 1);
  return { target, snapshotDir, keptBlock };
}

/** A qscc call on `org`'s peer by one of its members: the proposal response. */
export async function qscc(net: InProcessNetwork, args: string[], org: 0 | 1 = 0) {
  const endorser = rawEndorser(net.m.orgs[org], net.ports[org]);
  try {
    return (await propose(endorser, signerOf(net.m.orgs[org]), CHANNEL, 'qscc', args)).response;
  } finally {
    endorser.close();
  }
}
