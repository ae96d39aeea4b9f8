import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import { buildApplicationOrgGroup } from '../../../core/protocol/config-block';
import type { AnchorPeerAddress } from '../../../core/protocol/config-parse';
import { formatZodIssues } from '../../../core/node/zod-issues';
import { applicationOrgFrom } from './network-channels';
import { isPrintOrgGroup, orgGroupJson, withoutDefaults } from './org-group-json';
import { PeerOrgSpec } from './network-spec';
import { isPrivateKey } from './org-keys';
import { replaceFile } from '../../../core/node/durable-files';

/**
 * An org's definition: what a new org hands the channel's members so that they can add it, as
 * Fabric's new org hands over `configtxgen -printOrg Org3MSP > org3.json`. Certificates only:
 *
 * - `org`: the org as network.yaml lists it (names, its peers' hosts and ports, its users);
 * - `files`: every certificate of its cryptogen-layout folder (CA and TLS CA certificates, the
 *   MSP's config.yaml and CRLs, its peers' and users' certificates), by path inside the folder;
 * - `group`: its `/Channel/Application/<MSP ID>` config group in protolator JSON, exactly what
 *   `configtxgen -printOrg` prints, so a Fabric operator can splice it with jq. Members check it
 *   is the group the files make.
 */
export const OrgDefinition = z
  .object({
    format: z.literal('weft-org-definition'),
    version: z.literal(1),
    org: PeerOrgSpec,
    files: z.record(z.string(), z.string()),
    group: z.record(z.string(), z.unknown()),
  })
  .strict();
export type OrgDefinition = z.infer<typeof OrgDefinition>;

/** The file `weft network new-org` writes into the new org's directory. */
export const ORG_DEFINITION_FILE = 'org-definition.json';

const FORMAT = { format: 'weft-org-definition', version: 1 } as const;

/** Where an org's cryptogen-layout folder is under a directory holding `organizations/`. */
export function orgFolder(root: string, org: Pick<PeerOrgSpec, 'domain'>): string {
  return path.join(root, 'organizations', 'peerOrganizations', org.domain);
}

/**
 * The org's application config group from its folder's MSP: what a channel that adds it gets, with
 * `anchorPeers` (the org's first peer unless given: a printOrg group may name several).
 */
export function orgGroupOf(folder: string, org: PeerOrgSpec, anchorPeers?: readonly AnchorPeerAddress[]): ReturnType<typeof buildApplicationOrgGroup> {
  const app = applicationOrgFrom(path.join(folder, 'msp'), org);
  return buildApplicationOrgGroup(anchorPeers === undefined ? app : { ...app, anchorPeers: [...anchorPeers] });
}

/**
 * The anchor peers the definition's group names, in order (the org's first peer when it names
 * none): what the channel gets for the org once {@link layOutOrgDefinition} checked the group.
 */
export function definitionAnchorPeers(definition: OrgDefinition): AnchorPeerAddress[] {
  const values = definition.group.values as { AnchorPeers?: { value?: { anchor_peers?: unknown } } } | undefined;
  const listed = values?.AnchorPeers?.value?.anchor_peers;
  const anchors = Array.isArray(listed) ? listed.filter((a): a is AnchorPeerAddress => typeof a?.host === 'string' && typeof a?.port === 'number') : [];
  const first = definition.org.peers[0]!;
  return anchors.length > 0 ? anchors.map(({ host, port }) => ({ host, port })) : [{ host: first.host, port: first.port }];
}

/** The definition of the org whose folder is under `root`: every file but its private keys. */
export function orgDefinitionOf(root: string, org: PeerOrgSpec): OrgDefinition {
  const folder = orgFolder(root, org);
  const files: Record<string, string> = {};
  for (const entry of fs.readdirSync(folder, { recursive: true, withFileTypes: true })) {
    const file = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !isPrivateKey(file)) files[path.relative(folder, file).split(path.sep).join('/')] = fs.readFileSync(file, 'utf8');
  }
  return { ...FORMAT, org, files, group: orgGroupJson(orgGroupOf(folder, org)) };
}

const PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;

