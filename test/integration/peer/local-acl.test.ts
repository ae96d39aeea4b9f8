import {
  GetInstalledChaincodePackageArgs,
  InstallChaincodeArgs,
  InstallChaincodeResult,
  QueryInstalledChaincodesArgs,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { packageChaincode } from '../../../core/chaincode/packager';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg } from '../../../plugins/msp-x509';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { KV_EVENTS_DIR, propose, rawEndorser, signerOf } from './network-fixture';
import { type OnePeer, channelGenesis, startOnePeer } from './one-peer';

/**
 * Fabric's channel-less ("p-type") ACLs take the peer's own MSP whatever channel a proposal names
 * (`CheckPolicyNoChannel`). A channel may define the peer's MSP id with another CA (its creator chose
 * the orgs, or its admins replaced one); that CA's admins must not administer the peer.
 */
describe("peer-wide ACLs check the creator against the peer's own MSP", () => {
  let net: OnePeer;
  let mallory: Signer;
  let packageBytes: Uint8Array;

  beforeAll(async () => {
    net = await startOnePeer('weft-peer-local-acl-');
    const impostor = await TestOrg.create({ mspId: 'Org1MSP', domain: 'impostor.example.com' });
    net.peer.joinChannel(channelGenesis(net, 'genuine', net.orgs));
    net.peer.joinChannel(channelGenesis(net, 'impostor', [{ mspId: 'Org1MSP', mspConfig: impostor.mspConfig() }, net.orgs[1]!]));
    mallory = testIdentitySigner(await impostor.issue('mallory', { role: 'admin' }));
    packageBytes = (await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' })).packageBytes;
  }, 120_000);

  afterAll(() => net?.close());

  const call = async (signer: Signer, channel: string, chaincode: string, args: (string | Uint8Array)[]) => {
    const endorser = rawEndorser(net.m.orgs[0], net.port);
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
    ['cscc', 'JoinChain', () => ['JoinChain', channelGenesis(net, 'another', [])]],
  ];

  it.each(refusals)("refuses %s %s from an admin of a channel's impostor Org1MSP", async (chaincode, fn, args) => {
    const res = await call(mallory, 'impostor', chaincode, args());
    expect(res.status).toBe(500);
    expect(res.message).toMatch(new RegExp(`access denied for \\[${chaincode}/${fn}\\]: the creator must be an? (admin|member) of Org1MSP \\(the local MSP refused the creator: .*root`));
  });

  it('answers the same calls for the real admin, with and without a channel', async () => {
    const admin = signerOf(net.m.orgs[0], 'Admin');
    const installed = await call(admin, 'genuine', '_lifecycle', ['InstallChaincode', (install.setChaincodeInstallPackage(packageBytes), install).serializeBinary()]);
    expect(installed.status).toBe(200);
    const id = InstallChaincodeResult.deserializeBinary(installed.payload).getPackageId();
    for (const channel of ['', 'genuine']) {
      const listed = await call(admin, channel, '_lifecycle', ['QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary()]);
      expect(QueryInstalledChaincodesResult.deserializeBinary(listed.payload).getInstalledChaincodesList().map((c) => c.getPackageId())).toEqual([id]);
      const channels = await call(admin, channel, 'cscc', ['GetChannels']);
      expect(ChannelQueryResponse.deserializeBinary(channels.payload).getChannelsList().map((c) => c.getChannelId()).sort()).toEqual(['genuine', 'impostor']);
    }
    const user = await call(signerOf(net.m.orgs[0]), '', '_lifecycle', ['QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary()]);
    expect(user.message).toMatch(/access denied for \[_lifecycle\/QueryInstalledChaincodes\]: the creator must be an admin of Org1MSP \(not in that role\)/);
  }, 60_000);
});
