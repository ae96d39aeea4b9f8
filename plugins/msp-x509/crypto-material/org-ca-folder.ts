import { X509Certificate, createPrivateKey } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { ConfigError } from '../../../core/errors';
import type { OrgCaKind } from '../../../core/msp/crypto-material';
import type { CertificateSigner, DistinguishedName } from './certificate-builder';
import { memberKeyAlgorithmFor } from './key-pair';

/**
 * An org's CAs read back from its cryptogen-layout folder: `ca/` and `tlsca/` (certificate and
 * `priv_sk`) issue its members; an org made with `intermediateCa` keeps the roots that signed
 * them in `rootca/` and `tlsrootca/`, whose keys may be moved offline.
 */

/** A CA loaded from its certificate and key: what it signs with, and the location fields its subjects copy. */
export interface LoadedCa {
  readonly signer: CertificateSigner;
  readonly subject: Omit<DistinguishedName, 'organizationalUnits'>;
  readonly certPem: string;
  readonly certificate: X509Certificate;
  /** `ca.<domain>-cert.pem`: the file name the MSP folders give this certificate. */
  readonly fileName: string;
  /** The key every certificate it issues now gets: its own algorithm, as cryptogen gives an org one `PublicKeyAlgorithm`. */
  readonly memberKeyAlgorithm: 'P-256' | 'Ed25519';
  /** For an intermediate CA (`network init --intermediate-ca`): the root that signed it, as the org's MSP folder holds it. */
  readonly root?: { readonly certPem: string; readonly fileName: string };
}

const ATTRIBUTES: Record<string, keyof LoadedCa['subject']> = {
  '2.5.4.6': 'country',
  '2.5.4.8': 'province',
  '2.5.4.7': 'locality',
  '2.5.4.10': 'organization',
  '2.5.4.3': 'commonName',
};

/** A certificate's SubjectKeyIdentifier: what Fabric matches a CRL's AKI (and a chain's parent) by. */
export function skiOf(cert: pkijs.Certificate): Uint8Array | undefined {
  const ext = cert.extensions?.find((e) => e.extnID === '2.5.29.14');
  return ext === undefined ? undefined : new Uint8Array((asn1js.fromBER(ext.extnValue.valueBlock.valueHexView).result as asn1js.OctetString).valueBlock.valueHexView);
}

const CA_FOLDER_NAMES: Record<OrgCaKind, string> = { ca: 'the CA', tlsca: 'the TLS CA', rootca: 'the root CA', tlsrootca: 'the TLS root CA' };

/**
 * Loads the CA in `<orgDir>/<which>/` (its one certificate and `priv_sk`). Throws `CA_KEY_NOT_HERE`
 * when the key is absent, which is how a directory from `weft network export` looks, and
 * `ROOT_CA_KEY_NOT_HERE` for a root (`rootca/`, `tlsrootca/`) whose key was moved offline.
 */
export function loadOrgCa(orgDir: string, which: OrgCaKind): LoadedCa {
  const dir = path.join(orgDir, which);
  const keyPath = path.join(dir, 'priv_sk');
  const certs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('-cert.pem')) : [];
  if (!fs.existsSync(keyPath) || certs.length !== 1) {
    const root = which === 'rootca' || which === 'tlsrootca';
    throw new ConfigError(root ? 'ROOT_CA_KEY_NOT_HERE' : 'CA_KEY_NOT_HERE', `${CA_FOLDER_NAMES[which]} of ${path.basename(orgDir)} is not here: ${fs.existsSync(keyPath) ? `expected one *-cert.pem in ${dir}` : `${keyPath} is absent`}`, {
      file: keyPath,
      suggestions: root
        ? [`renewing an org's intermediate CA, or its root, takes the root's key: put it back in ${keyPath} (from where it is kept offline) and run the command again`]
        : ['CA keys stay in the directory weft network init made (weft network export leaves them out): run this command there'],
    });
  }
  const certPem = fs.readFileSync(path.join(dir, certs[0]!), 'utf8');
  const certificate = new X509Certificate(certPem);
  const privateKey = createPrivateKey(fs.readFileSync(keyPath));
  const parsed = pkijs.Certificate.fromBER(certificate.raw);
  const subject: { -readonly [K in keyof LoadedCa['subject']]?: string } = {};
  for (const atv of parsed.subject.typesAndValues) {
    const field = ATTRIBUTES[atv.type];
    if (field !== undefined) subject[field] = String(atv.value.valueBlock.value);
  }
  const subjectKeyId = skiOf(parsed);
  if (subjectKeyId === undefined) throw new ConfigError('CA_CERT_INVALID', `${path.join(dir, certs[0]!)} has no SubjectKeyIdentifier; Fabric requires one on every CA`, { file: path.join(dir, certs[0]!) });
  // The issuer name is copied byte for byte from the CA's subject, as Go's x509 does.
  return {
    signer: { name: parsed.subject, subjectKeyId, privateKey },
    subject: { commonName: subject.commonName ?? '', ...subject },
    certPem,
    certificate,
    fileName: certs[0]!,
    memberKeyAlgorithm: memberKeyAlgorithmFor(privateKey),
    ...rootAbove(orgDir, which, certificate),
  };
}

/**
 * The root in the org's MSP folder (`msp/cacerts/`, or `msp/tlscacerts/` for a TLS CA) that signed
 * `certificate`, when it is not self-signed: every member's MSP folder gets it in `cacerts/` and
 * the intermediate in `intermediatecerts/`. `CA_CERT_INVALID` when no root there signed it.
 */
function rootAbove(orgDir: string, which: OrgCaKind, certificate: X509Certificate): { root?: LoadedCa['root'] } {
  if (certificate.issuer === certificate.subject && certificate.verify(certificate.publicKey)) return {};
  const dir = path.join(orgDir, 'msp', which === 'tlsca' || which === 'tlsrootca' ? 'tlscacerts' : 'cacerts');
  for (const fileName of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    const certPem = fs.readFileSync(path.join(dir, fileName), 'utf8');
    if (certificate.checkIssued(new X509Certificate(certPem)) && certificate.verify(new X509Certificate(certPem).publicKey)) return { root: { certPem, fileName } };
  }
  throw new ConfigError('CA_CERT_INVALID', `${certificate.subject.replace(/\n/g, ', ')} in ${path.join(orgDir, which)} is an intermediate CA, and no root in ${dir} signed it: its members' MSP folders need that root`, { file: dir });
}
