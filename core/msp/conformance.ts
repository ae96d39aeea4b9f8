/**
 * The MSP conformance suite: every plugin filling the `msp` slot runs it from its own tests
 * (`mspConformanceSuite('msp-x509', factory)`), so third-party MSPs get the same checks for free.
 * It uses jest globals and is deliberately not re-exported from `core/index.ts`.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MSPPrincipal, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../errors';
import { rolePrincipal } from '../policy/policy-expression';
import type { MspRole } from './identity';
import type { LocalMspPart, Msp, MspProvider } from './msp';
import { MspErrorCode } from './msp-error-code';
import { MSP_VERSIONS, NEWEST_MSP_VERSION } from './msp-version';

export type ConformanceRole = 'client' | 'peer' | 'admin' | 'orderer';

/** An identity the fixture can sign with (however the plugin's keys work). */
export interface ConformanceIdentity {
  /** `SerializedIdentity` bytes. */
  readonly serialized: Uint8Array;
  sign(message: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

export interface MspConformanceFixture {
  readonly provider: MspProvider;
  /** The MSP under test, NodeOUs enabled, with one valid member per NodeOU role. */
  readonly org: { readonly config: FabricMSPConfig; readonly members: Readonly<Record<ConformanceRole, ConformanceIdentity>> };
  /** A second MSP (different id) and one of its members, for manager dispatch and cross-org checks. */
  readonly otherOrg: { readonly config: FabricMSPConfig; readonly member: ConformanceIdentity };
  /** Claims `org`'s MSP id but was issued by a CA that `org` does not trust. */
  readonly foreign: ConformanceIdentity;
  /** Issued by `org`'s CA and revoked in `org.config`. */
  readonly revoked: ConformanceIdentity;
  /** An MSP folder (signcerts/, keystore/, cacerts/, config.yaml): `MspProvider` loads local identities from one (a copy with one of its folders removed must fail to load). */
  readonly localMsp: { readonly dir: string; readonly mspId: string };
  cleanup?(): void | Promise<void>;
}

const ROLES: readonly ConformanceRole[] = ['client', 'peer', 'admin', 'orderer'];
const PRINCIPAL_ROLES: readonly MspRole[] = ['member', 'admin', 'client', 'peer', 'orderer'];

function identityPrincipal(serialized: Uint8Array): MSPPrincipal {
  const p = new MSPPrincipal();
  p.setPrincipalClassification(MSPPrincipal.Classification.IDENTITY);
  p.setPrincipal(serialized);
  return p;
}

function expectMspError(fn: () => unknown, code: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(MspError);
  expect((thrown as MspError).code).toBe(code);
}

const MESSAGE = new TextEncoder().encode('weft msp conformance: the exact bytes that were signed');

export function mspConformanceSuite(name: string, factory: () => Promise<MspConformanceFixture>): void {
  describe(`MSP conformance: ${name}`, () => {
    let fx: MspConformanceFixture;
    let msp: Msp;
    let otherMsp: Msp;
    let mspId: string;

    beforeAll(async () => {
      fx = await factory();
      msp = fx.provider.createMsp(fx.org.config);
      otherMsp = fx.provider.createMsp(fx.otherOrg.config);
      mspId = fx.org.config.getName();
    });

    afterAll(async () => {
      await fx?.cleanup?.();
    });

    it('builds an MSP whose id is the config name', () => {
      expect(msp.id).toBe(mspId);
      expect(otherMsp.id).toBe(fx.otherOrg.config.getName());
      expect(otherMsp.id).not.toBe(mspId);
    });

    it('runs the newest MSP version unless asked for another (a channel asks for the one its capabilities select)', () => {
      expect(msp.version).toBe(NEWEST_MSP_VERSION);
      for (const version of MSP_VERSIONS) {
        const versioned = fx.provider.createMsp(fx.org.config, { version });
        expect(versioned.version).toBe(version);
        // Every version takes a client member of a NodeOU MSP from MSPv1_1 on; MSPv1_0 has no NodeOUs and takes any member.
        expect(() => versioned.deserializeIdentity(fx.org.members.client.serialized).validate()).not.toThrow();
      }
    });

    it('deserializes members with their msp id, exact bytes, id, expiry and role OU', () => {
      for (const role of ROLES) {
        const member = fx.org.members[role];
        const id = msp.deserializeIdentity(member.serialized);
        expect(id.mspId).toBe(mspId);
        expect(Buffer.from(id.serialized).equals(Buffer.from(member.serialized))).toBe(true);
        expect(id.idBytes.length).toBeGreaterThan(0);
        expect(id.id).toMatch(/^[0-9a-f]{64}$/);
        expect(id.expiresAt.getTime()).toBeGreaterThan(Date.now());
        expect(id.organizationalUnits).toContain(role);
      }
    });

    it('returns the cached identity for equal bytes held in another buffer', () => {
      const bytes = fx.org.members.client.serialized;
      const first = msp.deserializeIdentity(bytes);
      const again = msp.deserializeIdentity(Uint8Array.from(bytes));
      expect(again).toBe(first);
    });

    it('validates members and rejects foreign and revoked identities with typed errors', () => {
      for (const role of ROLES) expect(() => msp.deserializeIdentity(fx.org.members[role].serialized).validate()).not.toThrow();
      expectMspError(() => msp.deserializeIdentity(fx.foreign.serialized).validate(), MspErrorCode.UntrustedChain);
      expectMspError(() => msp.deserializeIdentity(fx.revoked.serialized).validate(), MspErrorCode.Revoked);
    });

    it('verifies good signatures and refuses bad ones without throwing', async () => {
      const member = fx.org.members.peer;
      const id = msp.deserializeIdentity(member.serialized);
      const sig = await member.sign(MESSAGE);
      expect(id.verify(MESSAGE, sig)).toBe(true);
      const tamperedMessage = Uint8Array.from(MESSAGE);
      tamperedMessage[0] ^= 1;
      expect(id.verify(tamperedMessage, sig)).toBe(false);
      const tamperedSig = Uint8Array.from(sig);
      tamperedSig[tamperedSig.length - 1] ^= 1;
      expect(id.verify(MESSAGE, tamperedSig)).toBe(false);
      expect(id.verify(MESSAGE, new Uint8Array())).toBe(false);
      expect(id.verify(MESSAGE, new Uint8Array(71).fill(0x30))).toBe(false);
      const otherSig = await fx.org.members.client.sign(MESSAGE);
      expect(id.verify(MESSAGE, otherSig)).toBe(false);
      // The thread-pool path gives the same answers, and never rejects.
      const cases: [Uint8Array, Uint8Array, boolean][] = [
        [MESSAGE, sig, true],
        [tamperedMessage, sig, false],
        [MESSAGE, tamperedSig, false],
        [MESSAGE, new Uint8Array(), false],
        [MESSAGE, otherSig, false],
      ];
      expect(await Promise.all(cases.map(([m, s]) => id.verifyAsync(m, s)))).toEqual(cases.map(([, , ok]) => ok));
    });

    it('evaluates ROLE principals by NodeOU role, and only for its own MSP', () => {
      const expected: Record<ConformanceRole, MspRole[]> = {
        client: ['member', 'client'],
        peer: ['member', 'peer'],
        admin: ['member', 'admin'],
        orderer: ['member', 'orderer'],
      };
      for (const role of ROLES) {
        const id = msp.deserializeIdentity(fx.org.members[role].serialized);
        for (const principalRole of PRINCIPAL_ROLES) {
          expect([role, principalRole, id.satisfiesPrincipal(rolePrincipal(mspId, principalRole))]).toEqual([
            role,
            principalRole,
            expected[role].includes(principalRole),
          ]);
        }
        expect(id.satisfiesPrincipal(rolePrincipal(otherMsp.id, 'member'))).toBe(false);
      }
      // Fabric's X.509 MSP refuses to deserialize it (no chain to sanitize its signature against); another MSP may defer that to its principals.
      const foreignIsMember = (): boolean => {
        try {
          return msp.deserializeIdentity(fx.foreign.serialized).satisfiesPrincipal(rolePrincipal(mspId, 'member'));
        } catch (err) {
          if (err instanceof MspError) return false;
          throw err;
        }
      };
      expect(foreignIsMember()).toBe(false);
      expect(msp.deserializeIdentity(fx.revoked.serialized).satisfiesPrincipal(rolePrincipal(mspId, 'member'))).toBe(false);
    });

    it('evaluates IDENTITY principals by certificate', () => {
      const peer = msp.deserializeIdentity(fx.org.members.peer.serialized);
      expect(peer.satisfiesPrincipal(identityPrincipal(fx.org.members.peer.serialized))).toBe(true);
      expect(peer.satisfiesPrincipal(identityPrincipal(fx.org.members.client.serialized))).toBe(false);
    });

    it('throws MSP_BAD_PRINCIPAL for a malformed principal', () => {
      const peer = msp.deserializeIdentity(fx.org.members.peer.serialized);
      const bad = new MSPPrincipal();
      bad.setPrincipalClassification(MSPPrincipal.Classification.ROLE);
      bad.setPrincipal(new Uint8Array([0x0a, 0x7f, 0x01]));
      expectMspError(() => peer.satisfiesPrincipal(bad), MspErrorCode.BadPrincipal);
      const ou = new OrganizationUnit();
      ou.setMspIdentifier(mspId);
      ou.setOrganizationalUnitIdentifier('no-such-ou');
      const ouPrincipal = new MSPPrincipal();
      ouPrincipal.setPrincipalClassification(MSPPrincipal.Classification.ORGANIZATION_UNIT);
      ouPrincipal.setPrincipal(ou.serializeBinary());
      expect(peer.satisfiesPrincipal(ouPrincipal)).toBe(false);
    });

    it('refuses an identity of another MSP and undecodable bytes', () => {
      expectMspError(() => msp.deserializeIdentity(fx.otherOrg.member.serialized), MspErrorCode.IdMismatch);
      expectMspError(() => msp.deserializeIdentity(new Uint8Array([0x0a, 0xff, 0xff, 0x01])), MspErrorCode.BadIdentity);
    });

    it('dispatches through the manager on the msp id, and names unknown MSPs', () => {
      const manager = fx.provider.createManager([msp, otherMsp]);
      expect([...manager.mspIds()].sort()).toEqual([mspId, otherMsp.id].sort());
      expect(manager.getMsp(mspId)).toBe(msp);
      expect(manager.getMsp('NoSuchMSP')).toBeUndefined();
      expect(manager.deserializeIdentity(fx.org.members.client.serialized).mspId).toBe(mspId);
      expect(manager.deserializeIdentity(fx.otherOrg.member.serialized).mspId).toBe(otherMsp.id);
      const only = fx.provider.createManager([msp]);
      expectMspError(() => only.deserializeIdentity(fx.otherOrg.member.serialized), MspErrorCode.Unknown);
      expectMspError(() => manager.deserializeIdentity(new Uint8Array([0x12, 0x05, 0x01])), MspErrorCode.BadIdentity);
    });

    it('loads a local signing identity whose signatures its channel MSP accepts', () => {
      const { dir, mspId: localId } = fx.localMsp;
      const channelMsp = fx.provider.createMsp(fx.provider.loadMspConfig(dir, localId));
      const signer = fx.provider.loadSigningIdentity(dir, localId);
      const sig = signer.sign(MESSAGE);
      expect(signer.verify(MESSAGE, sig)).toBe(true);
      const seen = channelMsp.deserializeIdentity(signer.serialized);
      expect(() => seen.validate()).not.toThrow();
      expect(seen.verify(MESSAGE, sig)).toBe(true);
    });

    it('loads the local MSP and its signer in one read, as the two loads apart make them', () => {
      const { dir, mspId: localId } = fx.localMsp;
      const { msp: local, signer } = fx.provider.loadLocalMsp(dir, localId);
      expect(local.id).toBe(localId);
      expect(local.version).toBe(NEWEST_MSP_VERSION);
      expect(Buffer.from(local.config.serializeBinary())).toEqual(Buffer.from(fx.provider.loadMspConfig(dir, localId).serializeBinary()));
      expect(Buffer.from(signer.serialized)).toEqual(Buffer.from(fx.provider.loadSigningIdentity(dir, localId).serialized));
      const sig = signer.sign(MESSAGE);
      expect(local.deserializeIdentity(signer.serialized).verify(MESSAGE, sig)).toBe(true);
      expect(() => local.deserializeIdentity(signer.serialized).validate()).not.toThrow();
    });

    it('says which part of a local MSP folder failed: its MSP or its signer', () => {
      const { dir, mspId: localId } = fx.localMsp;
      const partOf = (remove: string): unknown => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-msp-conformance-'));
        try {
          fs.cpSync(dir, copy, { recursive: true });
          fs.rmSync(path.join(copy, remove), { recursive: true, force: true });
          fx.provider.loadLocalMsp(copy, localId);
          return 'loaded';
        } catch (err) {
          expect(err).toBeInstanceOf(MspError);
          return (err as MspError).details.part;
        } finally {
          fs.rmSync(copy, { recursive: true, force: true });
        }
      };
      const [mspPart, signerPart]: LocalMspPart[] = ['msp', 'signer'];
      expect([partOf('cacerts'), partOf('keystore'), partOf('signcerts')]).toEqual([mspPart, signerPart, signerPart]);
    });
  });
}
