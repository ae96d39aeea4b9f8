import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { ChannelManager } from '../../../../core/peer/channel/channel-manager';
import { PeerSection, type PeerConfig } from '../../../../core/peer/peer-config';
import { PeerNetwork } from '../../../../core/peer/peer-network';
import { AtomicBroadcastDef, MembershipServiceDef } from '../../../../core/peer/grpc/raw-service';
import type { Logger } from '../../../../core/node/logger';
import { type GeneratedOrg, generateOrg } from '../../../../plugins/msp-x509';
import { nextOrgCrl } from '../../../../plugins/msp-x509/crypto-material/org-authority';

/** A TLS server of one Org2 node that holds every membership exchange and broadcast stream until told to answer. */
class HoldingServer {
  readonly server = new grpc.Server();
  address = '';
  private readonly held: (() => void)[] = [];
  private readonly arrivals: (() => void)[] = [];
  calls = 0;

  constructor(private readonly org: GeneratedOrg, private readonly node: string) {
    this.server.addService(MembershipServiceDef, {
      exchange: (_call: grpc.ServerUnaryCall<Uint8Array, Uint8Array>, callback: grpc.sendUnaryData<Uint8Array>) => this.hold(() => callback(null, Buffer.alloc(0))),
    });
    this.server.addService(AtomicBroadcastDef, {
      broadcast: (call: grpc.ServerDuplexStream<Uint8Array, Uint8Array>) => this.hold(() => call.end()),
      deliver: (call: grpc.ServerDuplexStream<Uint8Array, Uint8Array>) => call.end(),
    });
  }