/** A certificate, a CRL, or the MSP's NodeOU config: all a definition's files may be. */
function allowedFile(rel: string, content: string): string | undefined {
  const parts = rel.split('/');
  if (rel.startsWith('/') || rel.includes('\\') || parts.some((p) => p === '' || p === '.' || p === '..')) return 'is not a relative path inside the org folder';
  if (parts.at(-1) === 'config.yaml') return parts.at(-2) === 'msp' ? undefined : 'config.yaml belongs in an msp folder';
  if (!/\.(pem|crt)$/.test(rel)) return 'is neither a certificate (.pem, .crt), a CRL (.pem) nor an msp/config.yaml';
  return /-----BEGIN (CERTIFICATE|X509 CRL)-----/.test(content) ? undefined : 'holds no PEM certificate or CRL';
}

/**
 * The first place in the parsed JSON that carries a private key: a PEM private key in any string
 * (also base64-encoded, as protolator writes bytes), a file named as a key, an MSP signing identity.
 */
function privateKeyIn(value: unknown, where: string): string | undefined {
  if (typeof value === 'string') {
    if (PRIVATE_KEY.test(value)) return where;
    if (value.length >= 40 && /^[A-Za-z0-9+/=\s]+$/.test(value) && PRIVATE_KEY.test(Buffer.from(value, 'base64').toString('latin1'))) return where;
    return undefined;
  }
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const found = privateKeyIn(v, `${where}[${i}]`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const at = where === '' ? k : `${where}.${k}`;
      if (where === 'files' && isPrivateKey(k)) return at;
      if (k === 'signing_identity' && v !== null && v !== undefined) return at;
      const found = privateKeyIn(v, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

function invalid(file: string, field: string, why: string): ConfigError {
  return new ConfigError('ORG_DEFINITION_INVALID', `${file}: ${field} ${why}`, {
    file,
    field,
    suggestions: ["pass the org-definition.json that weft network new-org wrote into the new org's directory, unchanged"],
  });
}

/**
 * Reads and checks an org definition: JSON of the shape above, no private key anywhere in it
 * (`ORG_DEFINITION_HAS_PRIVATE_KEY`: a definition goes to other companies), only certificates,
 * CRLs and MSP config.yaml files at paths inside the org's folder, an MSP root certificate.
 */
export function readOrgDefinition(file: string, flag = '--definition', fromPrintOrg?: (group: Record<string, unknown>, file: string) => OrgDefinition): OrgDefinition {
  const resolved = path.resolve(file);
  let text: string;
  try {
    text = fs.readFileSync(resolved, 'utf8');
  } catch (err) {
    throw new ConfigError('ORG_DEFINITION_NOT_FOUND', `${flag} ${resolved}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, {
      file: resolved,
      field: flag,
      suggestions: [`the new org writes it with: weft network new-org <its dir> --name <Org> (its dir/${ORG_DEFINITION_FILE})`],
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw invalid(resolved, flag, `is not JSON: ${(err as Error).message}`);
  }
  const keyAt = privateKeyIn(raw, '');
  if (keyAt !== undefined) {
    throw new ConfigError('ORG_DEFINITION_HAS_PRIVATE_KEY', `${resolved}: ${keyAt} holds a private key; an org definition carries certificates only`, {
      file: resolved,
      field: keyAt,
      suggestions: ['do not use this file: whoever received it may hold the key now. The new org makes new keys (weft network new-org <new dir>) and hands over only the org-definition.json it writes'],
    });
  }
  if (isPrintOrgGroup(raw)) {
    // What configtxgen -printOrg prints: the org's config group alone. Where the network is known
    // (add-org), what network.yaml lists of the org is derived from it and flags; elsewhere it is
    // named for what it is, not as garbage.
    if (fromPrintOrg !== undefined) return checkedFiles(fromPrintOrg(raw, resolved), resolved);
    throw invalid(resolved, 'format', 'is missing: this is a bare config group as configtxgen -printOrg prints it; here Weft takes the org-definition.json of weft network new-org, which carries that group under "group" with the org\'s certificates and peers (weft network add-org --definition takes either)');
  }
  const parsed = OrgDefinition.safeParse(raw);
  if (!parsed.success) {
    const field = parsed.error.issues[0]!.path.map(String).join('.') || flag;
    throw new ConfigError('ORG_DEFINITION_INVALID', formatZodIssues(resolved, parsed.error.issues), {
      file: resolved,
      field,
      suggestions: ["pass the org-definition.json that weft network new-org wrote into the new org's directory, unchanged"],
    });
  }
  return checkedFiles(parsed.data, resolved);
}

/** Only certificates, CRLs and MSP config.yaml files at paths inside the org's folder, an MSP root certificate. */
function checkedFiles(definition: OrgDefinition, resolved: string): OrgDefinition {
  for (const [rel, content] of Object.entries(definition.files)) {
    const why = allowedFile(rel, content);
    if (why !== undefined) throw invalid(resolved, `files["${rel}"]`, why);
  }
  if (!Object.keys(definition.files).some((rel) => rel.startsWith('msp/cacerts/'))) throw invalid(resolved, 'files', 'has no msp/cacerts/ certificate: the MSP needs its root CA');
  return definition;
}

/** The JSON path of the first place where `a` and `b` differ (`''`: the roots), undefined when they are equal. */
export function firstDifference(a: unknown, b: unknown, at = ''): string | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const found = firstDifference(a[i], b[i], `${at}[${i}]`);
      if (found !== undefined) return found;
    }
    return at;
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ra = a as Record<string, unknown>;
    const rb = b as Record<string, unknown>;
    for (const key of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) {
      const found = firstDifference(ra[key], rb[key], at === '' ? key : `${at}.${key}`);
      if (found !== undefined) return found;
    }
  }
  return at;
}

/**
 * Writes the definition's files as the org's folder under `root` and checks that they make the
 * config group the definition carries (`ORG_DEFINITION_MISMATCH` otherwise: the group a member
 * reviews must be the one the channel gets).
 */
export function layOutOrgDefinition(definition: OrgDefinition, root: string, file: string, printed = false): void {
  const folder = orgFolder(root, definition.org);
  for (const [rel, content] of Object.entries(definition.files)) {
    const dest = path.join(folder, ...rel.split('/'));
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.writeFileSync(dest, content);
  }
  // A printOrg group's anchor peers are as printed (the org's peers); Weft's definition names its first peer.
  const first = definition.org.peers[0]!;
  const anchors = printed ? definitionAnchorPeers(definition) : [{ host: first.host, port: first.port }];
  let made: Record<string, unknown>;
  try {
    made = orgGroupJson(orgGroupOf(folder, definition.org, anchors));
  } catch (err) {
    throw invalid(file, 'files', `do not make an MSP: ${(err as Error).message}`);
  }
  const at = printed ? firstDifference(withoutDefaults(made), withoutDefaults(definition.group)) : firstDifference(made, definition.group);
  if (at !== undefined) {
    // A printed group is the whole file: its path is the field. Weft's definition carries it under "group".
    const field = printed ? at || '(root)' : 'group';
    throw new ConfigError(
      'ORG_DEFINITION_MISMATCH',
      `${file}: ${printed ? at || 'the group' : `group${at === '' ? '' : `.${at}`}`} is not what the channel gets for MSP ${definition.org.mspId} (anchor peers ${anchors.map((a) => `${a.host}:${a.port}`).join(', ')}): expected ${JSON.stringify(valueAt(made, at)).slice(0, 200)}`,
      {
        file,
        field,
        ...(!printed && { at }),
        suggestions: printed
          ? ["Weft's channel config gives an org the test network's policies (Readers, Writers, Admins, Endorsement by NodeOU role) and its MSP as configtxgen reads it from the MSP folder: print the org with those, unchanged"]
          : ['ask the new org for the org-definition.json weft network new-org wrote, unchanged'],
      },
    );
  }
}

/** The value at a path {@link firstDifference} returned. */
function valueAt(value: unknown, at: string): unknown {
  let v = value;
  for (const part of at.match(/[^.[\]]+/g) ?? []) v = v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[part];
  return v ?? null;
}

/** Writes `definition` as JSON, whole or not at all. */
export function writeOrgDefinition(file: string, definition: OrgDefinition): void {
  replaceFile(file, `${JSON.stringify(definition, null, 2)}\n`);
}
