import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { ChannelManager } from '../../../../core/peer/channel/channel-manager';
import { PeerSection, type PeerConfig } from '../../../../core/peer/peer-config';
import { PeerNetwork } from '../../../../core/peer/peer-network';
import { ServerTlsIdentity, type ServerIdentity } from '../../../../core/node/reloadable-identity';
import { tlsCertificateHash } from '../../../../core/protocol/deliver-request';
import { type GeneratedOrg, generateOrg } from '../../../../plugins/msp-x509';

/**
 * The peer dials with the TLS identity a certificate reload replaces: from the replacement on, the
 * connections it hands out are new ones presenting the new certificate and naming its hash; those
 * made before are retired at once (a Deliver stream is told to move) and closed two minutes later.
 */
describe('PeerNetwork client certificate', () => {
  let dir: string;
  let org: GeneratedOrg;
  const identityOf = (node: string): ServerIdentity => ({ cert: fs.readFileSync(org.nodes[node]!.tlsCertPath), key: fs.readFileSync(org.nodes[node]!.tlsKeyPath) });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-client-cert-'));
    org = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', nodes: ['peer0', 'peer1'] }, dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  afterEach(() => jest.useRealTimers());

  /** A TLS peer of Org1 on `ch`, whose orderer (orderer:7050) and Org2 peer (p:7051) chain to Org2's TLS CA. */
  function network(identity: ServerTlsIdentity): PeerNetwork {
    const msp = new FabricMSPConfig();
    msp.addTlsRootCerts(fs.readFileSync(org.tlsCaCertPath));
    const peer = PeerSection.parse({ tls: { enabled: true, certFile: 'unused.crt', keyFile: 'unused.key' }, gateway: { peers: [{ address: 'p:7051', mspId: 'Org2MSP' }] } });
    const config = { node: { msp: { id: 'Org1MSP' } }, peer } as unknown as PeerConfig;
    const orgs = [{ name: 'Org2MSP', mspId: 'Org2MSP', msp, endpoints: ['orderer:7050'], anchorPeers: [] }];
    const resources = { config: { ordererEndpoints: ['orderer:7050'], ordererOrgs: orgs, applicationOrgs: orgs } };
    const channels = { list: () => ['ch'], channel: (id: string) => (id === 'ch' ? { resources: () => resources } : undefined) } as unknown as ChannelManager;
    return new PeerNetwork(config, () => channels, () => [], undefined, identity);
  }

  it('hands out new connections with the reloaded certificate, retires the old ones and closes them later', () => {
    jest.useFakeTimers();
    const [first, second] = [identityOf('peer0'), identityOf('peer1')];
    const identity = new ServerTlsIdentity(first);
    const net = network(identity);
    try {
      const orderer = net.client('orderer:7050', 'ch');
      const [endorser] = net.membershipPeers('ch');
      expect(orderer.tlsCertHash).toEqual(tlsCertificateHash(first.cert));
      expect(net.clientCertHash).toEqual(tlsCertificateHash(first.cert));
      const retired = jest.fn();
      orderer.onRetired(retired);
      const closed = [jest.spyOn(orderer, 'close'), jest.spyOn(endorser!, 'close')];

      identity.replace(second);
      expect(retired).toHaveBeenCalledTimes(1);
      const next = net.client('orderer:7050', 'ch');
      expect(next).not.toBe(orderer);
      expect(next.tlsCertHash).toEqual(tlsCertificateHash(second.cert));
      expect(net.clientCertHash).toEqual(tlsCertificateHash(second.cert));
      expect(net.membershipPeers('ch')[0]).not.toBe(endorser);
      // Calls under way finish on the old connections: closed two minutes later.
      for (const c of closed) expect(c).not.toHaveBeenCalled();
      jest.advanceTimersByTime(120_000);
      for (const c of closed) expect(c).toHaveBeenCalled();

      // The same identity again (a reload that changed only the enrollment certificate) keeps the connections.
      identity.replace({ cert: Buffer.from(second.cert), key: Buffer.from(second.key) });
      expect(net.client('orderer:7050', 'ch')).toBe(next);
    } finally {
      net.close();
    }
  });

  it('tells a stream on an already retired connection to move at once, and closes retired connections with the network', () => {
    const identity = new ServerTlsIdentity(identityOf('peer0'));
    const net = network(identity);
    const orderer = net.client('orderer:7050', 'ch');
    const closed = jest.spyOn(orderer, 'close');
    identity.replace(identityOf('peer1'));
    const late = jest.fn();
    orderer.onRetired(late);
    expect(late).toHaveBeenCalledTimes(1);
    net.close();
    expect(closed).toHaveBeenCalled();
  });
});