  async start(): Promise<void> {
    const node = this.org.nodes[this.node]!;
    const credentials = grpc.ServerCredentials.createSsl(null, [{ cert_chain: fs.readFileSync(node.tlsCertPath), private_key: fs.readFileSync(node.tlsKeyPath) }], false);
    const port = await new Promise<number>((resolve, reject) => this.server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
    this.address = `127.0.0.1:${port}`;
  }

  /** Resolves once the server holds `count` calls. */
  holding(count: number): Promise<void> {
    return this.calls >= count ? Promise.resolve() : new Promise((resolve) => this.arrivals.push(() => (this.calls >= count ? resolve() : this.arrivals.push(resolve))));
  }

  /** Answers every call held. */
  release(): void {
    for (const answer of this.held.splice(0)) answer();
  }

  private hold(answer: () => void): void {
    this.held.push(answer);
    this.calls++;
    for (const arrived of this.arrivals.splice(0)) arrived();
  }
}

/** The channel `ch` as the peer network reads it: its resources (swapped whole by a config block) and its block events. */
class ConfigChannel {
  private listeners = new Set<() => void>();
  constructor(private current: object) {}
  resources(): object {
    return this.current;
  }
  onBlock(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  /** A config block commits: new resources, then the block published. */
  commitConfig(next: object): void {
    this.current = next;
    for (const l of [...this.listeners]) l();
  }
  get followers(): number {
    return this.listeners.size;
  }
}

/**
 * The peer's pool of dialled connections follows the TLS revocations of the channel config and of
 * the local MSP: a config block or a reload that revokes the certificate a connected node showed at
 * its handshake cuts that connection at once (calls under way fail UNAVAILABLE) and drops it from
 * the pool, logging the address and the serial; connections to other nodes stay up.
 */
describe('PeerNetwork cuts connections to nodes whose TLS certificate becomes revoked', () => {
  let dir: string;
  let org2: GeneratedOrg;
  let revokingCrl: string;
  const servers: HoldingServer[] = [];
  let peer0: HoldingServer;
  let peer1: HoldingServer;

  const tlsRoots = (crls: readonly string[] = []): FabricMSPConfig => {
    const msp = new FabricMSPConfig();
    msp.setName('Org2MSP');
    msp.addTlsRootCerts(fs.readFileSync(org2.tlsCaCertPath));
    for (const crl of crls) msp.addRevocationList(Buffer.from(crl));
    return msp;
  };
  /** Channel resources where Org2 (whose TLS CA signed both servers') runs the orderer at peer0's address and the peers, its MSP holding `crls`. */
  const resources = (crls: readonly string[] = []): object => {
    const org = { name: 'Org2MSP', mspId: 'Org2MSP', msp: tlsRoots(crls), endpoints: [peer0.address], anchorPeers: [] };
    return { config: { ordererEndpoints: [peer0.address], ordererOrgs: [org], applicationOrgs: [org] } };
  };
  /** A peer network of Org1's peer on the channels `ids` (the first is `channel`), Org2's two peers known to it. */
  const setUp = (ids: readonly string[] = ['ch']): { net: PeerNetwork; channel: ConfigChannel; joined: Map<string, ConfigChannel>; warnings: Record<string, unknown>[] } => {
    const peer = PeerSection.parse({ tls: { enabled: true, certFile: 'unused.crt', keyFile: 'unused.key' }, gateway: { peers: [peer0, peer1].map((s) => ({ address: s.address, mspId: 'Org2MSP' })) } });
    const config = { node: { msp: { id: 'Org1MSP' } }, peer } as unknown as PeerConfig;
    const joined = new Map(ids.map((id) => [id, new ConfigChannel(resources())]));
    const channels = { list: () => [...joined.keys()], channel: (id: string) => joined.get(id) } as unknown as ChannelManager;
    const warnings: Record<string, unknown>[] = [];
    const logger = { warn: (o: Record<string, unknown>) => warnings.push(o), error: () => undefined } as unknown as Logger;
    return { net: new PeerNetwork(config, () => channels, () => [], logger), channel: joined.get(ids[0]!)!, joined, warnings };
  };
  /** A membership exchange held by the server: settles only when the server answers or the connection goes. */
  const exchange = (net: PeerNetwork, address: string, channelId = 'ch'): { endorser: object; outcome: Promise<string | grpc.status> } => {
    const endorser = net.membershipPeers(channelId).find((p) => p.address === address)!;
    const outcome = endorser.exchangeMembership(Buffer.alloc(0), Date.now() + 60_000).then(
      () => 'answered',
      (err: grpc.ServiceError) => err.code,
    );
    return { endorser, outcome };
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-revoked-conn-'));
    org2 = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', nodes: ['peer0', 'peer1'] }, dir);
    revokingCrl = (await nextOrgCrl({ orgDir: org2.orgDir, domain: org2.domain }, [fs.readFileSync(org2.nodes.peer0!.tlsCertPath)], [], 'tlsca')).pem;
  });
  beforeEach(async () => {
    [peer0, peer1] = [new HoldingServer(org2, 'peer0'), new HoldingServer(org2, 'peer1')];
    servers.push(peer0, peer1);
    await Promise.all([peer0.start(), peer1.start()]);
  });
  afterEach(() => {
    for (const s of servers.splice(0)) {
      s.release();
      s.server.forceShutdown();
    }
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a config block revoking a peer cuts its connection at once, drops it from the pool, and puts that peer last; others stay up', async () => {
    const { net, channel, warnings } = setUp();
    try {
      const toPeer0 = exchange(net, peer0.address);
      const toPeer1 = exchange(net, peer1.address);
      await Promise.all([peer0.holding(1), peer1.holding(1)]);

      channel.commitConfig(resources([revokingCrl]));
      expect(await toPeer0.outcome).toBe(grpc.status.UNAVAILABLE);
      expect(warnings).toContainEqual(expect.objectContaining({ address: peer0.address, reason: expect.stringContaining('(channel ch, MSP Org2MSP)') }));
      expect(warnings).toContainEqual(expect.objectContaining({ address: peer0.address, reason: expect.stringMatching(/^TLS certificate serial [0-9a-f]+ \(peer0\.org2\.example\.com\) is on the CRL/) }));
      // The next call dials anew, under the new check; the Gateway tries that peer last.
      expect(net.membershipPeers('ch').find((p) => p.address === peer0.address)).not.toBe(toPeer0.endorser);
      expect(net.endorsers('ch').map((p) => p.address)).toEqual([peer1.address, peer0.address]);
      // Peer 1's certificate is not revoked: same connection, its call still under way, answered now.
      expect(net.membershipPeers('ch').find((p) => p.address === peer1.address)).toBe(toPeer1.endorser);
      peer1.release();
      expect(await toPeer1.outcome).toBe('answered');
    } finally {
      net.close();
    }
  });

  it('a connection that carries two channels’ traffic is cut by a config block of either; a new one is refused at its handshake', async () => {
    const { net, joined, warnings } = setUp(['a', 'b']);
    try {
      const onA = exchange(net, peer0.address, 'a');
      await peer0.holding(1);
      // Connections are pooled by address: channel b's calls to peer 0 go over the one channel a dialled.
      expect(net.membershipPeers('b').find((p) => p.address === peer0.address)).toBe(onA.endorser);

      joined.get('b')!.commitConfig(resources([revokingCrl]));
      expect(await onA.outcome).toBe(grpc.status.UNAVAILABLE);
      expect(warnings).toContainEqual(expect.objectContaining({ address: peer0.address, reason: expect.stringContaining('(channel b, MSP Org2MSP)') }));
      // Channel a's config does not revoke peer 0, yet a connection dialled for it is refused too:
      // it would carry channel b's calls as well.
      const again = exchange(net, peer0.address, 'a');
      expect(again.endorser).not.toBe(onA.endorser);
      expect(await again.outcome).toBe(grpc.status.UNAVAILABLE);
      expect(peer0.calls).toBe(1);
      expect(net.endorsers('a').map((p) => p.address)).toEqual([peer1.address, peer0.address]);
    } finally {
      net.close();
    }
  });

  it('a channel joined while a connection is open, whose config already revokes that node, cuts it once opened', async () => {
    const { net, joined, warnings } = setUp(['a']);
    try {
      const onA = exchange(net, peer0.address, 'a');
      await peer0.holding(1);
      joined.set('b', new ConfigChannel(resources([revokingCrl])));
      net.channelOpened();
      expect(await onA.outcome).toBe(grpc.status.UNAVAILABLE);
      expect(warnings).toContainEqual(expect.objectContaining({ address: peer0.address, reason: expect.stringContaining('(channel b, MSP Org2MSP)') }));
      // Followed from now on: a later config block of b is seen too.
      expect(joined.get('b')!.followers).toBe(1);
    } finally {
      net.close();
    }
  });

  it('a reload bringing a local MSP CRL that revokes a peer cuts its connection too', async () => {
    const { net, warnings } = setUp();
    try {
      const toPeer0 = exchange(net, peer0.address);
      await peer0.holding(1);
      net.setLocalMsp(tlsRoots([revokingCrl]));
      expect(await toPeer0.outcome).toBe(grpc.status.UNAVAILABLE);
      expect(warnings).toContainEqual(expect.objectContaining({ address: peer0.address, reason: expect.stringContaining('(local MSP, MSP Org2MSP)') }));
    } finally {
      net.close();
    }
  });

  it('a config block revoking an orderer ends the broadcast stream on its connection and drops the connection', async () => {
    const { net, channel } = setUp();
    try {
      const client = net.client(peer0.address, 'ch');
      let ended: grpc.status | undefined;
      const stream = client.broadcast();
      const closed = new Promise<void>((resolve) => stream.on('error', (err: grpc.ServiceError) => resolve(void (ended = err.code))));
      await peer0.holding(1);

      channel.commitConfig(resources([revokingCrl]));
      await closed;
      expect(ended).toBe(grpc.status.UNAVAILABLE);
      expect(net.client(peer0.address, 'ch')).not.toBe(client);
    } finally {
      net.close();
    }
  });

  it('follows every channel from the first handshake on, once, and stops when closed', async () => {
    const { net, channel, joined } = setUp(['ch', 'other']);
    const toPeer0 = exchange(net, peer0.address);
    const toPeer1 = exchange(net, peer1.address);
    await Promise.all([peer0.holding(1), peer1.holding(1)]);
    expect([channel.followers, joined.get('other')!.followers]).toEqual([1, 1]);
    net.close();
    expect([channel.followers, joined.get('other')!.followers]).toEqual([0, 0]);
    // Closing lets the calls under way finish.
    peer0.release();
    peer1.release();
    expect(await Promise.all([toPeer0.outcome, toPeer1.outcome])).toEqual(['answered', 'answered']);
  });
});
