/**
 * The certificate fields fabric-shim's `ClientIdentity` derives (fabric-shim 2.5 `lib/chaincode.js`,
 * through `@fidm/x509`), read from the DER so every certificate gives the string a chaincode sees on
 * a Fabric peer. Node's `X509Certificate.subject` cannot serve: OpenSSL prints a multi-valued RDN as
 * `OU=client + OU=org1` and escapes RFC 2253 characters, where fabric-shim lists each attribute as
 * its own `/OU=…`. Fabric CA writes such RDNs for every identity with an affiliation (Go's
 * `pkix.Name` puts all `OU` values in one SET), so `getID()` differed for most Fabric CA users.
 */
import { DerError, DerReader, oidToString, TAG, type DerElement } from '../protocol/der-reader';

/** What `ClientIdentity` shows of a certificate. */
export interface ShimCertificateFields {
  /** `/C=US/ST=…/OU=client/OU=org1/CN=user1`, one `/name=value` per attribute in DER order. */
  readonly subjectDN: string;
  readonly issuerDN: string;
  /** The raw JSON of the Fabric CA attribute extension (OID 1.2.3.4.5.6.7.8.1), if present. */
  readonly fabricAttrs?: string;
}

const FABRIC_CERT_ATTR_OID = '1.2.3.4.5.6.7.8.1';

/** @fidm/x509's short names; every other attribute type has the empty short name (`/=value`). */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '1.2.840.113549.1.9.1': 'E',
};

const SET = 0x31;
const EXTENSIONS = 0xa3;

function formatName(name: DerElement): string {
  let out = '';
  const rdns = new DerReader(name.content);
  while (!rdns.done) {
    const attributes = new DerReader(rdns.read(SET).content);
    while (!attributes.done) {
      const attribute = new DerReader(attributes.read(TAG.SEQUENCE).content);
      const type = oidToString(attribute.read(TAG.OID).content);
      // fabric-shim escapes only the first '/' of a value (String.replace with a string pattern).
      const value = Buffer.from(attribute.read().content).toString('utf8').replace('/', '\\/');
      out += `/${SHORT_NAMES[type] ?? ''}=${value}`;
    }
  }
  return out;
}

function fabricAttrsOf(extensions: DerElement | undefined): string | undefined {
  if (extensions === undefined) return undefined;
  const list = new DerReader(new DerReader(extensions.content).read(TAG.SEQUENCE).content);
  while (!list.done) {
    const extension = new DerReader(list.read(TAG.SEQUENCE).content);
    const id = oidToString(extension.read(TAG.OID).content);
    extension.readOptional(TAG.BOOLEAN);
    const value = extension.read(TAG.OCTET_STRING).content;
    if (id === FABRIC_CERT_ATTR_OID) return Buffer.from(value).toString('utf8');
  }
  return undefined;
}

/**
 * The {@link ShimCertificateFields} of a DER certificate. Throws `DerError` when the DER does not
 * hold an X.509 certificate's TBS layout.
 */
export function shimCertificateFields(der: Uint8Array): ShimCertificateFields {
  const certificate = new DerReader(new DerReader(der).read(TAG.SEQUENCE).content);
  const tbs = new DerReader(certificate.read(TAG.SEQUENCE).content);
  tbs.readOptional(0xa0); // version
  tbs.read(TAG.INTEGER); // serial number
  tbs.read(TAG.SEQUENCE); // signature algorithm
  const issuer = tbs.read(TAG.SEQUENCE);
  tbs.read(TAG.SEQUENCE); // validity
  const subject = tbs.read(TAG.SEQUENCE);
  tbs.read(TAG.SEQUENCE); // subject public key info
  tbs.readOptional(0x81); // issuer unique ID
  tbs.readOptional(0x82); // subject unique ID
  const fabricAttrs = fabricAttrsOf(tbs.readOptional(EXTENSIONS));
  if (!tbs.done) throw new DerError('unexpected element after the TBS certificate extensions');
  return { subjectDN: formatName(subject), issuerDN: formatName(issuer), ...(fabricAttrs !== undefined ? { fabricAttrs } : {}) };
}
