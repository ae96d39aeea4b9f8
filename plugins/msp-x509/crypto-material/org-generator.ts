import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import { ORG_KEY_ALGORITHMS } from '../../../core/msp/crypto-material';
import { withTokenKeys } from '../token-key-generation';
import { CertificateAuthority, type CaOptions, type IssuedCertificate, type IssueOptions } from './certificate-authority';
import { keyAlgorithmOf } from './key-pair';
import type { NodeOuRole } from './test-org';

const HOST_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$/;
const DOMAIN = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/** One organization to generate, like an entry of cryptogen's `crypto-config.yaml`. */
export const OrgSpec = z.object({
  domain: z.string().regex(DOMAIN, 'a DNS domain such as org1.example.com'),
  mspId: z.string().min(1),
  kind: z.enum(['peer', 'orderer']),
  /** Host names without the domain: `peer0` becomes `peer0.<domain>`. Default `peer0` / `orderer`. */
  nodes: z.array(z.string().regex(HOST_LABEL, 'a host label such as peer0')).optional(),
  /** User names without the domain; `Admin` gets the admin OU, others the client OU. Default `Admin`, plus `User1` for peer orgs. */
  users: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a user name such as User1')).optional(),
  /** Extra subjectAltNames (DNS names or IPs) added to every node TLS certificate. */
  sans: z.array(z.string().min(1)).default([]),
  /** Extra subjectAltNames for one node's TLS certificate, by host label. */
  nodeSans: z.record(z.string(), z.array(z.string().min(1))).default({}),
  country: z.string().optional(),
  province: z.string().optional(),
  locality: z.string().optional(),
  /** A PKCS#11 token every member's signing key is generated in; no keystore file is written then. */
  signingKeys: z.object({ library: z.string().min(1), label: z.string().min(1), pin: z.string().min(1) }).strict().optional(),
  /**
   * cryptogen's `PublicKeyAlgorithm`: the key of the CA, the TLS CA, and every node's and user's
   * signing and TLS key (`internal/cryptogen/msp` `GenerateLocalMSP`, `ca.NewCA`). A token makes P-256
   * keys only, so `ed25519` goes without `signingKeys`.
   */
  keyAlgorithm: z.enum(ORG_KEY_ALGORITHMS).default('ecdsa'),
  /**
   * A root CA and an intermediate CA it signs, for signing and for TLS, as a Fabric CA deployment
   * keeps its root offline: see {@link generateOrg} for where each lands.
   */
  intermediateCa: z.boolean().default(false),
}).refine((s) => s.keyAlgorithm !== 'ed25519' || s.signingKeys === undefined, {
  message: 'ed25519 keys cannot be generated in the PKCS#11 token (it makes P-256 keys): leave signingKeys out, or use ecdsa',
  path: ['keyAlgorithm'],
});
export type OrgSpec = z.input<typeof OrgSpec>;

/** Paths of one generated node or user (`peers/<name>`, `orderers/<name>` or `users/<name>`). */
export interface GeneratedMember {
  /** Fully qualified: `peer0.org1.example.com`, `Admin@org1.example.com`. */
  readonly name: string;
  readonly role: NodeOuRole;
  readonly dir: string;
  readonly mspDir: string;
  readonly signCertPath: string;
  /** `msp/keystore/priv_sk`; absent when the key was generated in a token. */
  readonly keyPath: string;
  readonly tlsDir: string;
  readonly tlsCaPath: string;
  readonly tlsCertPath: string;
  readonly tlsKeyPath: string;
}

export interface GeneratedOrg {
  readonly domain: string;
  readonly mspId: string;
  readonly kind: 'peer' | 'orderer';
  /** `<baseDir>/organizations/{peer,orderer}Organizations/<domain>`. */
  readonly orgDir: string;
  /** The org-level MSP folder (no keys): what goes into the channel config. */
  readonly mspDir: string;
  readonly caCertPath: string;
  readonly caKeyPath: string;
  readonly tlsCaCertPath: string;
  readonly tlsCaKeyPath: string;
  /** With `intermediateCa`: the roots above the issuing CAs (`rootca/`, `tlsrootca/`), certificate and key. */
  readonly roots?: { readonly caCertPath: string; readonly caKeyPath: string; readonly tlsCaCertPath: string; readonly tlsCaKeyPath: string };
  /** By short host name (`peer0`). */
  readonly nodes: Readonly<Record<string, GeneratedMember>>;
  /** By short user name (`Admin`, `User1`). */
  readonly users: Readonly<Record<string, GeneratedMember>>;
  /** With `signingKeys`: destroys the keys made in the token, for a caller that throws this org away. */
  readonly discardSigningKeys?: () => void;
}

