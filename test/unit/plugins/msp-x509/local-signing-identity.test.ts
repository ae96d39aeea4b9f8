import * as fs from 'node:fs';
import * as path from 'node:path';
import { MspError } from '../../../../core/errors';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { createTestOrg, loadSigningIdentity, type TestIdentity, type TestOrg } from '../../../../plugins/msp-x509';
import { tempDir } from './fixtures';

/** A local MSP folder (cacerts, signcerts, keystore, NodeOUs config.yaml) for one identity. */
function mspFolder(root: string, org: TestOrg, id: TestIdentity): string {
  const dir = path.join(root, id.name);
  for (const sub of ['cacerts', 'signcerts', 'keystore']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.writeFileSync(path.join(dir, 'cacerts', 'ca.pem'), org.ca.certPem);
  fs.writeFileSync(path.join(dir, 'signcerts', 'cert.pem'), id.certPem);
  fs.writeFileSync(path.join(dir, 'keystore', 'priv_sk'), id.keyPem, { mode: 0o600 });
  const ou = (name: string): string => `  ${name}:\n    Certificate: cacerts/ca.pem\n    OrganizationalUnitIdentifier: ${name.replace('OUIdentifier', '').toLowerCase()}\n`;
  fs.writeFileSync(
    path.join(dir, 'config.yaml'),
    `NodeOUs:\n  Enable: true\n${['ClientOUIdentifier', 'PeerOUIdentifier', 'AdminOUIdentifier', 'OrdererOUIdentifier'].map(ou).join('')}`,
  );
  return dir;
}

describe('loadSigningIdentity and expiry (Fabric setupSigningIdentity)', () => {
  let dir: string;
  let org: TestOrg;

  beforeAll(async () => {
    dir = tempDir('local-signer');
    org = await createTestOrg({ mspId: 'Org1MSP' });
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads a current signing identity and refuses an expired one with MSP_EXPIRED', async () => {
    const current = await org.issue('current', { role: 'peer' });
    expect(loadSigningIdentity(mspFolder(dir, org, current), 'Org1MSP').id).toMatch(/^[0-9a-f]{64}$/);
    const expired = await org.issue('expired', { role: 'peer', notBefore: new Date('2020-01-01T00:00:00Z'), notAfter: new Date('2021-01-01T00:00:00Z') });
    let err: unknown;
    try {
      loadSigningIdentity(mspFolder(dir, org, expired), 'Org1MSP');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MspError);
    expect((err as MspError).code).toBe(MspErrorCode.Expired);
  });
});
