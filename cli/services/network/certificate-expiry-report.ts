import * as fs from 'node:fs';
import * as path from 'node:path';
import { certificateNotAfter } from '../../../core/node/certificate-expiry';
import type { OrgCaKind } from '../../../core/msp/crypto-material';
import { intermediateCasOf } from './org-intermediate';
import type { NetworkLayout, NodeLayout, UserLayout } from './network-layout';

/** How far ahead `weft network status` flags a certificate: time to renew it and restart before it expires. */
export const EXPIRY_SOON_DAYS = 30;

const DAY_MS = 86_400_000;

/** When the soonest of an identity's certificates (enrollment, TLS) expires. */
export interface CertificateExpiry {
  /** Its `notAfter`, ISO 8601. */
  readonly notAfter: string;
  /** The certificate that expires first. */
  readonly certPath: string;
  /** Whole days left; negative once expired. */
  readonly daysLeft: number;
  /** `expiring`: within {@link EXPIRY_SOON_DAYS}. */
  readonly state: 'valid' | 'expiring' | 'expired';
}

/** One CA of an org: every certificate it issued stops verifying when it expires. */
export interface CaExpiry extends CertificateExpiry {
  readonly org: string;
  readonly mspId: string;
  /** The issuing CA (`ca`, `tlsca`), or for an org issuing from intermediates the root above it (`rootca`, `tlsrootca`). */
  readonly ca: OrgCaKind;
}

/** The soonest-expiring of `files` that exist and hold a certificate; undefined when none does (another org's keys, seen from an export). */
export function soonestExpiry(files: readonly string[], now: Date = new Date()): CertificateExpiry | undefined {
  let soonest: { file: string; notAfter: Date } | undefined;
  for (const file of files) {
    if (!fs.existsSync(file)) continue;
    const notAfter = certificateNotAfter(fs.readFileSync(file));
    if (notAfter !== undefined && (soonest === undefined || notAfter < soonest.notAfter)) soonest = { file, notAfter };
  }
  if (soonest === undefined) return undefined;
  const left = soonest.notAfter.getTime() - now.getTime();
  return {
    notAfter: soonest.notAfter.toISOString(),
    certPath: soonest.file,
    daysLeft: Math.floor(left / DAY_MS),
    state: left <= 0 ? 'expired' : left < EXPIRY_SOON_DAYS * DAY_MS ? 'expiring' : 'valid',
  };
}

function signCerts(mspDir: string): string[] {
  const dir = path.join(mspDir, 'signcerts');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

/**
 * A node's certificates in use: its enrollment certificate, and its TLS certificate wherever it
 * serves TLS (an orderer always; a peer with network TLS on, or an operations endpoint on HTTPS).
 */
export function nodeCertificateFiles(layout: NetworkLayout, node: NodeLayout): string[] {
  const tls = node.kind === 'orderer' || layout.spec.tls || node.operationsTls;
  return [...signCerts(node.mspDir), ...(tls ? [path.join(node.tlsDir, 'server.crt')] : [])];
}

/** A user's certificates in use: its enrollment certificate, and its TLS client certificate under mutual TLS. */
export function userCertificateFiles(layout: NetworkLayout, user: UserLayout): string[] {
  return [user.certPath, ...(layout.spec.mutualTls ? [user.tlsCertPath] : [])];
}

/**
 * Where an org's MSP folder holds each of its CAs: `cacerts/` and `tlscacerts/` its CA and TLS CA;
 * for an org issuing from intermediates, those are its roots, and `intermediatecerts/`,
 * `tlsintermediatecerts/` its CA and TLS CA.
 */
function caFolders(mspDir: string): [OrgCaKind, string][] {
  if (!intermediateCasOf(path.dirname(mspDir))) return [['ca', 'cacerts'], ['tlsca', 'tlscacerts']];
  return [['rootca', 'cacerts'], ['ca', 'intermediatecerts'], ['tlsrootca', 'tlscacerts'], ['tlsca', 'tlsintermediatecerts']];
}

/** Every org's CA and TLS CA (and the roots above intermediates), read from the org MSP folders (present in every copy of the network). */
export function caExpiries(layout: NetworkLayout, now: Date = new Date()): CaExpiry[] {
  const orgs = [
    { name: layout.spec.ordererOrg.name, mspId: layout.spec.ordererOrg.mspId, mspDir: path.join(layout.ordererOrgDir(), 'msp') },
    ...layout.networkSpec.orgs.map((o) => ({ name: o.name, mspId: o.mspId, mspDir: layout.orgMspDir(o) })),
  ];
  return orgs.flatMap((org) =>
    caFolders(org.mspDir).flatMap(([ca, folder]) => {
      const dir = path.join(org.mspDir, folder);
      const files = fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => path.join(dir, f)) : [];
      const expiry = soonestExpiry(files, now);
      return expiry === undefined ? [] : [{ org: org.name, mspId: org.mspId, ca, ...expiry }];
    }),
  );
}
