import { X509Certificate } from 'node:crypto';
import { stringify } from 'yaml';
import { ConfigError } from '../../../core/errors';
import { NodeHost } from './node-hosts';
import { machineOf, type NetworkSpec, PeerOrgSpec, type PeerSpec } from './network-spec';
import type { OrgDefinition } from './org-definition';

/**
 * A Fabric org's `configtxgen -printOrg <Org>` JSON as an org definition: what Fabric's "Adding an
 * Org to a Channel" tutorial hands over. It is the org's channel config group alone, so what
 * network.yaml lists of an org and the group does not say comes from flags (or is derived):
 *
 * - MSP ID: `values.MSP.value.config.name`; name: the MSP ID without a trailing `MSP`;
 * - peers: the group's anchor peers, every one in order, else `--peer <host>:<port>[:<operations port>]`;
 * - domain: `--domain`, else the first peer's host without its first label (a DNS name of three
 *   labels or more), else `<name in lower case>.<orderer org's domain>`, as `new-org` names by default;
 * - files: the cryptogen-layout certificate folder the MSP config is read from (no peer or user
 *   certificate: none is handed over, and nothing of the org runs here).
 */
export interface PrintOrgOptions {
  /** `--peer`, repeatable: the org's peers when the group names no anchor peer. */
  readonly peers?: readonly string[];
  readonly domain?: string;
}

const MSP_CONFIG = 'values.MSP.value.config';


