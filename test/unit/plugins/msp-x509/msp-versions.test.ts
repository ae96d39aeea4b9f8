import { FabricNodeOUs, FabricOUIdentifier, type FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { CombinedPrincipal, MSPIdentityAnonymity, MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../../../core/errors';
import { MspErrorCode } from '../../../../core/msp/msp-error-code';
import { MSP_VERSIONS, type MspVersion } from '../../../../core/msp/msp-version';
import { X509Msp, X509MspProvider, createTestOrg, type TestIdentity, type TestOrg } from '../../../../plugins/msp-x509';
import { signWith } from './fixtures';

const MESSAGE = new TextEncoder().encode('proposal bytes exactly as signed');

function errorOf(fn: () => unknown): MspError | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof MspError) return err;
    throw err;
  }
  return undefined;
}

function principal(classification: MSPPrincipal.ClassificationMap[keyof MSPPrincipal.ClassificationMap], bytes: Uint8Array): MSPPrincipal {
  const p = new MSPPrincipal();
  p.setPrincipalClassification(classification);
  p.setPrincipal(bytes);
  return p;
}

function role(mspId: string, name: keyof MSPRole.MSPRoleTypeMap): MSPPrincipal {
  const r = new MSPRole();
  r.setMspIdentifier(mspId);
  r.setRole(MSPRole.MSPRoleType[name]);
  return principal(MSPPrincipal.Classification.ROLE, r.serializeBinary());
}

function combined(...parts: MSPPrincipal[]): MSPPrincipal {
  const c = new CombinedPrincipal();
  c.setPrincipalsList(parts);
  return principal(MSPPrincipal.Classification.COMBINED, c.serializeBinary());
}

function nominal(): MSPPrincipal {
  const a = new MSPIdentityAnonymity();
  a.setAnonymityType(MSPIdentityAnonymity.MSPIdentityAnonymityType.NOMINAL);
  return principal(MSPPrincipal.Classification.ANONYMITY, a.serializeBinary());
}

/**
 * Fabric's MSP versions (msp/mspimpl.go `newBccspMsp`): a channel's MSPs apply the rules of the
 * version its capabilities select, so every node of a channel accepts the same identities.
 */
