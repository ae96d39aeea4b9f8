import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import { JoinBySnapshotStatus } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { loadCollectionsConfig } from '../../../cli/services/chaincode/collections-config';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { EXAMPLES } from '../../unit/core/chaincode/fixtures';
import { freshPeerConfig } from './fresh-peer';
import { deployChaincodeInProcess, gatewayOn, type InProcessNetwork, peersInSync, startInProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, freePort, install, peerClient, propose, rawEndorser, signerOf } from './network-fixture';
import { signedSnapshotRequest, snapshotCall } from './snapshot-support';

const utf8 = new TextDecoder();
const EXAMPLE = path.join(EXAMPLES, 'private-assets');
const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

/**
 * A peer joined from a snapshot holds the private hashes of everything before it but no value (a
 * snapshot carries none, as Fabric's). As Fabric's peer does, it records what its org should hold
 * as missing at import and its reconciler fetches it from the peers that hold the blocks; values of
 * a collection its org is not a member of stay with that org.
 */
describe('a peer joined from a snapshot fetches the private data its org is entitled to', () => {
  let net: InProcessNetwork;
  let org1: Contract;
  let org2: Contract;
  let packageBytes: Uint8Array;
  let joined: PeerNode | undefined;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-snappvt-', peerSection: { privateData: { reconcileSleepIntervalMs: 200 } } });
    await deployChaincodeInProcess(net, {
      projectDir: EXAMPLE,
      label: 'private_assets_1',
      name: 'private',
      // assetCollection: both orgs; each org's implicit collection: that org alone.
      collections: loadCollectionsConfig(path.join(EXAMPLE, 'collections_config.json')),
      policy: "OR('Org1MSP.peer', 'Org2MSP.peer')",
    });
    packageBytes = (await packageChaincode({ projectDir: EXAMPLE, label: 'private_assets_1' })).packageBytes;
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    org2 = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(async () => {
    await joined?.stop();
    await net?.close();
  });

  it('reconciles the values written before the snapshot, as they were at it, and not another org’s', async () => {
    const create = (contract: Contract, assetID: string, appraisedValue: number) =>
      contract.submit('CreateAsset', { transientData: { asset_properties: json({ assetID, color: `c-${assetID}`, size: 1, appraisedValue }) } });
    await create(org1, 'a1', 100);
    await create(org1, 'a2', 200);
    // Org1's appraisal of a2 written again, a3 deleted, before the snapshot; b1 is Org2's.
    await org1.submit('AgreeToTransfer', { transientData: { asset_value: json({ assetID: 'a2', appraisedValue: 250 }) } });
    await create(org1, 'a3', 300);
    await org1.submit('DeleteAsset', { transientData: { asset_delete: json({ assetID: 'a3' }) } });
    await create(org2, 'b1', 400);
    await peersInSync(net.peers);

    const target = net.peers[0]!.height(CHANNEL) - 1;
    const admin = signerOf(net.m.orgs[0], 'Admin');
    await snapshotCall(net.clients[0]!, 'Generate', signedSnapshotRequest(admin, CHANNEL, 0));
    const snapshot = path.join(snapshotsRootDir(net.peers[0]!.config), 'completed', CHANNEL, String(target));
    await eventually(() => expect(fs.existsSync(snapshot)).toBe(true), 30_000);
    // Written after the snapshot: the joined peer commits its block.
    await create(org1, 'a4', 500);

    const fresh = freshPeerConfig(net, await freePort(), await freePort(), { knowsPeer0: true });
    const peer = (joined = new PeerNode(parsePeerConfig(loadNodeConfig(fresh))));
    await peer.start();
    const port = peer.port;
    net.clients.push(peerClient(net.m.orgs[0], port));
    const call = async (channelId: string, chaincode: string, args: string[], signer = signerOf(net.m.orgs[0])) => {
      const endorser = rawEndorser(net.m.orgs[0], port);
      try {
        return (await propose(endorser, signer, channelId, chaincode, args)).response;
      } finally {
        endorser.close();
      }
    };
    expect(await call('', 'cscc', ['JoinChainBySnapshot', snapshot], admin)).toMatchObject({ status: 200 });
    await eventually(async () => {
      const status = JoinBySnapshotStatus.deserializeBinary((await call('', 'cscc', ['JoinBySnapshotStatus'], admin)).payload);
      expect(status.getInProgress()).toBe(false);
      expect(peer.height(CHANNEL)).toBe(net.peers[0]!.height(CHANNEL));
    }, 30_000);
    await install(net.m.orgs[0], port, packageBytes);

    // Read on the joined peer itself (a Gateway could take another peer's answer).
    const read = async (...args: string[]): Promise<string> => {
      const r = await call(CHANNEL, 'private', args);
      return r.status === 200 ? utf8.decode(r.payload) : `${r.status}: ${r.message}`;
    };
    await eventually(async () => {
      expect(await read('ReadAsset', 'a1')).toContain('"assetID":"a1","color":"c-a1"');
      expect(await read('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'a1')).toBe(JSON.stringify({ assetID: 'a1', appraisedValue: 100 }));
      expect(await read('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'a2')).toBe(JSON.stringify({ assetID: 'a2', appraisedValue: 250 }));
      expect(await read('ReadAsset', 'b1')).toContain('"assetID":"b1","color":"c-b1"');
      expect(await read('ReadAsset', 'a4')).toContain('"assetID":"a4","color":"c-a4"');
    }, 60_000);
    expect(await read('ReadAsset', 'a3')).toMatch(/a3 does not exist/);
    // Org2's implicit collection: its hash only, here as on every Org1 peer.
    expect(await read('ReadAssetPrivateDetails', '_implicit_org_Org2MSP', 'b1')).toMatch(/private data matching public hash version is not available/);
  }, 240_000);
});
