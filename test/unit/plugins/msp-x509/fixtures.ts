import { sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { MspConformanceFixture } from '../../../../core/msp/conformance';
import { CURVE_ORDERS, toLowS } from '../../../../plugins/msp-x509/ecdsa-signature';
import { X509MspProvider, createTestOrg, generateOrg, type TestIdentity } from '../../../../plugins/msp-x509';

/** Low-S SHA-256 ECDSA (or Ed25519) signature with a test identity's key, as a Fabric client makes. */
export function signWith(key: KeyObject, message: Uint8Array): Uint8Array {
  if (key.asymmetricKeyType === 'ed25519') return new Uint8Array(sign(null, message, key));
  const der = new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'der' }));
  return toLowS(der, CURVE_ORDERS[key.asymmetricKeyDetails?.namedCurve ?? '']);
}

export function signer(id: TestIdentity): { serialized: Uint8Array; sign(message: Uint8Array): Uint8Array } {
  return { serialized: id.serialized, sign: (m) => signWith(id.privateKey, m) };
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `weft-msp-${prefix}-`));
}

/** Two orgs, a foreign CA claiming Org1MSP, a revoked Org1 identity, and an on-disk MSP folder. */
export async function conformanceFixture(): Promise<MspConformanceFixture> {
  const org1 = await createTestOrg({ mspId: 'Org1MSP' });
  const org2 = await createTestOrg({ mspId: 'Org2MSP' });
  const impostorCa = await createTestOrg({ mspId: 'Org1MSP', domain: 'impostor.example.com' });
  const [client, peer, admin, orderer, revoked] = await Promise.all([
    org1.issue('User1@org1.example.com', { role: 'client' }),
    org1.issue('peer0.org1.example.com', { role: 'peer' }),
    org1.issue('Admin@org1.example.com', { role: 'admin' }),
    org1.issue('orderer.org1.example.com', { role: 'orderer' }),
    org1.issue('Revoked@org1.example.com', { role: 'client' }),
  ]);
  await org1.revoke(revoked);
  const foreign = await impostorCa.issue('User9@org1.example.com', { role: 'client' });
  const other = await org2.issue('User1@org2.example.com', { role: 'client' });
  const dir = tempDir('conformance');
  const generated = await generateOrg({ domain: 'org3.example.com', mspId: 'Org3MSP', kind: 'peer' }, dir);
  return {
    provider: new X509MspProvider(),
    org: {
      config: org1.mspConfig(),
      members: { client: signer(client), peer: signer(peer), admin: signer(admin), orderer: signer(orderer) },
    },
    otherOrg: { config: org2.mspConfig(), member: signer(other) },
    foreign: signer(foreign),
    revoked: signer(revoked),
    localMsp: { dir: generated.nodes.peer0.mspDir, mspId: 'Org3MSP' },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
