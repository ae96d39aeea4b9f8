import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConfigFile } from './config';

/** A file a certificate reload refuses, and why: the reload keeps what the node had. */
export class Refused extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** Extended key usages (RFC 5280 4.2.1.12) a TLS certificate is used for. */
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const ANY_USAGE = '2.5.29.37.0';

/** Whether `x509` may be used for `usage`: a certificate naming no extended key usage may be used for any. */
export function allows(x509: X509Certificate, usage: string): boolean {
  const usages = x509.keyUsage as string[] | undefined;
  return usages === undefined || usages.includes(usage) || usages.includes(ANY_USAGE);
}

/**
 * The CA certificates the node's TLS certificates are issued by: its local MSP's `tlscacerts/` and
 * `tlsintermediatecerts/` (Fabric's MSP folder), read at each reload (a CA renewal rewrites them).
 * None when the folders are absent or hold nothing that parses: the check is then skipped.
 */
export function tlsIssuers(mspDir: string): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const sub of ['tlscacerts', 'tlsintermediatecerts']) {
    const dir = path.join(mspDir, sub);
    let files: string[];
    try {
      files = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const file of files) {
      let text: string;
      try {
        text = fs.readFileSync(path.join(dir, file), 'utf8');
      } catch {
        continue;
      }
      for (const block of text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []) {
        try {
          out.push(new X509Certificate(block));
        } catch {
          // not a certificate: another file's business, not the reload's
        }
      }
    }
  }
  return out;
}

/** A client root file: readable, and every PEM block in it a certificate (one that did not parse would silently trust no one it issued). */
export function readRoot(file: string, field: string): Buffer {
  const bytes = Buffer.from(readOrRefuse(file, field));
  const text = bytes.toString('latin1');
  const blocks = text.includes('-----BEGIN') ? (text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []) : [bytes];
  if (blocks.length === 0) throw new Refused(file, `${field}: no CERTIFICATE block in the file`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (err) {
      throw new Refused(file, `${field}: a certificate does not parse: ${(err as Error).message}`);
    }
  }
  return bytes;
}

export function readOrRefuse(file: string, field: string): Uint8Array {
  try {
    return readConfigFile(file, field);
  } catch (err) {
    throw new Refused(file, (err as Error).message);
  }
}
