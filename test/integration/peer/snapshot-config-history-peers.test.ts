/**
 * The collection config history in the snapshots real peers take (PeerNode, gRPC on loopback, real
 * SQLite): an Org1 and an Org2 peer export the same snapshot of a channel with a collection
 * chaincode, `confighistory.*` included as Fabric's peers would; a peer joined from that snapshot
 * takes, at a later block, the snapshot the peer holding every block takes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { JoinBySnapshotStatus } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { loadCollectionsConfig } from '../../../cli/services/chaincode/collections-config';
import { readConfigHistoryFiles } from '../../../core/ledger/snapshot-config-history';
import { readSnapshotMetadata } from '../../../core/ledger/snapshot-metadata';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { EXAMPLES } from '../../unit/core/chaincode/fixtures';
import { freshPeerConfig } from './fresh-peer';
import { deployChaincodeInProcess, gatewayOn, type InProcessNetwork, peersInSync, startInProcessNetwork } from './in-process-network';
import { approve, CHANNEL, commitDefinition, eventually, freePort, gatewayFor, peerClient, propose, rawEndorser, signerOf } from './network-fixture';
import { signedSnapshotRequest, snapshotCall } from './snapshot-support';

const EXAMPLE = path.join(EXAMPLES, 'private-assets');
const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

describe('collection config history in the snapshots of running peers', () => {
  let net: InProcessNetwork;
  let joined: PeerNode | undefined;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-snapcfg-' });
  }, 60_000);

  afterAll(async () => {
    await joined?.stop();
    await net?.close();
  });

  /** Generates a snapshot of the last block on `peer` (its org's admin asks) and waits for its directory. */
  async function snapshotOn(peer: PeerNode, org: 0 | 1, client = net.clients[org]!): Promise<string> {
    const last = peer.height(CHANNEL) - 1;
    await snapshotCall(client, 'Generate', signedSnapshotRequest(signerOf(net.m.orgs[org], 'Admin'), CHANNEL, 0));
    const dir = path.join(snapshotsRootDir(peer.config), 'completed', CHANNEL, String(last));
    await eventually(() => expect(fs.existsSync(dir)).toBe(true), 30_000);
    return dir;
  }
  const hashOf = (dir: string): string => Buffer.from(readSnapshotMetadata(dir).snapshotHash).toString('hex');
  const entriesOf = (dir: string): [string, number][] =>
    readConfigHistoryFiles(dir, new Set(fs.readdirSync(dir)), readSnapshotMetadata(dir).lastBlockNumber).map((e) => [e.chaincode, e.blockNum]);

  it('exports equal snapshots from an Org1 and an Org2 peer, with an entry per definition, and a joined peer carries them on', async () => {
    const collections = loadCollectionsConfig(path.join(EXAMPLE, 'collections_config.json'));
    const policy = "OR('Org1MSP.peer', 'Org2MSP.peer')";
    const packageId = await deployChaincodeInProcess(net, { projectDir: EXAMPLE, label: 'private_assets_1', name: 'private', collections, policy });
    const defined1 = net.peers[0]!.height(CHANNEL) - 1;
    // Defined again with the same collections: Fabric records the definition's collections again.
    const admins: Gateway[] = [gatewayFor(net.m.orgs[0], net.clients[0]!, 'Admin'), gatewayFor(net.m.orgs[1], net.clients[1]!, 'Admin')];
    net.gateways.push(...admins);
    await Promise.all(admins.map((a) => approve(a, 'private', 2, packageId, false, CHANNEL, collections, policy)));
    await peersInSync(net.peers);
    await commitDefinition(admins[0]!, 'private', 2, false, CHANNEL, collections, policy);
    await peersInSync(net.peers);
    const defined2 = net.peers[0]!.height(CHANNEL) - 1;
    const org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'a1', color: 'blue', size: 1, appraisedValue: 100 }) } });
    await peersInSync(net.peers);

    const [snap0, snap1] = [await snapshotOn(net.peers[0]!, 0), await snapshotOn(net.peers[1]!, 1)];
    expect(entriesOf(snap0)).toEqual([
      ['private', defined2],
      ['private', defined1],
    ]);
    expect(hashOf(snap1)).toBe(hashOf(snap0));

    // A fresh Org1 peer joins from peer0's snapshot, then commits the blocks after it.
    const fresh = freshPeerConfig(net, await freePort(), await freePort(), { knowsPeer0: true });
    const peer = (joined = new PeerNode(parsePeerConfig(loadNodeConfig(fresh))));
    await peer.start();
    const client = peerClient(net.m.orgs[0], peer.port);
    net.clients.push(client);
    const admin = signerOf(net.m.orgs[0], 'Admin');
    const cscc = async (...args: string[]) => {
      const endorser = rawEndorser(net.m.orgs[0], peer.port);
      try {
        return (await propose(endorser, admin, '', 'cscc', args)).response;
      } finally {
        endorser.close();
      }
    };
    expect(await cscc('JoinChainBySnapshot', snap0)).toMatchObject({ status: 200 });
    await eventually(async () => expect(JoinBySnapshotStatus.deserializeBinary((await cscc('JoinBySnapshotStatus')).payload).getInProgress()).toBe(false), 30_000);
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'a2', color: 'red', size: 2, appraisedValue: 200 }) } });
    await peersInSync([...net.peers, peer]);

    const [later0, laterJoined] = [await snapshotOn(net.peers[0]!, 0), await snapshotOn(peer, 0, client)];
    expect(entriesOf(laterJoined)).toEqual(entriesOf(snap0));
    expect(hashOf(laterJoined)).toBe(hashOf(later0));
  }, 240_000);
});
