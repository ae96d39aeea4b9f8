import type * as grpc from '@grpc/grpc-js';
import type { Gateway } from '@hyperledger/fabric-gateway';
import type { PeerNode } from '../../../core/peer/peer-node';
import { deployKvInProcess, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, gatewayFor, type Material } from './network-fixture';

const utf8 = new TextDecoder();

/**
 * What `weft network init --no-tls` builds: peers serving plaintext while the orderer, as always,
 * serves TLS. The peers must still pull blocks and broadcast over TLS, trusting the orderer org's
 * TLS roots from the channel config (no extra roots configured here).
 */
describe('a network whose peers run without TLS (the orderer keeps TLS)', () => {
  let net: InProcessNetwork;
  let m: Material;
  let peers: PeerNode[];
  let clients: grpc.Client[];
  let gateways: Gateway[];

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-notls-', peerTls: false });
    ({ m, peers, clients, gateways } = net);
    for (const peer of peers) {
      const config = peer.config;
      expect(config.peer.tls.enabled).toBe(false);
      expect(config.peer.ordererTlsRootCertFiles).toEqual([]);
    }
  }, 120_000);

  afterAll(() => net?.close());

  it('deploys a chaincode and commits a transaction on both peers', async () => {
    // Installs over plaintext: the peers serve no TLS.
    await deployKvInProcess(net, false);

    const user = gatewayFor(m.orgs[0], clients[0]);
    gateways.push(user);
    const contract = user.getNetwork(CHANNEL).getContract('kv');
    expect(utf8.decode(await contract.submitTransaction('Put', 'a', 'apple'))).toBe('apple');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'a'))).toBe('apple');
    await eventually(() => expect(peers[1].height(CHANNEL)).toBe(peers[0].height(CHANNEL)));
    const other = gatewayFor(m.orgs[1], clients[1]);
    gateways.push(other);
    expect(utf8.decode(await other.getNetwork(CHANNEL).getContract('kv').evaluateTransaction('Get', 'a'))).toBe('apple');
  }, 120_000);
});
