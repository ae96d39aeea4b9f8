import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { encodeTime, ensurePkiEngine, importSigningKey, lowSSignatureValue, type CertificateSigner } from './certificate-builder';
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
  const { key, hash } = await importSigningKey(spec.issuer.privateKey);
  await crl.sign(key, hash);
  crl.signatureValue = lowSSignatureValue(crl.signatureValue, spec.issuer.privateKey);
  const der = new Uint8Array(crl.toSchema(false).toBER(false));
  return { pem: toPem('X509 CRL', der), der };
}
