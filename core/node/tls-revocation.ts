import { X509Certificate, createHash } from 'node:crypto';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { DerReader, TAG } from '../protocol/der-reader';
import { parseGoPublicKey } from '../protocol/go-public-key';
import { goCheckSignature, goSignatureAlgorithm, type GoSignatureAlgorithm } from '../protocol/go-signature';
import type { Logger } from './logger';

/**
 * The TLS certificates the channel configs (and the node's local MSP) revoke: for each MSP, every
 * CRL of its `revocation_list` signed by one of its TLS CAs (`tls_root_certs`,
 * `tls_intermediate_certs`) gives that CA's revoked serials. A CRL of the org's signing CA is
 * signed by another key and adds nothing here, as the MSP's identity checks ignore a TLS CA's CRL
 * (Fabric matches a CRL to the issuer whose SKI is the CRL's AKI, `validateCertAgainstChain`).
 *
 * Fabric checks no CRL on TLS handshakes; Weft refuses a revoked TLS certificate on both ends of a
 * connection, so a leaked TLS key of a removed node or user cannot even open one. Immutable: a
 * config change builds a new one. Lookups are by serial first, so the issuer's signature is only
 * verified for a certificate whose serial some CRL lists.
 */
export class TlsRevocations {
  static readonly NONE = new TlsRevocations([]);

  private readonly bySerial = new Map<bigint, RevokingCa[]>();
  /** Stable text naming every revoked (CA, serial): equal for equal sets, so connections can be keyed by it. */
  readonly digest: string;

  private constructor(private readonly entries: readonly RevokingCa[]) {
    for (const e of entries) {
      for (const s of e.serials) {
        const list = this.bySerial.get(s) ?? [];
        list.push(e);
        this.bySerial.set(s, list);
      }
    }
    const parts = entries.map((e) => `${e.ca.fingerprint256}:${[...e.serials].sort().join(',')}`).sort();
    this.digest = parts.length === 0 ? '' : createHash('sha256').update(parts.join('\n')).digest('hex');
  }

  /**
   * The revocations in `msps`' revocation lists that their TLS CAs signed. `where` names the source
   * in reasons and warnings (e.g. "channel mychannel"); a CRL or CA that does not parse is left out
   * with a warning, so one bad entry cannot make every handshake fail.
   */
  static fromMsps(msps: Iterable<FabricMSPConfig>, where: string, logger?: Logger): TlsRevocations {
    const entries: RevokingCa[] = [];
    for (const msp of msps) {
      const name = msp.getName();
      const crls = msp.getRevocationListList_asU8();
      if (crls.length === 0) continue;
      const cas = [...msp.getTlsRootCertsList_asU8(), ...msp.getTlsIntermediateCertsList_asU8()];
      entries.push(...revokingCas(cas, crls, { logged: `${where} MSP ${name}`, reason: `${where}, MSP ${name}`, crlsField: 'revocation_list' }, logger));
    }
    return entries.length === 0 ? TlsRevocations.NONE : new TlsRevocations(entries);
  }

  /**
   * The revocations of `crls` (PEM or DER files' bytes) that one of `tlsCas` signed, as
   * {@link fromMsps} takes them from an MSP: for a client that has an MSP folder's `crls/` and the
   * server's TLS CA at hand rather than a channel config (the CLI).
   */
  static fromCrls(tlsCas: readonly Uint8Array[], crls: readonly Uint8Array[], where: string, logger?: Logger): TlsRevocations {
    const entries = crls.length === 0 ? [] : revokingCas(tlsCas, crls, { logged: where, reason: where, crlsField: 'crls' }, logger);
    return entries.length === 0 ? TlsRevocations.NONE : new TlsRevocations(entries);
  }

  /** Every revocation of `lists` (the channels' and the local MSP's). */
  static union(lists: Iterable<TlsRevocations>): TlsRevocations {
    const entries = [...lists].flatMap((l) => l.entries);
    return entries.length === 0 ? TlsRevocations.NONE : new TlsRevocations(entries);
  }

  get empty(): boolean {
    return this.entries.length === 0;
  }

  /** Why `cert` is revoked (its serial on a CRL of the TLS CA that issued it), or undefined when it is not. */
  revocationOf(cert: X509Certificate): string | undefined {
    if (this.entries.length === 0) return undefined;
    const serial = BigInt(`0x${cert.serialNumber}`);
    for (const e of this.bySerial.get(serial) ?? []) {
      // The serial alone is not enough: another CA may have issued the same number.
      if (cert.checkIssued(e.ca) && cert.verify(e.ca.publicKey)) {
        return `TLS certificate serial ${serial.toString(16)} (${commonName(cert.subject)}) is on the CRL of TLS CA ${commonName(e.ca.subject)} (${e.where})`;
      }
    }
    return undefined;
  }

  /** {@link revocationOf} for DER or PEM bytes; a certificate that does not parse is not revoked here (the TLS handshake refused it already). */
  revocationOfBytes(raw: Uint8Array): string | undefined {
    if (this.entries.length === 0) return undefined;
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(raw);
    } catch {
      return undefined;
    }
    return this.revocationOf(cert);
  }
}

/**
 * A TLS client's `checkServerIdentity` (Node's, as grpc-js's `VerifyOptions` takes it) that, after
 * Node's host name check, refuses a server whose certificate `revocations()` revokes (read at each
 * handshake, so a reconnection sees a CRL that came since), telling `onRevoked` why.
 */
