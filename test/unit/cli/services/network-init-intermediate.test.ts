import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConfigError } from '../../../../core/errors';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { parseConfigBlock } from '../../../../core/protocol/config-parse';
import { loadLocalMsp, X509Msp } from '../../../../plugins/msp-x509';
import { issueEndEntity } from '../../../../plugins/msp-x509/crypto-material/certificate-authority';
import { loadOrgCa } from '../../../../plugins/msp-x509/crypto-material/org-authority';
import { serializeIdentity } from '../../../../plugins/msp-x509/crypto-material/test-org';
import { caExpiries } from '../../../../cli/services/network/certificate-expiry-report';
import { addPeer } from '../../../../cli/services/network/network-add-peer';
import { createOwnOrg } from '../../../../cli/services/network/network-new-org';
import { DEFAULT_INIT_OPTIONS, initNetwork, initNetworkFromFile } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { renewMember } from '../../../../cli/services/network/network-renew';
import { writeNetworkFile } from './network-file-fixture';
import { loadNetworkSpec } from '../../../../cli/services/network/network-spec';
import { addUsers } from '../../../../cli/services/network/network-users';
import { nodeConfigs } from '../../../../cli/services/network/node-configs';
import { mspCodeOf } from '../../plugins/msp-x509/fixtures';

const MESSAGE = new TextEncoder().encode('a proposal, signed as a member');
const ORG1 = 'organizations/peerOrganizations/org1.example.com';

/** The org MSPs as the channel's genesis block defines them: what every peer validates identities against. */
function genesisMsps(layout: NetworkLayout): ReadonlyMap<string, FabricMSPConfig> {
  return parseConfigBlock(fs.readFileSync(layout.genesisBlockFile)).msps;
}

/** Every member's enrollment certificate validates under `msp`, and its folder loads and signs. */
function expectMembersValid(mspId: string, msp: X509Msp, memberMspDirs: readonly string[]): void {
  for (const mspDir of memberMspDirs) {
    const certFile = fs.readdirSync(path.join(mspDir, 'signcerts'))[0]!;
    const cert = fs.readFileSync(path.join(mspDir, 'signcerts', certFile));
    expect([certFile, mspCodeOf(() => msp.deserializeIdentity(serializeIdentity(mspId, cert)).validate())]).toEqual([certFile, 'valid']);
    const { signer } = loadLocalMsp(mspDir, mspId);
    expect(signer.verify(MESSAGE, signer.sign(MESSAGE))).toBe(true);
  }
}

