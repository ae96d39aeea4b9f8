import * as grpc from '@grpc/grpc-js';
import { GatewayError, connect, hash, signers } from '@hyperledger/fabric-gateway';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { SeekInfo, SeekOldest, SeekPosition } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { DeliverResponse } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import { buildEnvelope } from '../../../core/protocol/envelope';
import { buildProposal, signProposal } from '../../../core/protocol/proposal';
import { TestOrg, type TestIdentity } from '../../../plugins/msp-x509';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { peerClient, signerOf } from './network-fixture';
import { type OnePeer, channelGenesis, startOnePeer } from './one-peer';

const raw = (b: Buffer): Buffer => b;

/** What one peer answers by itself, as Fabric's peer answers it: its auth filters and Deliver's end of stream. */
describe("a peer's answers to clients, as Fabric's", () => {
  let net: OnePeer;
  let client: grpc.Client;
  let expired: TestIdentity;

  beforeAll(async () => {
    net = await startOnePeer('weft-peer-rpc-rules-');
    const org3 = await TestOrg.create({ mspId: 'Org3MSP' });
    net.peer.joinChannel(channelGenesis(net, 'mychannel', [...net.orgs, { mspId: 'Org3MSP', mspConfig: org3.mspConfig() }]));
    expired = await org3.issue('expired', { notBefore: new Date(Date.now() - 7200_000), notAfter: new Date(Date.now() - 3600_000) });
    client = peerClient(net.m.orgs[0], net.port);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await net?.close();
  });

  it("refuses an expired creator with the ExpirationCheck filter's text, and the Gateway with UNAVAILABLE", async () => {
    const signer = testIdentitySigner(expired);
    const built = buildProposal({ channelId: 'mychannel', chaincodeName: 'qscc', args: [Buffer.from('GetChainInfo'), Buffer.from('mychannel')], creator: signer.serialized });
    const err = await new Promise<grpc.ServiceError | null>((resolve) => {
      client.makeUnaryRequest('/protos.Endorser/ProcessProposal', raw, raw, Buffer.from(signProposal(built.proposalBytes, signer)), (e) => resolve(e));
    });
    expect(err).toMatchObject({ code: grpc.status.UNKNOWN, details: 'proposal client identity expired' });

    const gateway = connect({ client, identity: { mspId: 'Org3MSP', credentials: expired.credentials }, signer: signers.newPrivateKeySigner(expired.privateKey), hash: hash.sha256 });
    try {
      const refused = await gateway.getNetwork('mychannel').getContract('qscc').evaluateTransaction('GetChainInfo', 'mychannel').catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(GatewayError);
      expect(refused).toMatchObject({ code: grpc.status.UNAVAILABLE, details: [expect.objectContaining({ message: 'proposal client identity expired' })] });
    } finally {
      gateway.close();
    }
  });

  it('refuses to join a channel whose config requires a capability it does not support, as Fabric JoinChain', () => {
    const genesis = channelGenesis(net, 'future', net.orgs, { channel: 'V3_0', orderer: 'V2_0', application: 'V9_9' });
    expect(() => net.peer.joinChannel(genesis)).toThrow(
      expect.objectContaining({ code: 'PEER_UNSUPPORTED_CAPABILITY', message: expect.stringMatching(/^config requires unsupported application capabilities: Application capability V9_9 is required but not supported/) }),
    );
    expect(net.peer.channelIds()).not.toContain('future');
    net.peer.joinChannel(channelGenesis(net, 'present', net.orgs));
    expect(net.peer.channelIds()).toContain('present');
  });

  function seekOldest(): Uint8Array {
    const start = new SeekPosition();
    start.setOldest(new SeekOldest());
    const seek = new SeekInfo();
    seek.setStart(start);
    seek.setStop(start);
    return seek.serializeBinary();
  }

  /** One Deliver request; resolves with the statuses seen once the peer ends the stream, or after `wait` ms with it still open. */
  function deliverOnce(channelId: string, data: Uint8Array, wait: number): Promise<{ statuses: number[]; ended: boolean }> {
    const call = client.makeBidiStreamRequest('/protos.Deliver/Deliver', raw, raw);
    const statuses: number[] = [];
    return new Promise((resolve) => {
      const done = (ended: boolean): void => {
        clearTimeout(timer);
        call.cancel();
        resolve({ statuses, ended });
      };
      const timer = setTimeout(() => done(false), wait);
      call.on('data', (b: Buffer) => {
        const r = DeliverResponse.deserializeBinary(b);
        if (r.getTypeCase() === DeliverResponse.TypeCase.STATUS) statuses.push(r.getStatus());
      });
      call.on('status', (s: grpc.StatusObject) => {
        if (s.code === grpc.status.OK) done(true);
      });
      call.on('error', () => undefined);
      call.write(Buffer.from(buildEnvelope({ type: HeaderType.DELIVER_SEEK_INFO, channelId, data, signer: signerOf(net.m.orgs[0]) })));
    });
  }

  it('ends a Deliver stream after a status other than SUCCESS, and looks the channel up before the seek', async () => {
    expect(await deliverOnce('nochannel', seekOldest(), 30_000)).toEqual({ statuses: [404], ended: true });
    expect(await deliverOnce('nochannel', Uint8Array.from([0xff, 0xff, 0xff]), 30_000)).toEqual({ statuses: [404], ended: true });
    expect(await deliverOnce('mychannel', Uint8Array.from([0xff, 0xff, 0xff]), 30_000)).toEqual({ statuses: [400], ended: true });
    // After SUCCESS the stream waits for the client's next request.
    expect(await deliverOnce('mychannel', seekOldest(), 1000)).toEqual({ statuses: [200], ended: false });
  });
});