describe('X509Msp versions (Fabric MSPv1_0 … MSPv3_0)', () => {
  let org: TestOrg;
  let ed25519: TestIdentity;
  let client: TestIdentity;
  let peer: TestIdentity;
  let admin: TestIdentity;
  let orderer: TestIdentity;

  beforeAll(async () => {
    org = await createTestOrg({ mspId: 'Org1MSP' });
    ed25519 = await org.issue('ed-user', { keyAlgorithm: 'Ed25519' });
    client = await org.issue('client-user', { role: 'client' });
    peer = await org.issue('peer0', { role: 'peer' });
    admin = await org.issue('admin-user', { role: 'admin' });
    orderer = await org.issue('orderer0', { role: 'orderer' });
  }, 60_000);

  const msp = (version: MspVersion, config: FabricMSPConfig = org.mspConfig()): X509Msp => new X509Msp(config, {}, version);

  it('accepts Ed25519 identities under MSPv3_0 only, refusing them below with Fabric\'s reason while their signatures still verify', () => {
    for (const version of MSP_VERSIONS) {
      const id = msp(version).deserializeIdentity(ed25519.serialized);
      const err = errorOf(() => id.validate());
      if (version === 'MSPv3_0') {
        expect(err).toBeUndefined();
      } else {
        expect([version, err?.code]).toEqual([version, MspErrorCode.UnsupportedKey]);
        expect(err?.message).toMatch(/could not validate identity's public key algorithm: Ed25519 is not supported/);
      }
      expect(id.satisfiesPrincipal(role('Org1MSP', 'MEMBER'))).toBe(version === 'MSPv3_0');
      // Fabric's identity.Verify does not validate: the creator check fails on Validate, not on the signature.
      expect(id.verify(MESSAGE, signWith(ed25519.privateKey, MESSAGE))).toBe(true);
    }
  });

  it('builds channel MSPs at the version asked and local ones (no version) at the newest, as Fabric\'s local MSP', () => {
    const provider = new X509MspProvider();
    expect(provider.createMsp(org.mspConfig()).version).toBe('MSPv3_0');
    expect(() => provider.createMsp(org.mspConfig()).deserializeIdentity(ed25519.serialized).validate()).not.toThrow();
    const channelMsp = provider.createMsp(org.mspConfig(), { version: 'MSPv1_4_3' });
    expect(channelMsp.version).toBe('MSPv1_4_3');
    expect(errorOf(() => channelMsp.deserializeIdentity(ed25519.serialized).validate())?.code).toBe(MspErrorCode.UnsupportedKey);
  });

  it('refuses a version Fabric does not have', () => {
    expect(errorOf(() => new X509Msp(org.mspConfig(), {}, 'MSPv2_0' as MspVersion))?.code).toBe(MspErrorCode.BadConfig);
  });

  it('MSPv1_4_3 and MSPv3_0: admin and orderer NodeOUs are roles; ADMIN and ORDERER principals follow them', () => {
    for (const version of ['MSPv1_4_3', 'MSPv3_0'] as const) {
      const m = msp(version);
      for (const id of [client, peer, admin, orderer]) expect(() => m.deserializeIdentity(id.serialized).validate()).not.toThrow();
      expect(m.deserializeIdentity(admin.serialized).satisfiesPrincipal(role('Org1MSP', 'ADMIN'))).toBe(true);
      expect(m.deserializeIdentity(orderer.serialized).satisfiesPrincipal(role('Org1MSP', 'ORDERER'))).toBe(true);
    }
  });

  it('MSPv1_1 and MSPv1_3: only client and peer are NodeOU roles, admins are the listed certificates, ORDERER is no role', () => {
    for (const version of ['MSPv1_1', 'MSPv1_3'] as const) {
      // setupAdminsPreV142: no admin certificate and an admin OU configured is a working MSP.
      const m = msp(version);
      expect(() => m.deserializeIdentity(client.serialized).validate()).not.toThrow();
      expect(m.deserializeIdentity(peer.serialized).satisfiesPrincipal(role('Org1MSP', 'PEER'))).toBe(true);
      expect(m.deserializeIdentity(client.serialized).satisfiesPrincipal(role('Org1MSP', 'CLIENT'))).toBe(true);
      // validateIdentityOUsV11: an identity whose only role OU is admin or orderer resolves to no role.
      for (const id of [admin, orderer]) expect(errorOf(() => m.deserializeIdentity(id.serialized).validate())?.code).toBe(MspErrorCode.NodeOu);
      expect(m.deserializeIdentity(admin.serialized).satisfiesPrincipal(role('Org1MSP', 'ADMIN'))).toBe(false);
      expect(m.deserializeIdentity(orderer.serialized).satisfiesPrincipal(role('Org1MSP', 'ORDERER'))).toBe(false);
    }
  });

  it('MSPv1_1 and MSPv1_3: a listed admin must be a valid client (postSetupV11); MSPv1_4_3 also takes an admin-OU one', () => {
    const withAdmin = (id: TestIdentity): FabricMSPConfig => {
      const config = org.mspConfig();
      config.setAdminsList([id.credentials]);
      return config;
    };
    expect(msp('MSPv1_3', withAdmin(client)).deserializeIdentity(client.serialized).satisfiesPrincipal(role('Org1MSP', 'ADMIN'))).toBe(true);
    for (const version of ['MSPv1_1', 'MSPv1_3'] as const) {
      for (const id of [admin, peer]) expect(errorOf(() => msp(version, withAdmin(id)))?.code).toBe(MspErrorCode.BadConfig);
    }
    expect(() => msp('MSPv1_4_3', withAdmin(admin))).not.toThrow();
  });

  it('MSPv1_1 and MSPv1_3: NodeOUs must name the client and peer OUs, even when disabled (setupNodeOUs)', () => {
    for (const missing of ['client', 'peer'] as const) {
      const config = org.mspConfig();
      const ous = config.getFabricNodeOus() as FabricNodeOUs;
      ous.setEnable(false);
      if (missing === 'client') ous.setClientOuIdentifier(new FabricOUIdentifier());
      else ous.clearPeerOuIdentifier();
      const err = errorOf(() => msp('MSPv1_3', config));
      expect(err?.code).toBe(MspErrorCode.BadConfig);
      expect(err?.message).toContain(`fabric_node_ous.${missing}_ou_identifier`);
      expect(() => msp('MSPv1_0', config)).not.toThrow();
      // setupNodeOUsV142 takes a missing role, but then an admin must be listed: NodeOUs are disabled here.
      config.setAdminsList([client.credentials]);
      expect(() => msp('MSPv1_4_3', config)).not.toThrow();
    }
  });

  it('MSPv1_0 ignores NodeOUs: every identity of the CA is a member, none is a client or peer', () => {
    const m = msp('MSPv1_0');
    for (const id of [client, peer, admin, orderer]) expect(() => m.deserializeIdentity(id.serialized).validate()).not.toThrow();
    expect(m.deserializeIdentity(peer.serialized).satisfiesPrincipal(role('Org1MSP', 'PEER'))).toBe(false);
    expect(m.deserializeIdentity(client.serialized).satisfiesPrincipal(role('Org1MSP', 'CLIENT'))).toBe(false);
    expect(m.deserializeIdentity(admin.serialized).satisfiesPrincipal(role('Org1MSP', 'ADMIN'))).toBe(false);
  });

  it('ANONYMITY and COMBINED principals exist from MSPv1_3 on (collectPrincipals, satisfiesPrincipalInternalV13)', () => {
    for (const version of MSP_VERSIONS) {
      const id = msp(version).deserializeIdentity(client.serialized);
      const known = version !== 'MSPv1_0' && version !== 'MSPv1_1';
      expect([version, id.satisfiesPrincipal(nominal())]).toEqual([version, known]);
      expect([version, id.satisfiesPrincipal(combined(role('Org1MSP', 'MEMBER'), nominal()))]).toEqual([version, known]);
      expect(id.satisfiesPrincipal(role('Org1MSP', 'MEMBER'))).toBe(true);
    }
  });
});