/**
 * The NodeOUs `config.yaml` cryptogen writes into every MSP folder, naming the issuing CA's
 * certificate: `cacerts/<file>` for a root, `intermediatecerts/<file>` for an intermediate, as
 * fabric-ca-client writes it for an intermediate CA. Not the root: Fabric's MSP matches a NodeOU by
 * the hash of the chain above the identity (`validateIdentityOUsV142`), which starts at its issuer.
 */
export function nodeOusConfigYaml(caCertFile: string, folder: 'cacerts' | 'intermediatecerts' = 'cacerts'): string {
  const id = (ou: NodeOuRole): Record<string, string> => ({
    Certificate: `${folder}/${caCertFile}`,
    OrganizationalUnitIdentifier: ou,
  });
  return stringify({
    NodeOUs: {
      Enable: true,
      ClientOUIdentifier: id('client'),
      PeerOUIdentifier: id('peer'),
      AdminOUIdentifier: id('admin'),
      OrdererOUIdentifier: id('orderer'),
    },
  });
}

class Writer {
  constructor(readonly root: string) {}
  file(rel: string, content: string, secret = false): string {
    const full = path.join(this.root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
    const mode = secret ? 0o600 : 0o644;
    fs.writeFileSync(full, content, { mode });
    fs.chmodSync(full, mode); // the process umask must not loosen (or tighten) what cryptogen writes
    return rel;
  }
  dir(rel: string): void {
    fs.mkdirSync(path.join(this.root, rel), { recursive: true, mode: 0o755 });
  }
}

/**
 * Generates one organization's crypto material with cryptogen's folder layout under
 * `<baseDir>/organizations/`. With `intermediateCa`, `ca/` and `tlsca/` hold the issuing
 * intermediates (certificate and `priv_sk`, so every later issue reads them as before), and
 * `rootca/` and `tlsrootca/` the roots that signed them, whose keys may then be moved offline;
 * every MSP folder holds the roots in `cacerts/`/`tlscacerts/` and the intermediates in
 * `intermediatecerts/`/`tlsintermediatecerts/`, and `tls/ca.crt` both TLS CAs. Writes into a temporary sibling folder and renames it into place, so
 * a failure leaves nothing behind (nor keys in `signingKeys`' token); refuses to overwrite an
 * existing org folder.
 */
export async function generateOrg(spec: OrgSpec, baseDir: string): Promise<GeneratedOrg> {
  const parsed = OrgSpec.safeParse(spec);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError('CRYPTO_SPEC_INVALID', `org spec ${issue.path.join('.') || '(root)'}: ${issue.message}`, {
      path: issue.path.join('.'),
    });
  }
  const s = parsed.data;
  const domain = s.domain;
  const orgsDir = path.join(baseDir, 'organizations', s.kind === 'peer' ? 'peerOrganizations' : 'ordererOrganizations');
  const orgDir = path.join(orgsDir, domain);
  if (fs.existsSync(orgDir)) {
    throw new ConfigError('CRYPTO_MATERIAL_EXISTS', `${orgDir} already exists; remove it or choose another base directory`, {
      path: orgDir,
    });
  }
  const nodes = s.nodes ?? [s.kind === 'peer' ? 'peer0' : 'orderer'];
  const users = s.users ?? (s.kind === 'peer' ? ['Admin', 'User1'] : ['Admin']);
  const stray = Object.keys(s.nodeSans).find((host) => !nodes.includes(host));
  if (stray !== undefined) {
    throw new ConfigError('CRYPTO_SPEC_INVALID', `org spec nodeSans.${stray}: no node ${stray} in ${domain} (nodes: ${nodes.join(', ')})`, { path: `nodeSans.${stray}` });
  }
  const location = { country: s.country, province: s.province, locality: s.locality };

