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
  return reissueCaCertificate(current, current, privateKey, notAfter);
}

/**
 * Re-issues an intermediate CA certificate as {@link reissueRootCertificate} re-issues a root: the
 * same to-be-signed certificate (subject, key, SKI, AKI, extensions) with a new serial and
 * `notAfter`, its `notBefore` kept, signed again by its issuer (`issuer`, whose key is
 * `issuerKey`), so every certificate the intermediate issued still chains through it. `notAfter`
 * is capped at the issuer's own end: a CA cannot outlive the root it chains to. Typed errors name
 * `field`: `CA_NOT_INTERMEDIATE` (a self-signed CA renews itself), `CA_KEY_MISMATCH` (the key
 * here is not `issuer`'s, or `issuer` did not sign `current`), `BAD_NOT_AFTER`, `CA_EXPIRED` (the
 * issuer ended: renew it first).
 */
export async function reissueIntermediateCertificate(current: X509Certificate, issuer: X509Certificate, issuerKey: KeyObject, notAfter: Date, field: string, now = new Date()): Promise<ReissuedRoot> {
  const name = current.subject.replace(/\n/g, ', ');
  const issuerName = issuer.subject.replace(/\n/g, ', ');
  if (current.issuer === current.subject && current.verify(current.publicKey)) {
    throw new ConfigError('CA_NOT_INTERMEDIATE', `${name} is self-signed: it is a root, renewed with its own key`, { field });
  }
  const spki = (k: KeyObject): Buffer => Buffer.from(k.export({ type: 'spki', format: 'der' }));
  if (!spki(createPublicKey(issuerKey)).equals(spki(issuer.publicKey)) || !current.verify(issuer.publicKey)) {
    throw new ConfigError('CA_KEY_MISMATCH', `the root key here is not the key that signed ${name} (${issuerName}): a certificate signed with it would not chain`, { field });
  }
  const issuerEnd = new Date(issuer.validTo);
  if (issuerEnd.getTime() <= now.getTime()) {
    throw new ConfigError('CA_EXPIRED', `${issuerName}, the root of ${name}, ended on ${issuerEnd.toISOString()}: renew the root first`, { field, notAfter: issuerEnd.toISOString() });
  }
  const capped = notAfter.getTime() < issuerEnd.getTime() ? notAfter : issuerEnd;
  if (capped.getTime() <= now.getTime()) {
    throw new ConfigError('BAD_NOT_AFTER', `the renewed ${name} would end ${capped.toISOString()}, not after now (${now.toISOString()})`, { field: '--days', notAfter: capped.toISOString() });
  }
  return reissueCaCertificate(current, issuer, issuerKey, capped);
}

/** `current`'s to-be-signed certificate with a new serial and `notAfter`, signed by `signingKey`; checked to verify under `issuer` with its subject and key unchanged. */
async function reissueCaCertificate(current: X509Certificate, issuer: X509Certificate, signingKey: KeyObject, notAfter: Date): Promise<ReissuedRoot> {
  const name = current.subject.replace(/\n/g, ', ');
  ensurePkiEngine();
  const cert = pkijs.Certificate.fromBER(current.raw);
  const serial = randomSerial();
  cert.serialNumber = new asn1js.Integer({ valueHex: serial });
  cert.notBefore = encodeTime(new Date(current.validFrom));
  cert.notAfter = encodeTime(notAfter);
  // Signing re-encodes the TBS from the parsed fields: subject and extensions come out as they were read.
  await signPkiObject(cert, signingKey);
  const certPem = toPem('CERTIFICATE', new Uint8Array(cert.toSchema(false).toBER(false)));
  const certificate = new X509Certificate(certPem);
  if (!certificate.verify(issuer === current ? certificate.publicKey : issuer.publicKey) || !sameCaIdentity(certificate, current)) {
    throw new Error(`re-issuing ${name} changed its subject or key: refusing it`);
  }
  return { certPem, certificate, serialNumber: serialToHex(serial) };
}
