/**
 * A small in-memory MSP for the policy conformance suite: real ECDSA P-256 keys (node:crypto),
 * real `SerializedIdentity` bytes, roles and OUs set by hand instead of read from certificates.
 * It lets any policy plugin be tested without an X.509 MSP plugin (core never imports plugins).
 * Not for production: there is no certificate chain behind these identities.
 */
import { createHash, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../errors';
import type { Identity, MspRole, SigningIdentity } from '../msp/identity';
import type { IdentityDeserializer } from '../msp/msp';

/** The role a test identity holds (its NodeOU); `member` is not a role an identity holds. */
export type ConformanceRole = Exclude<MspRole, 'member'>;

const ROLE_OF_TYPE: Readonly<Record<number, MspRole>> = {
  [MSPRole.MSPRoleType.MEMBER]: 'member',
  [MSPRole.MSPRoleType.ADMIN]: 'admin',
  [MSPRole.MSPRoleType.CLIENT]: 'client',
  [MSPRole.MSPRoleType.PEER]: 'peer',
  [MSPRole.MSPRoleType.ORDERER]: 'orderer',
};

const key = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

class ConformanceIdentity implements SigningIdentity {
  readonly id: string;
  readonly expiresAt = new Date('2099-12-31T23:59:59Z');
  readonly organizationalUnits: readonly string[];

  constructor(
    private readonly owner: ConformanceMsp,
    readonly mspId: string,
    readonly role: ConformanceRole,
    readonly serialized: Uint8Array,
    readonly idBytes: Uint8Array,
    readonly publicKey: KeyObject,
    private readonly privateKey: KeyObject | undefined,
  ) {
    this.id = createHash('sha256').update(idBytes).digest('hex');
    this.organizationalUnits = [role];
  }

  validate(): void {
    this.owner.validations++;
    if (this.owner.isRevoked(this.id)) {
      throw new MspError('MSP_REVOKED', `identity ${this.id.slice(0, 16)}… of ${this.mspId} is revoked`, { mspId: this.mspId });
    }
  }

  verify(message: Uint8Array, signature: Uint8Array): boolean {
    this.owner.verifications++;
    try {
      return verify('sha256', message, this.publicKey, signature);
    } catch {
      return false;
    }
  }

  verifyAsync(message: Uint8Array, signature: Uint8Array): Promise<boolean> {
    return Promise.resolve(this.verify(message, signature));
  }

  sign(message: Uint8Array): Uint8Array {
    if (this.privateKey === undefined) throw new MspError('MSP_NO_KEY', 'identity has no private key', {});
    return new Uint8Array(sign('sha256', message, this.privateKey));
  }

  /** As Fabric's MSP: the principals below all require a valid identity, so a revoked one satisfies none. */
  satisfiesPrincipal(principal: MSPPrincipal): boolean {
    const bytes = principal.getPrincipal_asU8();
    if (this.owner.isRevoked(this.id)) return false;
    switch (principal.getPrincipalClassification()) {
      case MSPPrincipal.Classification.ROLE: {
        const role = MSPRole.deserializeBinary(bytes);
        const wanted = ROLE_OF_TYPE[role.getRole()];
        if (wanted === undefined) throw new MspError('MSP_BAD_PRINCIPAL', `unknown MSPRole type ${role.getRole()}`, {});
        return role.getMspIdentifier() === this.mspId && (wanted === 'member' || wanted === this.role);
      }
      case MSPPrincipal.Classification.ORGANIZATION_UNIT: {
        const ou = OrganizationUnit.deserializeBinary(bytes);
        return ou.getMspIdentifier() === this.mspId && this.organizationalUnits.includes(ou.getOrganizationalUnitIdentifier());
      }
      case MSPPrincipal.Classification.IDENTITY:
        return Buffer.from(bytes).equals(Buffer.from(this.serialized));
      default:
        throw new MspError('MSP_BAD_PRINCIPAL', `unsupported principal classification ${principal.getPrincipalClassification()}`, {});
    }
  }
}

/** An {@link IdentityDeserializer} over identities created in-process; counts what it does. */
export class ConformanceMsp implements IdentityDeserializer {
  /** Calls to `Identity.verify`, for tests that check each signature is verified at most once. */
  verifications = 0;
  /** Calls to `Identity.validate`. */
  validations = 0;
  /** Calls to `deserializeIdentity`. */
  deserializations = 0;
  private readonly identities = new Map<string, ConformanceIdentity>();
  private readonly mspIds = new Set<string>();
  private readonly revoked = new Set<string>();
  private counter = 0;

  constructor(mspIds: readonly string[] = []) {
    for (const id of mspIds) this.mspIds.add(id);
  }

  /** A new identity of `mspId` (which becomes known to this deserializer) with a fresh P-256 key. */
  createIdentity(mspId: string, role: ConformanceRole, name = `${role}${++this.counter}`): SigningIdentity {
    this.mspIds.add(mspId);
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const idBytes = new TextEncoder().encode(`-----BEGIN CONFORMANCE IDENTITY-----\n${name}@${mspId} ${role}\n${pem}`);
    const serialized = serialize(mspId, idBytes);
    const identity = new ConformanceIdentity(this, mspId, role, serialized, idBytes, publicKey, privateKey);
    this.identities.set(key(serialized), identity);
    return identity;
  }

  /**
   * Another byte encoding of the same identity (an unknown protobuf field appended), which
   * deserializes to a distinct object with the same msp id and id: duplicates are detected by
   * identity, not by bytes.
   */
  aliasOf(identity: Identity): Uint8Array {
    const original = this.identities.get(key(identity.serialized));
    if (original === undefined) throw new MspError('MSP_UNKNOWN_IDENTITY', 'not an identity of this MSP', {});
    const alias = new Uint8Array([...identity.serialized, 0x18, 0x01]); // field 3, varint 1
    const copy = new ConformanceIdentity(this, original.mspId, original.role, alias, original.idBytes, original.publicKey, undefined);
    this.identities.set(key(alias), copy);
    return alias;
  }

  /** Identity `serialized` claims an MSP this deserializer does not know. */
  foreignIdentity(mspId: string): Uint8Array {
    return serialize(mspId, new TextEncoder().encode(`-----BEGIN CONFORMANCE IDENTITY-----\nstranger@${mspId}\n`));
  }

  /** Makes `identity` fail validation from now on (as a CRL entry would). */
  revoke(identity: Identity): void {
    this.revoked.add(identity.id);
  }

  isRevoked(id: string): boolean {
    return this.revoked.has(id);
  }

  deserializeIdentity(serialized: Uint8Array): Identity {
    this.deserializations++;
    let decoded: SerializedIdentity;
    try {
      decoded = SerializedIdentity.deserializeBinary(serialized);
    } catch (err) {
      throw new MspError('MSP_BAD_IDENTITY', `not a SerializedIdentity: ${String(err)}`, {});
    }
    const mspId = decoded.getMspid();
    if (!this.mspIds.has(mspId)) {
      throw new MspError('MSP_UNKNOWN', `MSP ${mspId} is unknown (known: ${[...this.mspIds].join(', ')})`, { mspId });
    }
    const identity = this.identities.get(key(serialized));
    if (identity === undefined) throw new MspError('MSP_BAD_IDENTITY', `identity not issued by ${mspId}`, { mspId });
    return identity;
  }
}

function serialize(mspId: string, idBytes: Uint8Array): Uint8Array {
  const s = new SerializedIdentity();
  s.setMspid(mspId);
  s.setIdBytes(idBytes);
  return s.serializeBinary();
}
