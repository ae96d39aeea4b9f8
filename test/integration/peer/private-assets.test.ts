import * as path from 'node:path';
import type { Contract } from '@hyperledger/fabric-gateway';
import { loadCollectionsConfig } from '../../../cli/services/chaincode/collections-config';
import { EXAMPLES } from '../../unit/core/chaincode/fixtures';
import { deployChaincodeInProcess, gatewayOn, peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, failureOf, rawEndorser, signerOf } from './network-fixture';
import { encodeTxPvtRwSet } from '../../../core/ledger/private-data';
import { signPvtPush } from '../../../core/peer/privdata/pvt-push';
import { loadSigningIdentity } from '../../../plugins/msp-x509';
import { loadNodeConfig } from '../../../core/node/config';
import { type PeerConfig, parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';
import { sample } from '../../support/prometheus-text';
import { PeerNode } from '../../../core/peer/peer-node';

const utf8 = new TextDecoder();
const EXAMPLE = path.join(EXAMPLES, 'private-assets');
const json = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value));

/**
 * The private-assets example as its README deploys it (each org's peer endorses alone), driven by
 * the Fabric Gateway client: every step runs on the acting org's own peer, so a member peer that did
 * not endorse holds the shared collection only because the endorser pushed it.
 */
describe('the private-assets example on a 2-org network: private data reaches member peers that did not endorse', () => {
  let net: InProcessNetwork;
  let org1: Contract;
  let org2: Contract;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-private-assets-' });
    await deployChaincodeInProcess(net, {
      projectDir: EXAMPLE,
      label: 'private_assets_1',
      name: 'private',
      collections: loadCollectionsConfig(path.join(EXAMPLE, 'collections_config.json')),
      policy: "OR('Org1MSP.peer', 'Org2MSP.peer')",
    });
    org1 = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('private');
    org2 = gatewayOn(net, 1).getNetwork(CHANNEL).getContract('private');
  }, 120_000);

  afterAll(() => net?.close());

  it('creates on Org1, agrees on Org2, transfers on Org1 with the appraisals compared by hash', async () => {
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'asset1', color: 'blue', size: 5, appraisedValue: 300 }) } });
    await peersInSync(net.peers);
    // Only Org1's peer endorsed; Org2's peer holds the shared collection because Org1's pushed it.
    const seen = JSON.parse(utf8.decode(await org2.evaluateTransaction('ReadAsset', 'asset1'))) as { owner: string; color: string };
    expect(seen.color).toBe('blue');
    // Org1's implicit collection stays with Org1: Org2's peer has only its hash.
    expect(await failureOf(org2.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'asset1'))).toContain(
      'private data matching public hash version is not available',
    );

    await org2.submit('AgreeToTransfer', { transientData: { asset_value: json({ assetID: 'asset1', appraisedValue: 300 }) } });
    await peersInSync(net.peers);
    const agreement = JSON.parse(utf8.decode(await org1.evaluateTransaction('ReadTransferAgreement', 'asset1'))) as { buyerID: string };
    expect(agreement.buyerID).not.toBe(seen.owner);

    await org1.submit('TransferAsset', { transientData: { asset_owner: json({ assetID: 'asset1', buyerMSP: 'Org2MSP' }) } });
    await peersInSync(net.peers);
    for (const contract of [org1, org2]) {
      expect((JSON.parse(utf8.decode(await contract.evaluateTransaction('ReadAsset', 'asset1'))) as { owner: string }).owner).toBe(agreement.buyerID);
    }
    expect(await failureOf(org1.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'asset1'))).toContain('asset1 has no private details');
    expect(JSON.parse(utf8.decode(await org2.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org2MSP', 'asset1')))).toEqual({ assetID: 'asset1', appraisedValue: 300 });
  });

  it("serves private rich queries over the collection's index on both peers, and the new owner deletes", async () => {
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'asset2', color: 'red', size: 2, appraisedValue: 40 }) } });
    await peersInSync(net.peers);
    const owner = (JSON.parse(utf8.decode(await org1.evaluateTransaction('ReadAsset', 'asset2'))) as { owner: string }).owner;
    for (const contract of [org1, org2]) {
      expect((JSON.parse(utf8.decode(await contract.evaluateTransaction('QueryAssetByOwner', owner))) as { assetID: string }[]).map((a) => a.assetID)).toEqual(['asset2']);
    }
    expect(await failureOf(org1.submit('DeleteAsset', { transientData: { asset_delete: json({ assetID: 'asset1' }) } }))).toContain(
      'submitting client is not the owner of asset asset1',
    );
    await org2.submit('DeleteAsset', { transientData: { asset_delete: json({ assetID: 'asset1' }) } });
    await peersInSync(net.peers);
    expect(await failureOf(org1.evaluateTransaction('ReadAsset', 'asset1'))).toContain('asset1 does not exist');
  });

  it('a member peer that was down when the asset was created pulls its private data from another peer as it catches up', async () => {
    await net.peers[1].stop();
    // Org1's push to Org2's peer fails: it is best effort (requiredPeerCount 0), so the endorsement does not.
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'asset3', color: 'white', size: 1, appraisedValue: 10 }) } });
    net.peers[1] = new PeerNode(parsePeerConfig(loadNodeConfig(net.peerFiles[1].configFile)));
    await net.peers[1].start();
    await peersInSync(net.peers);
    expect((JSON.parse(utf8.decode(await org2.evaluateTransaction('ReadAsset', 'asset3'))) as { color: string }).color).toBe('white');
  });

  it('a member peer whose commit went without the private data gets it in a reconciliation round once a member peer that holds it is back', async () => {
    await net.peers[1].stop();
    await org1.submit('CreateAsset', { transientData: { asset_properties: json({ assetID: 'asset4', color: 'green', size: 3, appraisedValue: 70 }) } });
    const height = net.peers[0].height(CHANNEL);
    await net.peers[0].stop();
    // Org2's peer catches up from the orderer while the only other member peer is down: its
    // commit's pull gives up after 200 ms, and the block commits with the hashes alone.
    const restart = (i: 0 | 1, privateData: Partial<PeerConfig['peer']['privateData']> = {}): Promise<void> => {
      const config = parsePeerConfig(loadNodeConfig(net.peerFiles[i].configFile));
      net.peers[i] = new PeerNode({ ...config, peer: { ...config.peer, privateData: { ...config.peer.privateData, ...privateData } } });
      return net.peers[i].start();
    };
    await restart(1, { pullRetryThresholdMs: 200, reconcileSleepIntervalMs: 200, deprioritizedDataReconcilerIntervalMs: 400 });
    await eventually(() => expect(net.peers[1].height(CHANNEL)).toBe(height));
    expect(await failureOf(org2.evaluateTransaction('ReadAsset', 'asset4'))).toContain('private data matching public hash version is not available');

    await restart(0);
    const seen = await eventually(async () => JSON.parse(utf8.decode(await org2.evaluateTransaction('ReadAsset', 'asset4'))) as { color: string });
    expect(seen.color).toBe('green');
    expect(net.peers[1].height(CHANNEL)).toBe(height);
    // Fabric's metrics of both: the commit's pull that gave up, and the rounds.
    const metrics = await (await fetch(`http://${net.peers[1].operationsAddress() as string}/metrics`)).text();
    expect(sample(metrics, 'gossip_privdata_pull_duration_count', { channel: CHANNEL })).toBeGreaterThan(0);
    expect(sample(metrics, 'gossip_privdata_reconciliation_duration_count', { channel: CHANNEL })).toBeGreaterThan(0);

    // The values are kept with their block: a rebuild of Org2's state replays them (no round runs
    // in this peer's first minute).
    await net.peers[1].stop();
    const admin = PeerLedgerAdmin.open(parsePeerConfig(loadNodeConfig(net.peerFiles[1].configFile)), 'test');
    try {
      admin.rebuild([CHANNEL]);
    } finally {
      admin.close();
    }
    await restart(1);
    expect((JSON.parse(utf8.decode(await org2.evaluateTransaction('ReadAsset', 'asset4'))) as { color: string }).color).toBe('green');
  });

  it('takes pushes only from peers of the channel, signed, for a joined channel', async () => {
    const org2Peer = rawEndorser(net.m.orgs[1], net.ports[1]);
    const peer = loadSigningIdentity(net.m.orgs[0].nodes.peer0.mspDir, net.m.orgs[0].mspId);
    const pvt = encodeTxPvtRwSet([{ namespace: 'private', collection: 'assetCollection', rwset: Buffer.from('kv') }]);
    const push = { channelId: CHANNEL, txId: 'pushed-tx', height: 1, pvt };
    const refusal = async (bytes: Uint8Array): Promise<{ code?: number; details?: string }> =>
      org2Peer.pushPrivateData(bytes, Date.now() + 10_000).then(
        () => ({}),
        (err: { code?: number; details?: string }) => ({ code: err.code, details: err.details }),
      );
    try {
      expect(await refusal(signPvtPush(push, peer))).toEqual({});
      expect(await refusal(signPvtPush(push, signerOf(net.m.orgs[0])))).toEqual({ code: 7, details: 'the sender of a private data push is not a peer of Org1MSP' });
      const forged = { serialized: peer.serialized, sign: (m: Uint8Array) => signerOf(net.m.orgs[0]).sign(m) };
      expect(await refusal(signPvtPush(push, forged))).toEqual({ code: 7, details: 'the signature of the private data push from Org1MSP does not verify' });
      expect(await refusal(signPvtPush({ ...push, channelId: 'nosuch' }, peer))).toEqual({ code: 5, details: 'channel nosuch is not joined by this peer' });
      expect(await refusal(Uint8Array.from([0x0a, 0x09, 0x01]))).toMatchObject({ code: 3, details: expect.stringContaining('malformed private data push') });
      expect(await refusal(signPvtPush({ ...push, pvt: Uint8Array.from([0x12, 0x05]) }, peer))).toMatchObject({ code: 3, details: expect.stringContaining('is not a TxPvtReadWriteSet') });
    } finally {
      org2Peer.close();
    }
  });
});
