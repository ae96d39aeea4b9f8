import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SigningIdentity } from '../../../../core/msp/identity';
import { ServerTlsIdentity, Switchable, SwitchableSigningIdentity } from '../../../../core/node/reloadable-identity';
import { SwitchableLocalMsp } from '../../../../core/node/reloadable-local-msp';
import { generateOrg, type GeneratedOrg, X509MspProvider } from '../../../../plugins/msp-x509';

const MESSAGE = new TextEncoder().encode('signed across a reload');

/** What a holder of the node's signer reads of it. */
function readOf(identity: SigningIdentity) {
  const { mspId, serialized, idBytes, id, expiresAt, organizationalUnits } = identity;
  return { mspId, serialized, idBytes, id, expiresAt, organizationalUnits };
}

/** The objects a certificate reload switches: one assignment, and every member answers for the new one. */
describe('Switchable holders', () => {
  let dir: string;
  let org1: GeneratedOrg;
  let org2: GeneratedOrg;
  const provider = new X509MspProvider();

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-switchable-'));
    org1 = await generateOrg({ domain: 'org1.example.com', mspId: 'Org1MSP', kind: 'peer', users: ['Admin'] }, dir);
    org2 = await generateOrg({ domain: 'org2.example.com', mspId: 'Org2MSP', kind: 'peer', users: [] }, dir);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a signer forwards every member to the identity in use, before and after a switch', () => {
    const peer = provider.loadLocalMsp(org1.nodes.peer0!.mspDir, org1.mspId);
    const admin = provider.loadSigningIdentity(org1.users.Admin!.mspDir, org1.mspId);
    const signer = new SwitchableSigningIdentity(peer.signer);
    expect(signer).toBeInstanceOf(Switchable);
    for (const current of [peer.signer, admin]) {
      if (current !== peer.signer) signer.replace(current);
      expect(signer.identity).toBe(current);
      expect(readOf(signer)).toEqual(readOf(current));
      const sig = signer.sign(MESSAGE);
      expect(current.verify(MESSAGE, sig)).toBe(true);
      expect(signer.verify(MESSAGE, sig)).toBe(true);
      expect(() => signer.validate()).not.toThrow();
    }
    // The peer's signature no longer verifies as the signer's: it is the admin's identity now.
    expect(signer.verify(MESSAGE, peer.signer.sign(MESSAGE))).toBe(false);
  });

  it("a local MSP answers with the MSP in use; an identity deserialized before keeps the MSP that made it", () => {
    const one = provider.loadLocalMsp(org1.nodes.peer0!.mspDir, org1.mspId);
    const two = provider.loadLocalMsp(org2.nodes.peer0!.mspDir, org2.mspId);
    const local = new SwitchableLocalMsp(one.msp);
    expect(local).toBeInstanceOf(Switchable);
    const before = local.deserializeIdentity(one.signer.serialized);
    local.replace(two.msp);
    expect({ msp: local.msp, id: local.id, config: local.config, version: local.version }).toEqual({ msp: two.msp, id: 'Org2MSP', config: two.msp.config, version: two.msp.version });
    expect(() => local.deserializeIdentity(one.signer.serialized)).toThrow(expect.objectContaining({ code: 'MSP_ID_MISMATCH' }));
    expect(local.deserializeIdentity(two.signer.serialized).mspId).toBe('Org2MSP');
    expect(() => before.validate()).not.toThrow();
  });

  it('a TLS identity tells its listeners of the switch', () => {
    const first = { cert: fs.readFileSync(org1.nodes.peer0!.tlsCertPath), key: fs.readFileSync(org1.nodes.peer0!.tlsKeyPath) };
    const next = { cert: fs.readFileSync(org2.nodes.peer0!.tlsCertPath), key: fs.readFileSync(org2.nodes.peer0!.tlsKeyPath) };
    const tls = new ServerTlsIdentity(first);
    expect(tls).toBeInstanceOf(Switchable);
    const heard: Buffer[] = [];
    tls.addListener((update) => heard.push(update!.certificate as Buffer));
    tls.replace(next);
    expect(tls.current()).toBe(next);
    expect(heard).toEqual([next.cert]);
  });
});
