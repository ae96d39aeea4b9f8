import { X509Certificate, createHash, verify as cryptoVerify } from 'node:crypto';
import type { FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
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
      const cas = [...msp.getTlsRootCertsList_asU8(), ...msp.getTlsIntermediateCertsList_asU8()].flatMap((c) => parseCertificates(c, `${where} MSP ${name} TLS CA`, logger));
      crls.forEach((bytes, i) => {
        for (const crl of parseCrls(bytes, `${where} MSP ${name} revocation_list[${i}]`, logger)) {
          const ca = cas.find((c) => crlSignedBy(crl, c));
          if (ca !== undefined && crl.serials.size > 0) entries.push({ ca, serials: crl.serials, where: `${where}, MSP ${name}` });
        }
      });
    }
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

interface RevokingCa {
  readonly ca: X509Certificate;
  readonly serials: ReadonlySet<bigint>;
  readonly where: string;
}

interface ParsedCrl {
  readonly tbs: Uint8Array;
  readonly algorithm: string;
  readonly signature: Uint8Array;
  readonly serials: ReadonlySet<bigint>;
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

/** One DER element at `at` in `b`: its tag, where its contents start and where it ends. */
function tlv(b: Uint8Array, at: number): { tag: number; start: number; end: number } {
  if (at + 2 > b.length) throw new Error('truncated DER element');
  const tag = b[at]!;
  let len = b[at + 1]!;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > b.length) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[start + i]!;
    start += n;
  }
  if (start + len > b.length) throw new Error('truncated DER element');
  return { tag, start, end: start + len };
}

/** The elements inside a constructed element's contents. */
function children(b: Uint8Array, el: { start: number; end: number }): { tag: number; start: number; end: number; at: number }[] {
  const out: { tag: number; start: number; end: number; at: number }[] = [];
  for (let at = el.start; at < el.end; ) {
    const c = tlv(b, at);
    out.push({ ...c, at });
    at = c.end;
  }
  return out;
}

const OID_HASH: Readonly<Record<string, string | null>> = {
  '2a8648ce3d040302': 'sha256', // ecdsa-with-SHA256
  '2a8648ce3d040303': 'sha384',
  '2a8648ce3d040304': 'sha512',
  '2a864886f70d01010b': 'sha256', // sha256WithRSAEncryption
  '2a864886f70d01010c': 'sha384',
  '2a864886f70d01010d': 'sha512',
  '2b6570': null, // Ed25519
};

/** RFC 5280 CertificateList: the signed TBS bytes, the signature and its algorithm (OID bytes in hex), and the revoked serials. */
function parseCrl(der: Uint8Array): ParsedCrl {
  const top = tlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) throw new Error('not a DER SEQUENCE with nothing after it');
  const [tbsEl, algEl, sigEl] = children(der, top);
  if (tbsEl?.tag !== 0x30 || algEl?.tag !== 0x30 || sigEl?.tag !== 0x03) throw new Error('not a CertificateList');
  const oid = children(der, algEl)[0];
  if (oid?.tag !== 0x06) throw new Error('no signature algorithm OID');
  const serials = new Set<bigint>();
  // version? signature issuer thisUpdate nextUpdate? revokedCertificates? [0] extensions?
  const tbs = children(der, tbsEl);
  let i = tbs[0]?.tag === 0x02 ? 3 : 2; // past version, signature and issuer
  if (tbs[i]?.tag !== 0x17 && tbs[i]?.tag !== 0x18) throw new Error('no thisUpdate time');
  i++;
  if (tbs[i]?.tag === 0x17 || tbs[i]?.tag === 0x18) i++;
  const revoked = tbs[i]?.tag === 0x30 ? tbs[i] : undefined;
  for (const entry of revoked === undefined ? [] : children(der, revoked)) {
    const serial = children(der, entry)[0];
    if (serial?.tag !== 0x02) throw new Error('a revoked entry without a serial');
    serials.add(BigInt(`0x${Buffer.from(der.subarray(serial.start, serial.end)).toString('hex') || '0'}`));
  }
  return {
    tbs: der.subarray(tbsEl.at, tbsEl.end),
    algorithm: Buffer.from(der.subarray(oid.start, oid.end)).toString('hex'),
    // A BIT STRING's first content byte counts unused bits: always 0 for signatures.
    signature: der.subarray(sigEl.start + 1, sigEl.end),
    serials,
  };
}

function crlSignedBy(crl: ParsedCrl, ca: X509Certificate): boolean {
  const hash = OID_HASH[crl.algorithm];
  if (hash === undefined) return false;
  try {
    return cryptoVerify(hash, crl.tbs, ca.publicKey, crl.signature);
  } catch {
    return false;
  }
}
