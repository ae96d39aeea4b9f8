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
 * What the peer's dialled connections are checked against: every channel config's TLS revocations
 * plus the local MSP's, the channels followed from a connection's first handshake; a config block
 * (not an ordinary block) of any channel, or a local MSP that revokes something else, tells the
 * pool to check again.
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
  /** A channel manager holding `joined` (a test may add or remove entries). */
  const managerOf = (joined: Map<string, ReturnType<typeof channelWith>>): ChannelManager => ({ list: () => [...joined.keys()], channel: (id: string) => joined.get(id) }) as unknown as ChannelManager;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-dial-revocations-'));
    org = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', nodes: ['peer0'] }, dir);
    crl = (await nextOrgCrl({ orgDir: org.orgDir, domain: org.domain }, [fs.readFileSync(org.nodes.peer0!.tlsCertPath)], [], 'tlsca')).pem;
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('follows the channels from the first handshake, tells of config blocks only, and unions the local MSP', () => {
    const joined = new Map([['ch', channelWith(resources([]))]]);
    let changed = 0;
    const revocations = new DialRevocations(() => managerOf(joined), () => changed++);
    const check = revocations.check('p:1', () => undefined);
    const channel = joined.get('ch')!;
    expect(channel.listeners.size).toBe(0);

    expect(check.revocations().revocationOf(peer0())).toBeUndefined();
    check.revocations();
    expect(channel.listeners.size).toBe(1);
    channel.commit();
    expect(changed).toBe(0);
    channel.commit(resources([crl]));
    expect(changed).toBe(1);
    expect(revocations.current().revocationOf(peer0())).toMatch(/channel ch, MSP Org2MSP/);

    // The local MSP's CRL counts for every node; the same again changes nothing.
    channel.commit(resources([]));
    revocations.setLocalMsp(msp([crl]));
    revocations.setLocalMsp(msp([crl]));
    expect(changed).toBe(3);
    expect(revocations.current().revocationOf(peer0())).toMatch(/local MSP, MSP Org2MSP/);

    // A channel left and joined again is another object: followed anew, the old one let go.
    const left = channel;
    joined.set('ch', channelWith(resources([])));
    check.revocations();
    expect([left.listeners.size, joined.get('ch')!.listeners.size]).toEqual([0, 1]);
    revocations.close();
    expect(joined.get('ch')!.listeners.size).toBe(0);
  });

  it('holds every channel’s revocations, whichever channel a connection was dialled for: a config block of any channel is followed', () => {
    const joined = new Map([
      ['a', channelWith(resources([]))],
      ['b', channelWith(resources([]))],
    ]);
    let changed = 0;
    const revocations = new DialRevocations(() => managerOf(joined), () => changed++);
    const check = revocations.check('p:1', () => undefined);
    const set = check.revocations();
    // Built once per set of configs, not per handshake.
    expect(check.revocations()).toBe(set);
    expect([joined.get('a')!.listeners.size, joined.get('b')!.listeners.size]).toEqual([1, 1]);

    joined.get('b')!.commit(resources([crl]));
    expect(changed).toBe(1);
    expect(check.revocations().revocationOf(peer0())).toMatch(/channel b, MSP Org2MSP/);

    // A channel left no longer counts, and is no longer followed once a handshake sees it gone.
    const b = joined.get('b')!;
    joined.delete('b');
    expect(check.revocations().revocationOf(peer0())).toBeUndefined();
    expect(b.listeners.size).toBe(0);
    revocations.close();
  });

  it('logs a failing check instead of throwing into the block events, which would drop it', () => {
    const joined = new Map([['ch', channelWith(resources([]))]]);
    const errors: unknown[] = [];
    const logger = { error: (o: unknown) => errors.push(o), warn: () => undefined } as never;
    const revocations = new DialRevocations(
      () => managerOf(joined),
      () => {
        throw new Error('pool broken');
      },
      logger,
    );
    revocations.check('p:1', () => undefined).revocations();
    const channel = joined.get('ch')!;
    channel.commit(resources([crl]));
    channel.commit(resources([]));
    expect(errors).toHaveLength(2);
    expect(channel.listeners.size).toBe(1);
  });
});
