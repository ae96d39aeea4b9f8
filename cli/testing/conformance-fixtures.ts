import { sign, type KeyObject } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import type { RuntimeConformanceSetup } from '../../core/chaincode/conformance';
import type { MspProvider } from '../../core/msp/msp';
import type { MspConformanceFixture } from '../../core/msp/conformance';
import { CURVE_ORDERS, createTestOrg, generateOrg, toLowS, type TestIdentity } from '../../plugins/msp-x509';
import { weftRoot } from '../services/repo-root';
import { USER1_PEM, USER2_PEM } from './fixture-certs';
import { ledgerWorld } from './ledger-world';

/**
 * Ready-made inputs for the core conformance suites, so a third-party plugin runs the same suite
 * as the stock plugin with one line (what `weft new plugin` generates).
 */

/** Low-S SHA-256 ECDSA (or Ed25519) signature with a test identity's key, as a Fabric client makes. */
export function signWith(key: KeyObject, message: Uint8Array): Uint8Array {
  if (key.asymmetricKeyType === 'ed25519') return new Uint8Array(sign(null, message, key));
  const der = new Uint8Array(sign('sha256', message, { key, dsaEncoding: 'der' }));
  return toLowS(der, CURVE_ORDERS[key.asymmetricKeyDetails?.namedCurve ?? '']!);
}

function signer(id: TestIdentity): { serialized: Uint8Array; sign(message: Uint8Array): Uint8Array } {
  return { serialized: id.serialized, sign: (m) => signWith(id.privateKey, m) };
}

/** The `msp` suite's fixture for `provider`: two orgs, an impostor CA, a revoked identity, an MSP folder. */
export async function mspConformanceFixture(provider: MspProvider): Promise<MspConformanceFixture> {
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-msp-conformance-'));
  const generated = await generateOrg({ domain: 'org3.example.com', mspId: 'Org3MSP', kind: 'peer' }, dir);
  return {
    provider,
    org: { config: org1.mspConfig(), members: { client: signer(client), peer: signer(peer), admin: signer(admin), orderer: signer(orderer) } },
    otherOrg: { config: org2.mspConfig(), member: signer(other) },
    foreign: signer(foreign),
    revoked: signer(revoked),
    localMsp: { dir: generated.nodes.peer0!.mspDir, mspId: 'Org3MSP' },
    cleanup: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

function creator(user: 'user1' | 'user2', mspId = 'Org1MSP'): Uint8Array {
  const id = new SerializedIdentity();
  id.setMspid(mspId);
  id.setIdBytes(Buffer.from(user === 'user1' ? USER1_PEM : USER2_PEM));
  return id.serializeBinary();
}

/** The `runtime` suite's setup for a runtime factory: real SQLite ledgers, Fabric CA-style creators, Weft's examples. */
export function runtimeConformanceSetup(createRuntime: RuntimeConformanceSetup['createRuntime']): RuntimeConformanceSetup {
  return {
    createRuntime,
    createWorld: () => ledgerWorld(),
    creators: { minter: creator('user1'), other: creator('user2'), org2: creator('user2', 'Org2MSP') },
    ids: {
      minter:
        'x509::/C=US/ST=North Carolina/O=Hyperledger/OU=client/CN=user1::/C=US/ST=North Carolina/L=Durham/O=org1.example.com/CN=ca.org1.example.com',
      other:
        'x509::/C=US/ST=North Carolina/O=Hyperledger/OU=client/CN=user2::/C=US/ST=North Carolina/L=Durham/O=org1.example.com/CN=ca.org1.example.com',
    },
    examplesDir: path.join(weftRoot(), 'chaincode-examples'),
  };
}