  const keyAlgorithm = keyAlgorithmOf(s.keyAlgorithm);
  const cas = await orgCas(domain, { organization: domain, ...location, keyAlgorithm }, s.intermediateCa);
  const { ca, tlsCa } = cas;
  const configYaml = nodeOusConfigYaml(cas.caFile, cas.root === undefined ? 'cacerts' : 'intermediatecerts');

  fs.mkdirSync(orgsDir, { recursive: true });
  const tmpDir = path.join(orgsDir, `.${domain}.tmp-${randomBytes(4).toString('hex')}`);
  const w = new Writer(tmpDir);
  const final = (rel: string): string => path.join(orgDir, rel);

  // The token opened before any of the org's files is written (a library, token or PIN that fails
  // leaves nothing); a failure destroys the keys made in it, whose certificates could sign nothing.
  return withTokenKeys(s.signingKeys, async (keys) => {
    const signingKey = async (options: IssueOptions): Promise<{ certPem: string; keyPem?: string }> => (keys === undefined ? ca.issue({ ...options, keyAlgorithm }) : ca.issueFor(options, keys.generate().publicKey));
    try {
      w.file(`ca/${cas.caFile}`, ca.certPem);
      w.file('ca/priv_sk', ca.keyPem, true);
      w.file(`tlsca/${cas.tlsCaFile}`, tlsCa.certPem);
      w.file('tlsca/priv_sk', tlsCa.keyPem, true);
      if (cas.root !== undefined) {
        w.file(`rootca/${cas.root.caFile}`, cas.root.ca.certPem);
        w.file('rootca/priv_sk', cas.root.ca.keyPem, true);
        w.file(`tlsrootca/${cas.root.tlsCaFile}`, cas.root.tlsCa.certPem);
        w.file('tlsrootca/priv_sk', cas.root.tlsCa.keyPem, true);
      }
      const mspCaCerts = (mspDir: string): void => {
        for (const [folder, file, pem] of mspCaFiles(cas)) w.file(`${mspDir}/${folder}/${file}`, pem);
        w.file(`${mspDir}/config.yaml`, configYaml);
      };
      mspCaCerts('msp');

      const member = async (
        dir: string,
        name: string,
        role: NodeOuRole,
        tlsPrefix: 'server' | 'client',
        sans: readonly string[] | undefined,
      ): Promise<GeneratedMember> => {
        const sign = await signingKey({ commonName: name, organizationalUnits: [role] });
        const tls: IssuedCertificate = await tlsCa.issue({ commonName: name, usage: 'tls', subjectAltNames: sans, keyAlgorithm });
        const signCert = w.file(`${dir}/msp/signcerts/${name}-cert.pem`, sign.certPem);
        const key = `${dir}/msp/keystore/priv_sk`;
        // A token key leaves keystore/ empty, as `weft msp import-key` does: how every tool tells where the key is.
        if (sign.keyPem === undefined) w.dir(`${dir}/msp/keystore`);
        else w.file(key, sign.keyPem, true);
        mspCaCerts(`${dir}/msp`);
        const tlsCaRel = w.file(`${dir}/tls/ca.crt`, tlsTrustBundle(cas.root?.tlsCa.certPem, tlsCa.certPem));
        const tlsCert = w.file(`${dir}/tls/${tlsPrefix}.crt`, tls.certPem);
        const tlsKey = w.file(`${dir}/tls/${tlsPrefix}.key`, tls.keyPem, true);
        return {
          name,
          role,
          dir: final(dir),
          mspDir: final(`${dir}/msp`),
          signCertPath: final(signCert),
          keyPath: final(key),
          tlsDir: final(`${dir}/tls`),
          tlsCaPath: final(tlsCaRel),
          tlsCertPath: final(tlsCert),
          tlsKeyPath: final(tlsKey),
        };
      };

      const nodeMembers: Record<string, GeneratedMember> = {};
      for (const host of nodes) {
        const fqdn = `${host}.${domain}`;
        const sans = [...new Set([fqdn, host, 'localhost', '127.0.0.1', ...s.sans, ...(s.nodeSans[host] ?? [])])];
        nodeMembers[host] = await member(`${s.kind}s/${fqdn}`, fqdn, s.kind, 'server', sans);
      }
      const userMembers: Record<string, GeneratedMember> = {};
      for (const user of users) {
        const name = `${user}@${domain}`;
        userMembers[user] = await member(`users/${name}`, name, user === 'Admin' ? 'admin' : 'client', 'client', [name]);
      }
      fs.renameSync(tmpDir, orgDir);
      return {
        domain,
        mspId: s.mspId,
        kind: s.kind,
        orgDir,
        mspDir: final('msp'),
        caCertPath: final(`ca/${cas.caFile}`),
        caKeyPath: final('ca/priv_sk'),
        tlsCaCertPath: final(`tlsca/${cas.tlsCaFile}`),
        tlsCaKeyPath: final('tlsca/priv_sk'),
        ...(cas.root !== undefined && {
          roots: {
            caCertPath: final(`rootca/${cas.root.caFile}`),
            caKeyPath: final('rootca/priv_sk'),
            tlsCaCertPath: final(`tlsrootca/${cas.root.tlsCaFile}`),
            tlsCaKeyPath: final('tlsrootca/priv_sk'),
          },
        }),
        nodes: nodeMembers,
        users: userMembers,
        ...(keys !== undefined && { discardSigningKeys: keys.discarder() }),
      };
    } catch (err) {
      fs.rmSync(tmpDir, { recursive: true, force: true });
      throw err;
    }
  });
}