function invalid(file: string, field: string, why: string): ConfigError {
  return new ConfigError('ORG_DEFINITION_INVALID', `${file}: ${field} ${why}`, {
    file,
    field,
    suggestions: ["pass the org's configtxgen -printOrg <Org> output unchanged (or the org-definition.json of weft network new-org)"],
  });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function objectAt(file: string, value: unknown, field: string): Record<string, unknown> {
  if (!isObject(value)) throw invalid(file, field, `is ${value === undefined ? 'missing' : 'not an object'}`);
  return value;
}

/**
 * One MSP config entry from protolator's base64 of its bytes: the decoded text, byte for byte, as
 * configtxgen read it from one file of the MSP folder (a bundle of several PEM blocks stays one
 * entry, as Fabric's readPemFile keeps it and Weft's MSP folder reader does). Only looked at here:
 * the MSP plugin parses the rebuilt group as Fabric's MSP does (the first block of an entry).
 */
function pemOf(file: string, value: unknown, field: string, label: 'CERTIFICATE' | 'X509 CRL'): string {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw invalid(file, field, 'is not base64 (protolator writes bytes as base64)');
  const bytes = Buffer.from(value, 'base64');
  if (!bytes.toString('latin1').includes(`-----BEGIN ${label}-----`)) throw invalid(file, field, `holds no PEM "${label}" block (base64 of the PEM file, as configtxgen reads it from the MSP folder)`);
  if (label === 'CERTIFICATE') {
    try {
      // OpenSSL reads the first certificate block, as Go's pem.Decode in Fabric's getCertFromPem.
      new X509Certificate(bytes);
    } catch (err) {
      throw invalid(file, field, `is not an X.509 certificate: ${(err as Error).message}`);
    }
  }
  return bytes.toString('latin1');
}

function pemList(file: string, config: Record<string, unknown>, key: string, label: 'CERTIFICATE' | 'X509 CRL'): string[] {
  const value = config[key];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(file, `${MSP_CONFIG}.${key}`, 'is not a list');
  return value.map((v, i) => pemOf(file, v, `${MSP_CONFIG}.${key}[${i}]`, label));
}

/** Where each list of the MSP config goes in the folder; file names sort in list order, as the MSP reads them back. */
const FOLDERS = [
  ['root_certs', 'cacerts', 'CERTIFICATE', (d: string) => `ca.${d}-cert.pem`],
  ['intermediate_certs', 'intermediatecerts', 'CERTIFICATE', (d: string) => `ica.${d}-cert.pem`],
  ['admins', 'admincerts', 'CERTIFICATE', (d: string) => `Admin@${d}-cert.pem`],
  ['tls_root_certs', 'tlscacerts', 'CERTIFICATE', (d: string) => `tlsca.${d}-cert.pem`],
  ['tls_intermediate_certs', 'tlsintermediatecerts', 'CERTIFICATE', (d: string) => `tlsica.${d}-cert.pem`],
  ['revocation_list', 'crls', 'X509 CRL', (d: string) => `crl.${d}.pem`],
] as const;

interface OuYaml {
  Certificate?: string;
  OrganizationalUnitIdentifier: string;
}

/** config.yaml's OU identifiers; each certificate is the MSP folder's file holding the same bytes, or one of its own. */
function ouYaml(file: string, value: unknown, field: string, files: Record<string, string>): OuYaml {
  const ou = objectAt(file, value, field);
  const id = ou.organizational_unit_identifier;
  if (typeof id !== 'string' || id === '') throw invalid(file, `${field}.organizational_unit_identifier`, 'is not a non-empty string');
  if (ou.certificate === undefined || ou.certificate === null || ou.certificate === '') return { OrganizationalUnitIdentifier: id };
  const pem = pemOf(file, ou.certificate, `${field}.certificate`, 'CERTIFICATE');
  let rel = Object.keys(files).find((k) => k.startsWith('msp/') && files[k] === pem);
  if (rel === undefined) {
    rel = `msp/oucerts/ou-${Object.keys(files).filter((k) => k.startsWith('msp/oucerts/')).length}.pem`;
    files[rel] = pem;
  }
  return { Certificate: rel.slice('msp/'.length), OrganizationalUnitIdentifier: id };
}

function configYaml(file: string, config: Record<string, unknown>, files: Record<string, string>): string | undefined {
  const yaml: Record<string, unknown> = {};
  const ous = config.organizational_unit_identifiers;
  if (Array.isArray(ous) && ous.length > 0) {
    yaml.OrganizationalUnitIdentifiers = ous.map((ou, i) => ouYaml(file, ou, `${MSP_CONFIG}.organizational_unit_identifiers[${i}]`, files));
  }
  const nodeOus = config.fabric_node_ous;
  if (nodeOus !== undefined && nodeOus !== null) {
    const n = objectAt(file, nodeOus, `${MSP_CONFIG}.fabric_node_ous`);
    const out: Record<string, unknown> = { Enable: n.enable === true };
    for (const [key, name] of [
      ['client_ou_identifier', 'ClientOUIdentifier'],
      ['peer_ou_identifier', 'PeerOUIdentifier'],
      ['admin_ou_identifier', 'AdminOUIdentifier'],
      ['orderer_ou_identifier', 'OrdererOUIdentifier'],
    ] as const) {
      if (n[key] !== undefined && n[key] !== null) out[name] = ouYaml(file, n[key], `${MSP_CONFIG}.fabric_node_ous.${key}`, files);
    }
    yaml.NodeOUs = out;
  }
  return Object.keys(yaml).length === 0 ? undefined : stringify(yaml);
}

/**
 * The anchor peers the group names, in order (configtxgen prints the value only when configtx.yaml
 * lists some; Fabric orgs often list two, for availability). Each becomes one of the org's peers.
 */
function anchorPeers(file: string, values: Record<string, unknown>): { host: string; port: number }[] | undefined {
  if (values.AnchorPeers === undefined) return undefined;
  const field = 'values.AnchorPeers.value.anchor_peers';
  const list = objectAt(file, objectAt(file, values.AnchorPeers, 'values.AnchorPeers').value, 'values.AnchorPeers.value').anchor_peers;
  if (!Array.isArray(list) || list.length === 0) throw invalid(file, field, 'is not a list of anchor peers');
  const anchors = list.map((p, i) => {
    const peer = objectAt(file, p, `${field}[${i}]`);
    if (typeof peer.host !== 'string' || !NodeHost.safeParse(peer.host).success) {
      throw invalid(file, `${field}[${i}].host`, `is ${JSON.stringify(peer.host)}: expected a DNS name or an IPv4 address`);
    }
    if (typeof peer.port !== 'number' || !Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65535) {
      throw invalid(file, `${field}[${i}].port`, `is ${JSON.stringify(peer.port)}: expected a port from 1 to 65535`);
    }
    return { host: peer.host, port: peer.port };
  });
  anchors.forEach((a, i) => {
    const first = anchors.findIndex((b) => machineOf(b.host) === machineOf(a.host) && b.port === a.port);
    if (first !== i) throw invalid(file, `${field}[${i}]`, `names ${a.host}:${a.port} again (${field}[${first}] is ${anchors[first]!.host}:${a.port}): list each peer once`);
  });
  return anchors;
}

function peerFlag(file: string, flag: string): { host: string; port: number; operationsPort?: number } {
  const m = /^([^:\s]+):(\d{1,5})(?::(\d{1,5}))?$/.exec(flag);
  if (m === null) throw new ConfigError('ADD_ORG_OPTIONS_INVALID', `--peer ${flag}: expected <host>:<port>[:<operations port>]`, { field: '--peer', value: flag, file });
  return { host: m[1]!, port: Number(m[2]), ...(m[3] !== undefined && { operationsPort: Number(m[3]) }) };
}

/**
 * Each peer's name in network.yaml: its host's first label when the host is in the org's domain
 * (peer0.org3.example.com), else `peer<i>`; names taken already (two peers on one host) get the
 * next free `peer<n>`, since the org's folders and --node tell its peers apart by name.
 */
function peerNames(hosts: readonly string[], domain: string): string[] {
  const taken = new Set<string>();
  return hosts.map((host, i) => {
    const [label, ...rest] = host.split('.');
    let name = rest.join('.') === domain && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(label!) ? label! : `peer${i}`;
    for (let n = i; taken.has(name); n++) name = `peer${n}`;
    taken.add(name);
    return name;
  });
}

/** The org's domain: `--domain`, else its first peer's DNS domain, else Weft's default for the name. */
function domainOf(options: PrintOrgOptions, host: string, name: string, spec: NetworkSpec): string {
  if (options.domain !== undefined) return options.domain;
  const labels = host.split('.');
  if (labels.length >= 3 && !/^\d+$/.test(labels.at(-1)!)) return labels.slice(1).join('.');
  return `${name.toLowerCase()}.${spec.ordererOrg.domain}`;
}

/**
 * The definition a bare printOrg group stands for, in this network (`spec`: names, ports and the
 * orderer org's domain). Refusals name the JSON path in the group, or the flag. The caller checks
 * the result as any definition: its files, and that they make exactly this group.
 */
export function definitionFromPrintOrg(group: Record<string, unknown>, file: string, spec: NetworkSpec, options: PrintOrgOptions): OrgDefinition {
  const values = objectAt(file, group.values, 'values');
  const msp = objectAt(file, objectAt(file, values.MSP, 'values.MSP').value, 'values.MSP.value');
  if (msp.type !== 0) throw invalid(file, 'values.MSP.value.type', `is ${JSON.stringify(msp.type)}: Weft's MSP is Fabric's X.509 MSP (type 0)`);
  const config = objectAt(file, msp.config, MSP_CONFIG);
  const mspId = config.name;
  if (typeof mspId !== 'string' || mspId === '') throw invalid(file, `${MSP_CONFIG}.name`, 'is not an MSP ID');
  if (spec.orgs.some((o) => o.mspId === mspId) || spec.ordererOrg.mspId === mspId) {
    throw new ConfigError('ORG_EXISTS', `${file}: ${MSP_CONFIG}.name — the network already has MSP ID ${mspId}`, {
      file,
      field: `${MSP_CONFIG}.name`,
      suggestions: ['the channel has this org already; an org with a new MSP ID prints its group again (configtxgen -printOrg)'],
    });
  }
  const anchors = anchorPeers(file, values);
  if (anchors !== undefined && options.peers !== undefined && options.peers.length > 0) {
    throw new ConfigError('CONFLICTING_FLAGS', `${file} names its anchor peers (values.AnchorPeers): it takes no --peer`, { field: '--peer', file });
  }
  const given: { host: string; port: number; operationsPort?: number }[] = anchors ?? (options.peers ?? []).map((p) => peerFlag(file, p));
  if (given.length === 0) {
    throw new ConfigError('ADD_ORG_OPTIONS_INVALID', `${file} names no anchor peer (values.AnchorPeers): say where the org's peers are with --peer <host>:<port> (repeatable)`, {
      field: '--peer',
      file,
      suggestions: ['the first --peer becomes the org\'s anchor peer in the channel config, so that the other orgs\' Gateways reach it'],
    });
  }
  const name = mspId.replace(/MSP$/, '').replace(/[^A-Za-z0-9]/g, '').replace(/^[^A-Za-z]+/, '') || 'Org';
  const domain = domainOf(options, given[0]!.host, name, spec);

  const files: Record<string, string> = {};
  const lists = Object.fromEntries(FOLDERS.map(([key, folder, label, single]) => {
    const pems = pemList(file, config, key, label);
    pems.forEach((pem, i) => (files[`msp/${folder}/${pems.length === 1 ? single(domain) : `${String(i).padStart(2, '0')}-${single(domain)}`}`] = pem));
    return [key, pems];
  })) as Record<(typeof FOLDERS)[number][0], string[]>;
  if (lists.root_certs.length === 0) throw invalid(file, `${MSP_CONFIG}.root_certs`, 'is empty: the MSP needs its root CA');
  if (spec.tls && lists.tls_root_certs.length === 0) throw invalid(file, `${MSP_CONFIG}.tls_root_certs`, "is empty: the network runs TLS, and the other orgs trust the org's peers through its TLS CA");
  const yaml = configYaml(file, config, files);
  if (yaml !== undefined) files['msp/config.yaml'] = yaml;
  // The cryptogen layout's org-level CA copies: node configs and clients read the org's TLS CA from tlsca/.
  files[`ca/ca.${domain}-cert.pem`] = lists.root_certs[0]!;
  const tlsRoots = lists.tls_root_certs.join('');
  if (tlsRoots !== '') files[`tlsca/tlsca.${domain}-cert.pem`] = tlsRoots;

  given.forEach((p, i) => {
    if (given.findIndex((q) => machineOf(q.host) === machineOf(p.host) && q.port === p.port) !== i) {
      throw new ConfigError('ADD_ORG_OPTIONS_INVALID', `--peer ${p.host}:${p.port}: another of the org's peers is at ${p.host}:${p.port} too`, { field: '--peer', file });
    }
  });
  const names = peerNames(given.map((p) => p.host), domain);
  // No operations port unless given: nothing of the org runs here, and network.yaml needs none for a peer whose keys are elsewhere.
  const peers: PeerSpec[] = given.map((p, i) => ({ name: names[i]!, host: p.host, port: p.port, ...(p.operationsPort !== undefined && { operationsPort: p.operationsPort }) }));
  // Each peer's TLS root, where a client connecting to it reads it (the cryptogen layout's peers/<peer>/tls/ca.crt).
  if (tlsRoots !== '') for (const p of peers) files[`peers/${p.name}.${domain}/tls/ca.crt`] = tlsRoots;

  const parsed = PeerOrgSpec.safeParse({ name, mspId, domain, peers, users: ['Admin'] });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [top, index, key] = issue.path;
    const field =
      top === 'domain' ? (options.domain !== undefined ? '--domain' : `${MSP_CONFIG}.name`) : top === 'peers' ? (anchors !== undefined ? `values.AnchorPeers.value.anchor_peers[${String(index)}].${String(key)}` : '--peer') : `${MSP_CONFIG}.name`;
    throw new ConfigError('ORG_DEFINITION_INVALID', `${file}: ${field}: ${issue.message} (org ${issue.path.join('.')})`, { file, field, suggestions: ['pass --domain <the org\'s DNS domain> and --peer <host>:<port> as its peers are reached'] });
  }
  return { format: 'weft-org-definition', version: 1, org: parsed.data, files, group: withAnchorPeer(group, anchors === undefined ? peers[0]! : undefined) };
}

/**
 * The group the channel gets: the printed one (every anchor peer it names), plus the first --peer
 * as anchor peer when it names none (Fabric's tutorial sets one by a later update; Weft's channel
 * config names at least one per org, so the other orgs' Gateways reach it).
 */
function withAnchorPeer(group: Record<string, unknown>, peer: PeerSpec | undefined): Record<string, unknown> {
  if (peer === undefined) return group;
  const values = group.values as Record<string, unknown>;
  return { ...group, values: { ...values, AnchorPeers: { mod_policy: 'Admins', value: { anchor_peers: [{ host: peer.host, port: peer.port }] }, version: '0' } } };
}
