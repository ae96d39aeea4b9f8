import * as fs from 'node:fs';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import {
  GetInstalledChaincodePackageArgs,
  InstallChaincodeArgs,
  InstallChaincodeResult,
  QueryInstalledChaincodesArgs,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg, loadMspConfig } from '../../../plugins/msp-x509';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { KV_EVENTS_DIR, type Material, freePort, generateMaterial, propose, rawEndorser, signerOf, tmpDir, writePeerConfig } from './network-fixture';

interface Org {
  readonly mspId: string;
  readonly mspConfig: FabricMSPConfig;
}

function genesis(m: Material, ordererPort: number, channelId: string, orgs: readonly Org[]): Uint8Array {
  return buildConfigBlock({
    channelId,
    acls: DEFAULT_ACLS,
    applicationOrgs: orgs.map((o) => ({ ...o, anchorPeers: [] })),
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: [`127.0.0.1:${ordererPort}`] }],
    batchSize: { maxMessageCount: 500, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
    batchTimeout: '100ms',
    consensusType: { type: 'solo' },
  }).serializeBinary();
}

/**
 * Fabric's channel-less ("p-type") ACLs take the peer's own MSP whatever channel a proposal names
 * (`CheckPolicyNoChannel`). A channel may define the peer's MSP id with another CA (its creator chose
 * the orgs, or its admins replaced one); that CA's admins must not administer the peer.
 */
describe("peer-wide ACLs check the creator against the peer's own MSP", () => {
  let dir: string;
  let m: Material;
  let peer: PeerNode;
  let port: number;
  let mallory: Signer;
  let packageBytes: Uint8Array;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-local-acl-');
    m = await generateMaterial(dir);
    const [p0, p1, ops, ordererPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const files = writePeerConfig(m, 0, [p0, p1], ops, { peerSection: { gateway: { peers: [] } } });
    peer = new PeerNode(parsePeerConfig(loadNodeConfig(files.configFile)));
    await peer.start();
    port = p0;
    const real = m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId) }));
    const impostor = await TestOrg.create({ mspId: 'Org1MSP', domain: 'impostor.example.com' });
    peer.joinChannel(genesis(m, ordererPort, 'genuine', real));
    peer.joinChannel(genesis(m, ordererPort, 'impostor', [{ mspId: 'Org1MSP', mspConfig: impostor.mspConfig() }, real[1] as Org]));
    mallory = testIdentitySigner(await impostor.issue('mallory', { role: 'admin' }));
    packageBytes = (await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' })).packageBytes;
  }, 120_000);

  afterAll(async () => {
    await peer?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  const call = async (signer: Signer, channel: string, chaincode: string, args: (string | Uint8Array)[]) => {
    const endorser = rawEndorser(m.orgs[0], port);
    try {
      return (await propose(endorser, signer, channel, chaincode, args)).response;
    } finally {
      endorser.close();
    }
  };
  const install = new InstallChaincodeArgs();
  const getPackage = new GetInstalledChaincodePackageArgs();
  const refusals: [string, string, () => (string | Uint8Array)[]][] = [
    ['_lifecycle', 'InstallChaincode', () => ['InstallChaincode', (install.setChaincodeInstallPackage(packageBytes), install).serializeBinary()]],
    ['_lifecycle', 'QueryInstalledChaincodes', () => ['QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary()]],
    ['_lifecycle', 'GetInstalledChaincodePackage', () => ['GetInstalledChaincodePackage', (getPackage.setPackageId('kv_1:x'), getPackage).serializeBinary()]],
    ['cscc', 'GetChannels', () => ['GetChannels']],
    ['cscc', 'JoinChain', () => ['JoinChain', genesis(m, 1, 'another', [])]],
  ];

  it.each(refusals)("refuses %s %s from an admin of a channel's impostor Org1MSP", async (chaincode, fn, args) => {
    const res = await call(mallory, 'impostor', chaincode, args());
    expect(res.status).toBe(500);
    expect(res.message).toMatch(new RegExp(`access denied for \\[${chaincode}/${fn}\\]: the creator must be an? (admin|member) of Org1MSP \\(the local MSP does not validate the creator: .*root`));
  });

  it('answers the same calls for the real admin, with and without a channel', async () => {
    const admin = signerOf(m.orgs[0], 'Admin');
    const installed = await call(admin, 'genuine', '_lifecycle', ['InstallChaincode', (install.setChaincodeInstallPackage(packageBytes), install).serializeBinary()]);
    expect(installed.status).toBe(200);
    const id = InstallChaincodeResult.deserializeBinary(installed.payload).getPackageId();
    for (const channel of ['', 'genuine']) {
      const listed = await call(admin, channel, '_lifecycle', ['QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary()]);
      expect(QueryInstalledChaincodesResult.deserializeBinary(listed.payload).getInstalledChaincodesList().map((c) => c.getPackageId())).toEqual([id]);
      const channels = await call(admin, channel, 'cscc', ['GetChannels']);
      expect(ChannelQueryResponse.deserializeBinary(channels.payload).getChannelsList().map((c) => c.getChannelId()).sort()).toEqual(['genuine', 'impostor']);
    }
    const user = await call(signerOf(m.orgs[0]), '', '_lifecycle', ['QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary()]);
    expect(user.message).toMatch(/access denied for \[_lifecycle\/QueryInstalledChaincodes\]: the creator must be an admin of Org1MSP \(not in that role\)/);
  }, 60_000);
});