/** An org's issuing CA and TLS CA, with the roots above them when they are intermediates. */
interface OrgCas {
  readonly ca: CertificateAuthority;
  readonly tlsCa: CertificateAuthority;
  readonly caFile: string;
  readonly tlsCaFile: string;
  readonly root?: { readonly ca: CertificateAuthority; readonly tlsCa: CertificateAuthority; readonly caFile: string; readonly tlsCaFile: string };
}

/**
 * cryptogen's `ca.<domain>` and `tlsca.<domain>` roots; with `intermediate`, each signs an
 * intermediate (`ica.<domain>`, `tlsica.<domain>`, the file names Weft gives the intermediates of
 * an org imported from `configtxgen -printOrg`) that issues every member, as a Fabric CA
 * intermediate server does.
 */
async function orgCas(domain: string, options: Omit<CaOptions, 'commonName'>, intermediate: boolean): Promise<OrgCas> {
  const ca = await CertificateAuthority.createRoot({ ...options, commonName: `ca.${domain}` });
  const tlsCa = await CertificateAuthority.createRoot({ ...options, commonName: `tlsca.${domain}` });
  const caFile = `ca.${domain}-cert.pem`;
  const tlsCaFile = `tlsca.${domain}-cert.pem`;
  if (!intermediate) return { ca, tlsCa, caFile, tlsCaFile };
  return {
    ca: await ca.createIntermediate({ ...options, commonName: `ica.${domain}` }),
    tlsCa: await tlsCa.createIntermediate({ ...options, commonName: `tlsica.${domain}` }),
    caFile: `ica.${domain}-cert.pem`,
    tlsCaFile: `tlsica.${domain}-cert.pem`,
    root: { ca, tlsCa, caFile, tlsCaFile },
  };
}

/** The CA certificates every MSP folder of the org holds, as `[folder, file, PEM]`: roots in `cacerts/`/`tlscacerts/`, intermediates beside them. */
function mspCaFiles(cas: OrgCas): [string, string, string][] {
  if (cas.root === undefined) return [['cacerts', cas.caFile, cas.ca.certPem], ['tlscacerts', cas.tlsCaFile, cas.tlsCa.certPem]];
  return [
    ['cacerts', cas.root.caFile, cas.root.ca.certPem],
    ['intermediatecerts', cas.caFile, cas.ca.certPem],
    ['tlscacerts', cas.root.tlsCaFile, cas.root.tlsCa.certPem],
    ['tlsintermediatecerts', cas.tlsCaFile, cas.tlsCa.certPem],
  ];
}

/**
 * A member's `tls/ca.crt`: what a client dialing it trusts. The TLS root alone for a root-issued
 * org; root and intermediate together otherwise, since a node presents its own certificate only
 * and a client must hold the whole chain to build it.
 */
export function tlsTrustBundle(rootPem: string | undefined, issuingPem: string): string {
  return rootPem === undefined ? issuingPem : `${rootPem.trimEnd()}\n${issuingPem}`;
}
