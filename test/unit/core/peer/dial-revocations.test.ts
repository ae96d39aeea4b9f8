import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { ChannelManager } from '../../../../core/peer/channel/channel-manager';
import { DialRevocations } from '../../../../core/peer/dial-revocations';
import { type GeneratedOrg, generateOrg } from '../../../../plugins/msp-x509';
import { nextOrgCrl } from '../../../../plugins/msp-x509/crypto-material/org-authority';

/** A joined channel as DialRevocations reads it: resources swapped by a config block, then the block published. */
function channelWith(resources: object): { resources: () => object; onBlock: (l: () => void) => () => void; commit: (next?: object) => void; listeners: Set<() => void> } {
  let current = resources;
  const listeners = new Set<() => void>();
  return {
    resources: () => current,
    onBlock: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    commit: (next) => {
      if (next !== undefined) current = next;
      for (const l of [...listeners]) l();
    },
    listeners,
  };
}

/**
 * What the peer's dialled connections are checked against: the channel config's TLS revocations
 * plus the local MSP's, followed from a connection's first handshake; a config block (not an
 * ordinary block) or a local MSP that revokes something else tells the pool to check again.
 */
describe('DialRevocations', () => {
  let dir: string;
  let org: GeneratedOrg;
  let crl: string;
  const peer0 = (): X509Certificate => new X509Certificate(fs.readFileSync(org.nodes.peer0!.tlsCertPath));
  const msp = (crls: readonly string[]): FabricMSPConfig => {
    const m = new FabricMSPConfig();
    m.setName('Org2MSP');
    m.addTlsRootCerts(fs.readFileSync(org.tlsCaCertPath));
    for (const c of crls) m.addRevocationList(Buffer.from(c));
    return m;
  };
  const resources = (crls: readonly string[]): object => ({ config: { applicationOrgs: [{ mspId: 'Org2MSP', msp: msp(crls) }], ordererOrgs: [] } });

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-dial-revocations-'));
    org = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', nodes: ['peer0'] }, dir);
    crl = (await nextOrgCrl({ orgDir: org.orgDir, domain: org.domain }, [fs.readFileSync(org.nodes.peer0!.tlsCertPath)], [], 'tlsca')).pem;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('follows a channel from the first handshake, tells of config blocks only, and unions the local MSP', () => {
    let channel = channelWith(resources([]));
    const channels = { channel: (id: string) => (id === 'ch' ? channel : undefined) } as unknown as ChannelManager;
    const changed: (string | undefined)[] = [];
    const revocations = new DialRevocations(() => channels, (id) => changed.push(id));
    const check = revocations.check('p:1', 'ch', () => undefined);
    expect(channel.listeners.size).toBe(0);

    expect(check.revocations().revocationOf(peer0())).toBeUndefined();
    check.revocations();
    expect(channel.listeners.size).toBe(1);
    channel.commit();
    expect(changed).toEqual([]);
    channel.commit(resources([crl]));
    expect(changed).toEqual(['ch']);
    expect(revocations.of('ch').revocationOf(peer0())).toMatch(/channel ch, MSP Org2MSP/);

    // The local MSP's CRL counts for every channel; the same again changes nothing.
    channel.commit(resources([]));
    revocations.setLocalMsp(msp([crl]));
    revocations.setLocalMsp(msp([crl]));
    expect(changed).toEqual(['ch', 'ch', undefined]);
    expect(revocations.of('ch').revocationOf(peer0())).toMatch(/local MSP, MSP Org2MSP/);

    // A channel left and joined again is another object: followed anew, the old one let go.
    const left = channel;
    channel = channelWith(resources([]));
    check.revocations();
    expect([left.listeners.size, channel.listeners.size]).toEqual([0, 1]);
    revocations.close();
    expect(channel.listeners.size).toBe(0);
  });

  it('logs a failing check instead of throwing into the block events, which would drop it', () => {
    const channel = channelWith(resources([]));
    const channels = { channel: () => channel } as unknown as ChannelManager;
    const errors: unknown[] = [];
    const logger = { error: (o: unknown) => errors.push(o), warn: () => undefined } as never;
    const revocations = new DialRevocations(
      () => channels,
      () => {
        throw new Error('pool broken');
      },
      logger,
    );
    revocations.check('p:1', 'ch', () => undefined).revocations();
    channel.commit(resources([crl]));
    channel.commit(resources([]));
    expect(errors).toHaveLength(2);
    expect(channel.listeners.size).toBe(1);
  });
});
