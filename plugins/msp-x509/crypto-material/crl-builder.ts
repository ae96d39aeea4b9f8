import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encodeTime, ensurePkiEngine, signPkiObject, type CertificateSigner } from './certificate-builder';
import { toPem } from './pem';

export interface RevokedEntry {
  /** Certificate serial number in hex (any case, leading zeros allowed). */
  readonly serialNumber: string;
  readonly revokedAt: Date;
}

export interface CrlSpec {
  readonly issuer: CertificateSigner;
  readonly revoked: readonly RevokedEntry[];
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: number;
  /** Leaves the AKI out: Fabric accepts such a CRL at setup and then fails every identity on it (for tests). */
  readonly omitAuthorityKeyId?: boolean;
}

function serialBytes(hex: string): ArrayBuffer {
  let clean = hex.replace(/^0+(?=.)/, '');
  if (clean.length % 2 === 1) clean = `0${clean}`;
  const bytes = Buffer.from(clean, 'hex');
  // A set top bit would read as negative: prefix a zero byte, as DER INTEGER requires.
  const out = bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
  return new Uint8Array(out).buffer;
}

/** Issues a v2 CRL with an AKI (Fabric matches CRLs to CAs by AKI = the CA's SKI) and a CRL number. */
export async function buildCrl(spec: CrlSpec): Promise<{ pem: string; der: Uint8Array }> {
  ensurePkiEngine();
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = spec.issuer.name;
  crl.thisUpdate = encodeTime(spec.thisUpdate);
  crl.nextUpdate = encodeTime(spec.nextUpdate);
  if (spec.revoked.length > 0) {
    crl.revokedCertificates = spec.revoked.map(
      (entry) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: serialBytes(entry.serialNumber) }),
          revocationDate: encodeTime(entry.revokedAt),
        }),
    );
  }
  const aki = new pkijs.AuthorityKeyIdentifier({
    keyIdentifier: new asn1js.OctetString({ valueHex: spec.issuer.subjectKeyId }),
  });
  crl.crlExtensions = new pkijs.Extensions({
    extensions: [
      ...(spec.omitAuthorityKeyId ? [] : [new pkijs.Extension({ extnID: '2.5.29.35', critical: false, extnValue: aki.toSchema().toBER(false) })]),
      new pkijs.Extension({
        extnID: '2.5.29.20',
        critical: false,
        extnValue: new asn1js.Integer({ value: spec.crlNumber }).toBER(false),
      }),
    ],
  });
  await signPkiObject(crl, spec.issuer.privateKey);
  const der = new Uint8Array(crl.toSchema(false).toBER(false));
  return { pem: toPem('X509 CRL', der), der };
}

/** What a CRL says, as far as extending it needs: who issued it, its number, whom it revokes. */
export interface CrlContents {
  /** The AKI keyIdentifier; undefined when the CRL has none (Fabric then fails every identity: see {@link CrlSpec}). */
  readonly authorityKeyId: Uint8Array | undefined;
  /** The CRL number extension; 0 when absent. */
  readonly crlNumber: number;
  readonly revoked: readonly RevokedEntry[];
}

const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const OID_CRL_NUMBER = '2.5.29.20';

/** Reads a CRL (PEM or DER). Throws when the bytes are no CRL. */
export function readCrl(bytes: Uint8Array): CrlContents {
  const text = Buffer.from(bytes).toString('latin1');
  const pem = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text);
  const der = pem === null ? bytes : Buffer.from(pem[1]!.replace(/\s+/g, ''), 'base64');
  const crl = pkijs.CertificateRevocationList.fromBER(new Uint8Array(der));
  let authorityKeyId: Uint8Array | undefined;
  let crlNumber = 0;
  for (const ext of crl.crlExtensions?.extensions ?? []) {
    if (ext.extnID === OID_AUTHORITY_KEY_ID) {
      const aki = pkijs.AuthorityKeyIdentifier.fromBER(ext.extnValue.valueBlock.valueHexView);
      authorityKeyId = aki.keyIdentifier === undefined ? undefined : new Uint8Array(aki.keyIdentifier.valueBlock.valueHexView);
    }
    if (ext.extnID === OID_CRL_NUMBER) {
      const parsed = asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result;
      if (parsed instanceof asn1js.Integer) crlNumber = Number(parsed.toBigInt());
    }
  }
  const revoked = (crl.revokedCertificates ?? []).map((entry) => ({
    serialNumber: Buffer.from(entry.userCertificate.valueBlock.valueHexView).toString('hex').toUpperCase().replace(/^0+(?=.)/, ''),
    revokedAt: entry.revocationDate.value,
  }));
  return { authorityKeyId, crlNumber, revoked };
}

export interface CrlExtension {
  readonly issuer: CertificateSigner;
  /** The issuer's earlier CRLs: their serials stay revoked (first revocation date kept) and the new CRL is numbered above them. */
  readonly earlier: readonly CrlContents[];
  /** Serials (hex) to add. */
  readonly serials: readonly string[];
  readonly now?: Date;
  /** How long the CRL says it holds; Fabric's MSP does not check nextUpdate, other tools may. Default a year. */
  readonly validForMs?: number;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

/**
 * The next CRL of a CA (what `fabric-ca-client revoke` + `gencrl` produce): every serial its earlier
 * CRLs list plus `serials`, with a CRL number one above the highest earlier one. Earlier CRLs of
 * other issuers (another AKI) are ignored, so a caller may pass every CRL an MSP holds.
 */
export async function extendCrl(spec: CrlExtension): Promise<{ pem: string; der: Uint8Array; crlNumber: number; revoked: readonly RevokedEntry[] }> {
  const now = spec.now ?? new Date();
  const ours = spec.earlier.filter((c) => c.authorityKeyId !== undefined && Buffer.from(c.authorityKeyId).equals(Buffer.from(spec.issuer.subjectKeyId)));
  const bySerial = new Map<string, RevokedEntry>();
  const normal = (hex: string): string => hex.toUpperCase().replace(/^0+(?=.)/, '');
  for (const entry of ours.flatMap((c) => c.revoked)) {
    const key = normal(entry.serialNumber);
    const seen = bySerial.get(key);
    if (seen === undefined || entry.revokedAt < seen.revokedAt) bySerial.set(key, { serialNumber: key, revokedAt: entry.revokedAt });
  }
  for (const serial of spec.serials) if (!bySerial.has(normal(serial))) bySerial.set(normal(serial), { serialNumber: normal(serial), revokedAt: now });
  const crlNumber = Math.max(0, ...ours.map((c) => c.crlNumber)) + 1;
  const revoked = [...bySerial.values()];
  const built = await buildCrl({
    issuer: spec.issuer,
    revoked,
    // Backdated a minute, as CertificateAuthority.crl does, so a node whose clock is a little behind takes it.
    thisUpdate: new Date(now.getTime() - 60000),
    nextUpdate: new Date(now.getTime() + (spec.validForMs ?? YEAR_MS)),
    crlNumber,
  });
  return { ...built, crlNumber, revoked };
}