export function refuseRevokedServer(revocations: () => TlsRevocations, onRevoked?: (reason: string) => void): (host: string, cert: PeerCertificate) => Error | undefined {
  return (host, cert) => {
    const wrongHost = checkServerIdentity(host, cert);
    if (wrongHost !== undefined) return wrongHost;
    const reason = cert.raw === undefined ? undefined : revocations().revocationOfBytes(cert.raw);
    if (reason === undefined) return undefined;
    onRevoked?.(reason);
    return new Error(`the server's ${reason}`);
  };
}

interface RevokingCa {
  readonly ca: X509Certificate;
  readonly serials: ReadonlySet<bigint>;
  readonly where: string;
}

interface ParsedCrl {
  readonly tbs: Uint8Array;
  /** As Go reads the CRL's AlgorithmIdentifier (RSASSA-PSS needs its parameters); undefined when Go knows none. */
  readonly algorithm: GoSignatureAlgorithm | undefined;
  readonly signature: Uint8Array;
  readonly serials: ReadonlySet<bigint>;
}

/** For each CRL of `crls` that one of `tlsCas` signed and that lists a serial: that CA and the serials. */
function revokingCas(
  tlsCas: readonly Uint8Array[],
  crls: readonly Uint8Array[],
  source: { readonly logged: string; readonly reason: string; readonly crlsField: string },
  logger?: Logger,
): RevokingCa[] {
  const cas = tlsCas.flatMap((c) => parseCertificates(c, `${source.logged} TLS CA`, logger));
  const out: RevokingCa[] = [];
  crls.forEach((bytes, i) => {
    for (const crl of parseCrls(bytes, `${source.logged} ${source.crlsField}[${i}]`, logger)) {
      const ca = cas.find((c) => crlSignedBy(crl, c));
      if (ca !== undefined && crl.serials.size > 0) out.push({ ca, serials: crl.serials, where: source.reason });
    }
  });
  return out;
}

function commonName(subject: string): string {
  return /(?:^|\n)CN=([^\n]*)/.exec(subject)?.[1] ?? subject.replace(/\n/g, ', ');
}

function parseCertificates(bytes: Uint8Array, where: string, logger?: Logger): X509Certificate[] {
  const text = Buffer.from(bytes).toString('latin1');
  const blocks = text.includes('-----BEGIN') ? (text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) : [bytes];
  return blocks.flatMap((b) => {
    try {
      return [new X509Certificate(b)];
    } catch (err) {
      logger?.warn({ where, err: (err as Error).message }, 'a TLS CA certificate does not parse; its CRL is not applied to TLS connections');
      return [];
    }
  });
}

function parseCrls(bytes: Uint8Array, where: string, logger?: Logger): ParsedCrl[] {
  const text = Buffer.from(bytes).toString('latin1');
  const ders = text.includes('-----BEGIN')
    ? (text.match(/-----BEGIN X509 CRL-----[\s\S]*?-----END X509 CRL-----/g) ?? []).map((b) => Buffer.from(b.replace(/-----[A-Z0-9 ]+-----|\s/g, ''), 'base64'))
    : [Buffer.from(bytes)];
  return ders.flatMap((der) => {
    try {
      return [parseCrl(der)];
    } catch (err) {
      logger?.warn({ where, err: (err as Error).message }, 'a CRL does not parse; it is not applied to TLS connections');
      return [];
    }
  });
}

const TIME_TAGS = new Set([0x17, 0x18]); // UTCTime, GeneralizedTime

/** RFC 5280 CertificateList: the signed TBS bytes, the signature and its algorithm, and the revoked serials. */
function parseCrl(der: Uint8Array): ParsedCrl {
  const top = new DerReader(der);
  const list = new DerReader(top.read(TAG.SEQUENCE).content);
  if (!top.done) throw new Error('trailing data after the CRL');
  const tbsEl = list.read(TAG.SEQUENCE);
  const algorithm = goSignatureAlgorithm(list.read(TAG.SEQUENCE).raw);
  const signatureBits = list.read(TAG.BIT_STRING).content;
  // version? signature issuer thisUpdate nextUpdate? revokedCertificates? [0] extensions?
  const tbs = new DerReader(tbsEl.content);
  tbs.readOptional(TAG.INTEGER);
  tbs.read(TAG.SEQUENCE);
  tbs.read(TAG.SEQUENCE);
  if (!TIME_TAGS.has(tbs.read().tag)) throw new Error('no thisUpdate time');
  if (TIME_TAGS.has(tbs.peekTag() ?? -1)) tbs.read();
  const serials = new Set<bigint>();
  const revoked = tbs.readOptional(TAG.SEQUENCE);
  for (const entries = new DerReader(revoked?.content ?? new Uint8Array(0)); !entries.done; ) {
    const serial = new DerReader(entries.read(TAG.SEQUENCE).content).read(TAG.INTEGER).content;
    // Unsigned, as X509Certificate.serialNumber reads a certificate's.
    serials.add(BigInt(`0x${Buffer.from(serial).toString('hex') || '0'}`));
  }
  return {
    tbs: tbsEl.raw,
    algorithm,
    // A BIT STRING's first content byte counts unused bits: always 0 for signatures.
    signature: signatureBits.subarray(1),
    serials,
  };
}

/** As the MSP checks a CRL's signature (Go's `CheckCRLSignature`: SHA-1 allowed, MD5 not, RSASSA-PSS in Go's parameter sets). */
function crlSignedBy(crl: ParsedCrl, ca: X509Certificate): boolean {
  let go;
  try {
    go = parseGoPublicKey(new Uint8Array(ca.publicKey.export({ type: 'spki', format: 'der' })));
  } catch {
    return false;
  }
  return goCheckSignature(crl.algorithm, crl.tbs, crl.signature, { go, node: ca.publicKey }, true) === undefined;
}
