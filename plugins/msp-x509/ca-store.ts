import { createHash, verify as cryptoVerify, type X509Certificate } from 'node:crypto';
import * as pkijs from 'pkijs';
import { MspError } from '../../core/errors';
import { MspErrorCode } from '../../core/msp/msp-error-code';
import { normalizeSerial, parsePemCertificate, type ParsedCertificate } from './parsed-certificate';

/** One CA certificate of an MSP (root or intermediate) with what identity validation needs. */
export interface CaEntry {
  readonly cert: ParsedCertificate;
  readonly isRoot: boolean;
  /** This CA, then its issuers up to a root. */
  readonly chain: readonly CaEntry[];
  /**
   * SHA-256 over the DER of {@link chain}: Fabric's certifiers identifier of the identities this CA
   * issues (`getCertificationChainIdentifier`), and of a NodeOU/OU identifier naming this CA.
   */
  readonly certifiersId: Uint8Array;
  /** Hex SubjectKeyIdentifier; CRLs are matched to CAs by AKI = SKI, as Fabric does. */
  readonly subjectKeyId: string | undefined;
  /** Issued another CA of this MSP: Fabric rejects identities issued by such internal nodes. */
  readonly isInternal: boolean;
  /** Serials revoked by a CRL this CA signed. */
  readonly revoked: ReadonlySet<string>;
}

interface MutableCaEntry extends Omit<CaEntry, 'chain' | 'certifiersId' | 'isInternal' | 'revoked'> {
  chain: CaEntry[];
  certifiersId: Uint8Array;
  isInternal: boolean;
  revoked: Set<string>;
}

const OID_SUBJECT_KEY_ID = '2.5.29.14';
const OID_AUTHORITY_KEY_ID = '2.5.29.35';
const MAX_CHAIN_DEPTH = 8;

const CRL_HASHES: Readonly<Record<string, string | null>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};

function hex(view: ArrayBuffer | Uint8Array): string {
  return Buffer.from(view instanceof Uint8Array ? view : new Uint8Array(view)).toString('hex');
}

function subjectKeyIdOf(der: Uint8Array): string | undefined {
  const cert = pkijs.Certificate.fromBER(der);
  const ext = cert.extensions?.find((e) => e.extnID === OID_SUBJECT_KEY_ID);
  if (!ext) return undefined;
  const parsed = ext.parsedValue as { valueBlock?: { valueHexView?: Uint8Array } } | undefined;
  const view = parsed?.valueBlock?.valueHexView;
  return view && view.length > 0 ? hex(view) : undefined;
}

function badConfig(message: string, details: Record<string, unknown>, cause?: unknown): MspError {
  return new MspError(MspErrorCode.BadConfig, message, details, cause === undefined ? undefined : { cause });
}

/**
 * The CA certificates and CRLs of one MSP, checked once when the MSP is built: every intermediate
 * chains to a root along exactly one path, and CRL entries are attached to the CA that signed them.
 */
export class CaStore {
  readonly entries: readonly CaEntry[];