/** `weft network init --intermediate-ca`: orgs that issue from an intermediate CA, as a Fabric CA deployment with its root offline. */
describe('initNetwork --intermediate-ca', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-init-ica-'));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('puts the issuing CAs in ca/ and tlsca/, the roots in rootca/ and tlsrootca/; every member validates under the genesis MSP, one the root signs directly does not', async () => {
    const dir = path.join(tmp, 'net');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 48000, intermediateCa: true });
    const org1 = path.join(dir, ORG1);
    const ls = (sub: string): string[] => fs.readdirSync(path.join(org1, sub)).sort();
    expect(ls('ca')).toEqual(['ica.org1.example.com-cert.pem', 'priv_sk']);
    expect(ls('tlsca')).toEqual(['priv_sk', 'tlsica.org1.example.com-cert.pem']);
    expect(ls('rootca')).toEqual(['ca.org1.example.com-cert.pem', 'priv_sk']);
    expect(ls('tlsrootca')).toEqual(['priv_sk', 'tlsca.org1.example.com-cert.pem']);
    const memberMsp = `${ORG1}/peers/peer0.org1.example.com/msp`;
    for (const mspDir of [`${ORG1}/msp`, memberMsp]) {
      expect(fs.readdirSync(path.join(dir, mspDir, 'cacerts'))).toEqual(['ca.org1.example.com-cert.pem']);
      expect(fs.readdirSync(path.join(dir, mspDir, 'intermediatecerts'))).toEqual(['ica.org1.example.com-cert.pem']);
      expect(fs.readdirSync(path.join(dir, mspDir, 'tlsintermediatecerts'))).toEqual(['tlsica.org1.example.com-cert.pem']);
      // NodeOUs name the issuing CA where fabric-ca-client puts an intermediate's certificate.
      const yaml = parseYaml(fs.readFileSync(path.join(dir, mspDir, 'config.yaml'), 'utf8')) as { NodeOUs: { PeerOUIdentifier: { Certificate: string } } };
      expect(yaml.NodeOUs.PeerOUIdentifier.Certificate).toBe('intermediatecerts/ica.org1.example.com-cert.pem');
    }
    const intermediate = new X509Certificate(fs.readFileSync(path.join(org1, 'ca/ica.org1.example.com-cert.pem')));
    const root = new X509Certificate(fs.readFileSync(path.join(org1, 'rootca/ca.org1.example.com-cert.pem')));
    expect(intermediate.verify(root.publicKey)).toBe(true);
    expect(intermediate.ca).toBe(true);
    // A client dialing the peer needs the whole TLS chain: the peer presents its own certificate only.
    expect(fs.readFileSync(path.join(org1, 'peers/peer0.org1.example.com/tls/ca.crt'), 'utf8').match(/BEGIN CERTIFICATE/g)).toHaveLength(2);

    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const msps = genesisMsps(layout);
    for (const mspId of ['Org1MSP', 'Org2MSP', 'OrdererMSP']) {
      expect([mspId, msps.get(mspId)!.getIntermediateCertsList().length, msps.get(mspId)!.getTlsIntermediateCertsList().length]).toEqual([mspId, 1, 1]);
    }
    const org1Msp = new X509Msp(msps.get('Org1MSP')!);
    const members = [...layout.nodes().filter((n) => n.mspId === 'Org1MSP').map((n) => n.mspDir), ...layout.users().filter((u) => u.mspId === 'Org1MSP').map((u) => u.mspDir)];
    expect(members.length).toBe(3);
    expectMembersValid('Org1MSP', org1Msp, members);
    const orderer = layout.orderers()[0]!;
    expectMembersValid('OrdererMSP', new X509Msp(msps.get('OrdererMSP')!), [orderer.mspDir]);

    const rootCa = loadOrgCa(org1, 'rootca');
    const direct = await issueEndEntity(rootCa.signer, rootCa.subject, { commonName: 'Mallory@org1.example.com', organizationalUnits: ['client'] });
    expect(mspCodeOf(() => org1Msp.deserializeIdentity(serializeIdentity('Org1MSP', direct.certPem)).validate())).toBe(MspErrorCode.NotLeafCa);

    // Mutual-TLS trust lists name the TLS root and intermediate of each org.
    const peerConfig = [...nodeConfigs(layout)].find(([n]) => n.kind === 'peer')![1] as { peer: { ordererTlsRootCertFiles: string[] } };
    expect(peerConfig.peer.ordererTlsRootCertFiles.map((f) => path.basename(f))).toEqual(['tlsca.example.com-cert.pem', 'tlsica.example.com-cert.pem']);
    // weft network status lists the roots and the intermediates.
    expect(caExpiries(layout).filter((c) => c.mspId === 'Org1MSP').map((c) => [c.ca, path.basename(c.certPath)])).toEqual([
      ['rootca', 'ca.org1.example.com-cert.pem'],
      ['ca', 'ica.org1.example.com-cert.pem'],
      ['tlsrootca', 'tlsca.org1.example.com-cert.pem'],
      ['tlsca', 'tlsica.org1.example.com-cert.pem'],
    ]);
  });

  it('add-user, add-peer and member renewal issue from the intermediate; members validate under the genesis MSP', async () => {
    const dir = path.join(tmp, 'later');
    await initNetwork(dir, { ...DEFAULT_INIT_OPTIONS, basePort: 48050, intermediateCa: true });
    await addUsers(dir, { org: 'Org1', names: ['User2'] }, () => {});
    await addPeer(dir, { org: 'Org1', name: 'peer1', start: false }, () => {}, async () => true);
    const layout = new NetworkLayout(dir, loadNetworkSpec(dir));
    const org1 = path.join(dir, ORG1);
    const before = fs.readFileSync(path.join(org1, 'users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem'));
    await renewMember(dir, { org: 'Org1', user: 'User1' }, () => {});
    expect(fs.readFileSync(path.join(org1, 'users/User1@org1.example.com/msp/signcerts/User1@org1.example.com-cert.pem')).equals(before)).toBe(false);

    const newMembers = ['users/User2@org1.example.com', 'peers/peer1.org1.example.com', 'users/User1@org1.example.com'].map((m) => path.join(org1, m, 'msp'));
    for (const mspDir of newMembers.slice(0, 2)) {
      expect(fs.readdirSync(path.join(mspDir, 'intermediatecerts'))).toEqual(['ica.org1.example.com-cert.pem']);
      expect(fs.readFileSync(path.join(mspDir, 'config.yaml'), 'utf8')).toMatch(/Certificate: intermediatecerts\/ica\.org1\.example\.com-cert\.pem/);
    }
    expectMembersValid('Org1MSP', new X509Msp(genesisMsps(layout).get('Org1MSP')!), newMembers);
    const issuer = new X509Certificate(fs.readFileSync(path.join(org1, 'peers/peer1.org1.example.com/tls/server.crt'))).issuer;
    expect(issuer).toMatch(/CN=tlsica\.org1\.example\.com/);
  });

  it("init --from takes an org's intermediateCa from the file, the flag for the orgs that leave it out; new-org --intermediate-ca too", async () => {
    const file = path.join(tmp, 'mixed.yaml');
    writeNetworkFile(file, 48100, [{ intermediateCa: false }, {}]);
    const dir = path.join(tmp, 'from');
    await initNetworkFromFile(dir, file, () => {}, {}, { intermediateCa: true });
    const has = (org: string): boolean => fs.existsSync(path.join(dir, 'organizations', org, 'rootca'));
    expect([has('peerOrganizations/org1.example.com'), has('peerOrganizations/org2.example.com'), has('ordererOrganizations/example.com')]).toEqual([false, true, true]);
    expect(loadNetworkSpec(dir).orgs.map((o) => o.intermediateCa)).toEqual([false, undefined]);
    const msps = genesisMsps(new NetworkLayout(dir, loadNetworkSpec(dir)));
    expect([msps.get('Org1MSP')!.getIntermediateCertsList().length, msps.get('Org2MSP')!.getIntermediateCertsList().length]).toEqual([0, 1]);

    const own = path.join(tmp, 'org3');
    await createOwnOrg(own, { name: 'Org3', basePort: 48130, intermediateCa: true }, () => {});
    const definition = JSON.parse(fs.readFileSync(path.join(own, 'org-definition.json'), 'utf8')) as { files: Record<string, string> };
    expect(Object.keys(definition.files)).toEqual(expect.arrayContaining(['msp/intermediatecerts/ica.org3.example.com-cert.pem', 'msp/tlsintermediatecerts/tlsica.org3.example.com-cert.pem']));
    expect(Object.keys(definition.files).some((f) => f.endsWith('priv_sk'))).toBe(false);
  });

  it('an org spec whose intermediateCa is not a boolean is refused naming the field; add-org refuses the flag with an org made elsewhere', async () => {
    const file = path.join(tmp, 'bad.yaml');
    writeNetworkFile(file, 48140, [{ intermediateCa: 'yes' }]);
    const err = await initNetworkFromFile(path.join(tmp, 'bad'), file).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('NETWORK_SPEC_INVALID');
    expect((err as ConfigError).message).toMatch(/orgs\.0\.intermediateCa/);
    expect(fs.existsSync(path.join(tmp, 'bad'))).toBe(false);
  });
});
