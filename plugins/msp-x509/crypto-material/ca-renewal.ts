import { X509Certificate, createPublicKey, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ConfigError } from '../../../core/errors';
import { encodeTime, ensurePkiEngine, randomSerial, serialToHex, signPkiObject } from './certificate-builder';
import { toPem } from './pem';

/**
 * Whether two certificates are the same CA for every certificate it issued: same encoded subject
 * and same public key. Go's verifier (and Fabric's MSP with it) picks a parent by subject and checks
 * the signature with its key, so a leaf chains to either; serial, validity and signature may differ.
 */
export function sameCaIdentity(a: X509Certificate, b: X509Certificate): boolean {
  const rawSubject = (c: X509Certificate): Buffer => Buffer.from(pkijs.Certificate.fromBER(c.raw).subject.toSchema().toBER(false));
  const spki = (c: X509Certificate): Buffer => Buffer.from(c.publicKey.export({ type: 'spki', format: 'der' }));
  return rawSubject(a).equals(rawSubject(b)) && spki(a).equals(spki(b));
}

/** A root CA certificate re-issued by {@link reissueRootCertificate}. */
export interface ReissuedRoot {
  readonly certPem: string;
  readonly certificate: X509Certificate;
  readonly serialNumber: string;
}

/**
 * Re-issues a self-signed CA certificate: the same to-be-signed certificate (subject, key, SKI,
 * extensions, byte for byte) with a new serial and `notAfter`, signed again with the CA's key.
 * `notBefore` is kept, not moved to now: Fabric's MSP checks a chain at the leaf's NotBefore + 1s
 * (`msp/mspimplvalidate.go` getValidityOptsForCert), so a root younger than the leaves it must
 * certify would fail every identity issued before it. `field` names the flag for the typed errors:
 * `CA_NOT_ROOT` (an intermediate is renewed by its parent), `CA_KEY_MISMATCH`, `BAD_NOT_AFTER`.
 */
export async function reissueRootCertificate(current: X509Certificate, privateKey: KeyObject, notAfter: Date, field: string, now = new Date()): Promise<ReissuedRoot> {
  const name = current.subject.replace(/\n/g, ', ');
  if (current.issuer !== current.subject || !current.verify(current.publicKey)) {
    throw new ConfigError('CA_NOT_ROOT', `${name} is not self-signed: its issuer ${current.issuer.replace(/\n/g, ', ')} renews it`, { field });
  }
  const spki = (k: KeyObject): Buffer => Buffer.from(k.export({ type: 'spki', format: 'der' }));
  if (!spki(createPublicKey(privateKey)).equals(spki(current.publicKey))) {
    throw new ConfigError('CA_KEY_MISMATCH', `the CA key here is not the key of ${name}: a certificate signed with it would certify nothing the CA issued`, { field });
  }
  if (notAfter.getTime() <= now.getTime()) {
    throw new ConfigError('BAD_NOT_AFTER', `the renewed ${name} would end ${notAfter.toISOString()}, not after now (${now.toISOString()})`, { field: '--days', notAfter: notAfter.toISOString() });
  }
  ensurePkiEngine();
  const cert = pkijs.Certificate.fromBER(current.raw);
  const serial = randomSerial();
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.notBefore = encodeTime(new Date(current.validFrom));
  cert.notAfter = encodeTime(notAfter);
  // Signing re-encodes the TBS from the parsed fields: subject and extensions come out as they were read.
  await signPkiObject(cert, privateKey);
  const certPem = toPem('CERTIFICATE', new Uint8Array(cert.toSchema(false).toBER(false)));
  const certificate = new X509Certificate(certPem);
  if (!certificate.verify(certificate.publicKey) || !sameCaIdentity(certificate, current)) {
    throw new Error(`re-issuing ${name} changed its subject or key: refusing it`);
  }
  return { certPem, certificate, serialNumber: serialToHex(serial) };
}