  constructor(mspId: string, roots: readonly Uint8Array[], intermediates: readonly Uint8Array[], crls: readonly Uint8Array[]) {
    if (roots.length === 0) throw badConfig(`MSP ${mspId}: root_certs is empty; an X.509 MSP needs at least one root CA`, { mspId });
    const parse = (pem: Uint8Array, field: string, isRoot: boolean): MutableCaEntry => {
      let cert: ParsedCertificate;
      try {
        cert = parsePemCertificate(pem, field);
      } catch (err) {
        throw badConfig(`MSP ${mspId}: ${(err as Error).message}`, { mspId, field }, err);
      }
      if (!cert.x509.ca) throw badConfig(`MSP ${mspId}: ${field} is not a CA certificate (BasicConstraints CA=false)`, { mspId, field });
      return { cert, isRoot, chain: [], certifiersId: new Uint8Array(), subjectKeyId: subjectKeyIdOf(cert.der), isInternal: false, revoked: new Set() };
    };
    const all: MutableCaEntry[] = [];
    // The same certificate listed twice must not count as two validation chains (Go's CertPool dedups too).
    const add = (entry: MutableCaEntry): void => {
      if (!all.some((e) => Buffer.compare(e.cert.der, entry.cert.der) === 0)) all.push(entry);
    };
    roots.forEach((pem, i) => add(parse(pem, `root_certs[${i}]`, true)));
    intermediates.forEach((pem, i) => add(parse(pem, `intermediate_certs[${i}]`, false)));
    this.entries = all;

    const resolve = (entry: MutableCaEntry, depth: number, field: string): CaEntry[] => {
      if (entry.chain.length > 0) return entry.chain;
      if (entry.isRoot) {
        entry.chain = [entry];
      } else {
        if (depth > MAX_CHAIN_DEPTH) throw badConfig(`MSP ${mspId}: ${field} chain is deeper than ${MAX_CHAIN_DEPTH} or loops`, { mspId, field });
        const issuers = this.findIssuers(entry.cert.x509).filter((e) => e !== entry) as MutableCaEntry[];
        if (issuers.length !== 1) {
          throw badConfig(
            `MSP ${mspId}: ${field} must chain to exactly one CA of the MSP, found ${issuers.length} issuers`,
            { mspId, field, issuers: issuers.length },
          );
        }
        issuers[0].isInternal = true;
        entry.chain = [entry, ...resolve(issuers[0], depth + 1, field)];
      }
      const hash = createHash('sha256');
      for (const ca of entry.chain) hash.update(ca.cert.der);
      entry.certifiersId = new Uint8Array(hash.digest());
      return entry.chain;
    };
    for (const entry of all) resolve(entry, 0, entry.isRoot ? 'a root certificate' : `intermediate ${entry.cert.x509.subject.replace(/\n/g, ', ')}`);
    crls.forEach((crl, i) => this.addCrl(mspId, crl, `revocation_list[${i}]`));
  }

  /** CAs of this MSP that issued `cert` (name/AKI match, then signature). Cheap filter first. */
  findIssuers(cert: X509Certificate): CaEntry[] {
    return this.entries.filter((ca) => cert.checkIssued(ca.cert.x509) && cert.verify(ca.cert.x509.publicKey));
  }

  /** The CA whose certificate is exactly `der`, if any (NodeOU and OU identifiers name CAs this way). */
  byDer(der: Uint8Array): CaEntry | undefined {
    return this.entries.find((ca) => Buffer.compare(ca.cert.der, der) === 0);
  }

  private addCrl(mspId: string, bytes: Uint8Array, field: string): void {
    let crl: pkijs.CertificateRevocationList;
    try {
      const text = Buffer.from(bytes).toString('latin1');
      const pem = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/.exec(text);
      const der = pem ? Buffer.from(pem[1].replace(/\s+/g, ''), 'base64') : Buffer.from(bytes);
      crl = pkijs.CertificateRevocationList.fromBER(der);
    } catch (err) {
      throw new MspError(MspErrorCode.BadCrl, `MSP ${mspId}: ${field} is not a PEM or DER X.509 CRL (${(err as Error).message})`, { mspId, field }, { cause: err });
    }
    const akiExt = crl.crlExtensions?.extensions.find((e) => e.extnID === OID_AUTHORITY_KEY_ID);
    const aki = akiExt?.parsedValue instanceof pkijs.AuthorityKeyIdentifier ? akiExt.parsedValue.keyIdentifier : undefined;
    if (!aki) {
      throw new MspError(MspErrorCode.BadCrl, `MSP ${mspId}: ${field} has no AuthorityKeyIdentifier; Fabric matches CRLs to CAs by it`, { mspId, field });
    }
    const akiHex = hex(aki.valueBlock.valueHexView);
    const hashAlg = CRL_HASHES[crl.signatureAlgorithm.algorithmId];
    const serials = (crl.revokedCertificates ?? []).map((rc) => normalizeSerial(hex(rc.userCertificate.valueBlock.valueHexView)));
    for (const ca of this.entries as MutableCaEntry[]) {
      if (ca.subjectKeyId !== akiHex || hashAlg === undefined) continue;
      // As Fabric: a CRL whose AKI names a CA counts only if that CA really signed it.
      const signature = crl.signatureValue.valueBlock.valueHexView;
      if (!cryptoVerify(hashAlg, crl.tbsView, ca.cert.publicKey, signature)) continue;
      for (const serial of serials) ca.revoked.add(serial);
    }
  }
}
