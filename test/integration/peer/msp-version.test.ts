import { sign } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Capabilities, Capability } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import type { Signer } from '../../../core/protocol/signer';
import { createTestOrg, loadMspConfig, type TestIdentity, type TestOrg } from '../../../plugins/msp-x509';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { commitBlock, definitionWrites, endorsedTx, openHarness, rwset, type Harness } from './channel-harness';
import { configUpdate, orderedConfigUpdate } from './config-updates';
import { CHANNEL, generateMaterial, signerOf, tmpDir, type Material } from './network-fixture';

/** Ed25519 signs the message itself (Fabric's identity.Verify hashes only for ECDSA). */
function ed25519Signer(id: TestIdentity): Signer {
  return { serialized: id.serialized, sign: (message) => new Uint8Array(sign(null, message, id.privateKey)) };
}

/**
 * A channel's MSPs run the MSP version its channel capabilities select (Fabric's `MSPVersion()`):
 * below V3_0 every Fabric peer refuses Ed25519 identities, so a Weft peer must mark an Ed25519
 * creator's transaction invalid there too, or the channel forks. The version follows the config:
 * a config block moving the channel to V3_0 lets Ed25519 in from the next block on.
 */
describe('channel MSP version on the peer (Fabric MSPVersion from the channel capabilities)', () => {
  let dir: string;
  let m: Material;
  let org3: TestOrg;
  let edClient: Signer;
  let edPeer: Signer;
  let ecClient: Signer;
  const open: Harness[] = [];

  beforeAll(async () => {
    dir = tmpDir('weft-msp-version-');
    m = await generateMaterial(dir);
    org3 = await createTestOrg({ mspId: 'Org3MSP' });
    edClient = ed25519Signer(await org3.issue('ed-user', { role: 'client', keyAlgorithm: 'Ed25519' }));
    edPeer = ed25519Signer(await org3.issue('ed-peer', { role: 'peer', keyAlgorithm: 'Ed25519' }));
    ecClient = testIdentitySigner(await org3.issue('ec-user', { role: 'client' }));
  }, 60_000);

  afterAll(() => {
    for (const h of open) h.channels.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A peer on a fresh channel of Org1, Org2 and Org3 at channel capability `channel`, chaincode `kv` defined (MAJORITY). */
  async function peerOn(channel: string, ledgerDir: string): Promise<Harness> {
    const genesis = buildConfigBlock({
      channelId: CHANNEL,
      capabilities: { channel, orderer: 'V2_0', application: 'V2_5' },
      acls: DEFAULT_ACLS,
      applicationOrgs: [
        ...m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId), anchorPeers: [] })),
        { mspId: 'Org3MSP', mspConfig: org3.mspConfig(), anchorPeers: [] },
      ],
      ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: ['127.0.0.1:7050'] }],
      batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeout: '100ms',
      consensusType: { type: 'solo' },
    }).serializeBinary();
    const h = openHarness(m, path.join(dir, ledgerDir), genesis);
    open.push(h);
    const definition = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('kv') });
    expect(await commitBlock(h, [definition.envelope])).toEqual([TxValidationCode.VALID]);
    return h;
  }

  /** Commits, in one block, a kv write by an Ed25519 creator, one endorsed by an Ed25519 peer, and an ECDSA Org3 client's; returns the flags. */
  async function edTransactions(h: Harness, lastConfigIndex = 0): Promise<number[]> {
    const write = rwset({ kv: { k: Buffer.from('v') } });
    const byEdCreator = endorsedTx({ creator: edClient, endorsers: h.peers, chaincode: 'kv', results: write });
    const byEdEndorser = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0], edPeer], chaincode: 'kv', results: write });
    const control = endorsedTx({ creator: ecClient, endorsers: h.peers, chaincode: 'kv', results: write });
    return commitBlock(h, [byEdCreator.envelope, byEdEndorser.envelope, control.envelope], lastConfigIndex);
  }

  it('on a V2_0 channel (MSPv1_4_3) marks an Ed25519 creator BAD_CREATOR_SIGNATURE and does not count an Ed25519 endorser', async () => {
    const h = await peerOn('V2_0', 'v2');
    expect(h.joined.channel.resources().mspVersion).toBe('MSPv1_4_3');
    // Each write reads nothing, so all three would be VALID if the identities were.
    expect(await edTransactions(h)).toEqual([TxValidationCode.BAD_CREATOR_SIGNATURE, TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
  }, 60_000);

  it('on a V3_0 channel (MSPv3_0) takes the Ed25519 creator and endorser', async () => {
    const h = await peerOn('V3_0', 'v3');
    expect(h.joined.channel.resources().mspVersion).toBe('MSPv3_0');
    expect(await edTransactions(h)).toEqual([TxValidationCode.VALID, TxValidationCode.VALID, TxValidationCode.VALID]);
  }, 60_000);

  it('switches to MSPv3_0 at the config block moving the channel from V2_0 to V3_0, on every peer alike', async () => {
    const peers = [await peerOn('V2_0', 'upgrade-a'), await peerOn('V2_0', 'upgrade-b')];
    const admins = [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin'), signerOf(m.ordererOrg, 'Admin')];
    const first = peers[0].joined.channel;
    const current = Config.deserializeBinary(first.resources().config.configBytes);
    const next = current.clone();
    const caps = new Capabilities();
    caps.getCapabilitiesMap().set('V3_0', new Capability());
    next.getChannelGroup()!.getValuesMap().get('Capabilities')!.setValue(caps.serializeBinary());
    const update = configUpdate(CHANNEL, current, next, admins, admins[0]!);
    const configTx = orderedConfigUpdate(CHANNEL, current, first.resources().policies, update, peers[0].orderer);
    for (const h of peers) {
      // Before the update: refused; the block carrying the config still validates under MSPv1_4_3.
      expect(await edTransactions(h)).toEqual([TxValidationCode.BAD_CREATOR_SIGNATURE, TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
      const configBlock = h.joined.channel.height();
      expect(await commitBlock(h, [configTx], configBlock)).toEqual([TxValidationCode.VALID]);
      expect(h.joined.channel.resources().mspVersion).toBe('MSPv3_0');
      expect(await edTransactions(h, configBlock)).toEqual([TxValidationCode.VALID, TxValidationCode.VALID, TxValidationCode.VALID]);
    }
  }, 120_000);
});
