/**
 * Policies evaluated over real X.509 identities from the msp-x509 plugin (NodeOUs, CRLs, low-S
 * ECDSA): the truth tables hold with Fabric's MSP semantics, not only with the conformance MSP.
 */
import { sign as cryptoSign } from 'node:crypto';
import type { MspManager } from '../../../../core/msp';
import type { PolicyManager, SignedData } from '../../../../core/policy';
import { sampleChannelConfig } from '../../../../core/policy/conformance-config';
import {
  createTestOrg,
  CURVE_ORDERS,
  encodeEcdsaSignature,
  parseEcdsaSignature,
  toLowS,
  X509MspProvider,
  type TestIdentity,
  type TestOrg,
} from '../../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../../plugins/policy-fabric';

const DATA = new TextEncoder().encode('an endorsed proposal response payload');
const P256 = CURVE_ORDERS.prime256v1;

function signedBy(id: TestIdentity, data: Uint8Array = DATA): SignedData {
  const der = new Uint8Array(cryptoSign('sha256', data, { key: id.privateKey, dsaEncoding: 'der' }));
  return { data, identity: id.serialized, signature: toLowS(der, P256) };
}

describe('policy-fabric over msp-x509 identities', () => {
  const provider = new FabricPolicyProvider();
  const mspProvider = new X509MspProvider();
  let orgs: TestOrg[];
  let stranger: TestOrg;
  let manager: MspManager;
  let ids: Record<'peer1' | 'peer1b' | 'client1' | 'admin1' | 'peer2' | 'peer3' | 'revoked1' | 'outsider', TestIdentity>;
  let tree: PolicyManager;

  beforeAll(async () => {
    orgs = await Promise.all(['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => createTestOrg({ mspId })));
    stranger = await createTestOrg({ mspId: 'Org9MSP' });
    ids = {
      peer1: await orgs[0].issue('peer0.org1', { role: 'peer' }),
      peer1b: await orgs[0].issue('peer1.org1', { role: 'peer' }),
      client1: await orgs[0].issue('User1@org1', { role: 'client' }),
      admin1: await orgs[0].issue('Admin@org1', { role: 'admin' }),
      peer2: await orgs[1].issue('peer0.org2', { role: 'peer' }),
      peer3: await orgs[2].issue('peer0.org3', { role: 'peer' }),
      revoked1: await orgs[0].issue('peer9.org1', { role: 'peer' }),
      outsider: await stranger.issue('peer0.org9', { role: 'peer' }),
    };
    await orgs[0].revoke(ids.revoked1);
    manager = mspProvider.createManager(orgs.map((o) => mspProvider.createMsp(o.mspConfig())));
    tree = provider.newPolicyManager(sampleChannelConfig(['Org1MSP', 'Org2MSP', 'Org3MSP']), manager);
  });

  const holds = (expression: string, set: readonly SignedData[]): boolean =>
    provider.newSignaturePolicy(provider.compileExpression(expression), manager).evaluate(set).satisfied;

  it('OutOf(2, three org peers): every subset', () => {
    const p = "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')";
    const { peer1, peer1b, peer2, peer3 } = ids;
    expect(holds(p, [])).toBe(false);
    expect(holds(p, [signedBy(peer1)])).toBe(false);
    expect(holds(p, [signedBy(peer1), signedBy(peer1b)])).toBe(false);
    expect(holds(p, [signedBy(peer1), signedBy(peer1)])).toBe(false);
    expect(holds(p, [signedBy(peer1), signedBy(peer2)])).toBe(true);
    expect(holds(p, [signedBy(peer3), signedBy(peer2)])).toBe(true);
    expect(holds(p, [signedBy(peer1), signedBy(peer2), signedBy(peer3)])).toBe(true);
  });

  it('NodeOU roles decide peer, client, admin; member is any valid identity of the org', () => {
    expect(holds("OR('Org1MSP.peer')", [signedBy(ids.client1), signedBy(ids.admin1)])).toBe(false);
    expect(holds("OR('Org1MSP.client')", [signedBy(ids.peer1)])).toBe(false);
    expect(holds("OR('Org1MSP.admin')", [signedBy(ids.client1)])).toBe(false);
    expect(holds("OR('Org1MSP.admin')", [signedBy(ids.admin1)])).toBe(true);
    expect(holds("AND('Org1MSP.member', 'Org1MSP.member')", [signedBy(ids.peer1), signedBy(ids.client1)])).toBe(true);
    expect(holds("OR('Org2MSP.member')", [signedBy(ids.peer1)])).toBe(false);
  });

  it('skips a revoked identity, an unknown MSP, a tampered and a high-S signature', () => {
    expect(holds("OR('Org1MSP.peer')", [signedBy(ids.revoked1)])).toBe(false);
    expect(holds("OR('Org9MSP.peer')", [signedBy(ids.outsider)])).toBe(false);
    const tampered = { ...signedBy(ids.peer1), data: new TextEncoder().encode('another payload') };
    expect(holds("OR('Org1MSP.peer')", [tampered])).toBe(false);
    const low = parseEcdsaSignature(signedBy(ids.peer1).signature);
    if (low === undefined) throw new Error('signature did not parse');
    const highS = { ...signedBy(ids.peer1), signature: encodeEcdsaSignature({ r: low.r, s: P256 - low.s }) };
    expect(holds("OR('Org1MSP.peer')", [highS])).toBe(false);
    expect(holds("OR('Org1MSP.peer')", [signedBy(ids.outsider), tampered, highS, signedBy(ids.peer1)])).toBe(true);
  });

  it('channel tree: MAJORITY Endorsement, ANY Writers, MAJORITY Admins', () => {
    const endorsement = tree.getPolicy('/Channel/Application/Endorsement');
    expect(endorsement?.evaluate([signedBy(ids.peer1), signedBy(ids.peer1b)]).satisfied).toBe(false);
    expect(endorsement?.evaluate([signedBy(ids.peer1), signedBy(ids.peer3)]).satisfied).toBe(true);
    expect(tree.getPolicy('/Channel/Application/Writers')?.evaluate([signedBy(ids.client1)]).satisfied).toBe(true);
    expect(tree.getPolicy('/Channel/Application/Writers')?.evaluate([signedBy(ids.peer1)]).satisfied).toBe(false);
    expect(tree.getPolicy('/Channel/Application/Admins')?.evaluate([signedBy(ids.admin1)]).satisfied).toBe(false);
  });
});
