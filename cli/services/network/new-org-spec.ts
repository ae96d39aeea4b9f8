import { ConfigError } from '../../../core/errors';
import { portListenable } from '../free-ports';
import type { HsmKeyFlags } from './member-token';
import type { OrgMaking } from './org-making';
import { assignHosts } from './network-init';
import { LocalPeerOrgSpec, machineOf, type NetworkSpec, type PeerOrgSpec } from './network-spec';
import { isLoopbackHost } from './node-hosts';

/**
 * What `weft network add-org` is asked for; every field has a default taken from the network.
 * `hsmLibrary`/`hsmLabel` (`--hsm-library`/`--hsm-label`): the token the new org's signing keys are
 * generated in, as `network init`; `keyAlgorithm`/`intermediateCa` (`--key-algorithm`,
 * `--intermediate-ca`): how its keys and CAs are made, default ecdsa keys issued from its root.
 */
export interface NewOrgOptions extends HsmKeyFlags, OrgMaking {
  /** Org name (`Org3`); default the next `OrgN` whose name, MSP ID and domain are all unused. */
  readonly name?: string;
  readonly peers?: number;
  /** User names; `Admin` is always added. Default Admin and User1. */
  readonly users?: readonly string[];
  /** `--host` values, as `weft network init` takes them: `<host>` for every new peer, `<node>=<host>` for one. */
  readonly hosts?: readonly string[];
  /** First port to hand out; default one above the highest port the network uses. */
  readonly basePort?: number;
}

/** Whether a port can be listened on here; injectable so tests can play a busy machine. */
export type PortCheck = (port: number) => Promise<boolean>;

const MAX_PEERS = 20;

/**
 * The new org as network.yaml will list it, named as `weft network init` names orgs (`OrgN`,
 * `OrgNMSP`, `orgN.<orderer org's domain>`), each peer given two ports (gRPC, operations) that no
 * node of the network uses and, for a peer on this machine's loopback, that nothing listens on now.
 * Throws `ORG_EXISTS` when a given name (or the MSP ID or domain derived from it) is taken.
 */
export async function newOrgSpec(spec: NetworkSpec, options: NewOrgOptions, portFree: PortCheck = portListenable): Promise<LocalPeerOrgSpec> {
  const naming = options.name === undefined ? nextOrgNaming(spec) : givenNaming(spec, options.name);
  const used = usedPorts(spec);
  return orgSpecOf(naming, options, used, options.basePort ?? Math.max(...used) + 1, portFree);
}

/** What `weft network new-org` is asked for: a new org made by itself, before it knows the network. */
export interface OwnOrgOptions extends NewOrgOptions {
  readonly name: string;
  /** Default `<name>MSP`. */
  readonly mspId?: string;
  /** Default `<name in lower case>.example.com`, as cryptogen's samples name orgs. */
  readonly domain?: string;
}

/** Fabric's peer port: where an org that knows nothing of the network starts handing out ports. */
const FABRIC_PEER_PORT = 7051;

/**
 * A new org made by itself (`weft network new-org`): named as given, its peers' ports from
 * `basePort` (default 7051) on, skipping those something listens on here. Whether the network
 * uses them is checked when a member adds the org ({@link checkJoiningOrg}).
 */
export async function ownOrgSpec(options: OwnOrgOptions, portFree: PortCheck = portListenable): Promise<LocalPeerOrgSpec> {
  const naming = { name: options.name, mspId: options.mspId ?? `${options.name}MSP`, domain: options.domain ?? `${options.name.toLowerCase()}.example.com` };
  return orgSpecOf(naming, options, new Set(), options.basePort ?? FABRIC_PEER_PORT, portFree);
}

/**
 * Refuses an org made elsewhere (an org definition) that the network cannot take: its name, MSP ID
 * or domain taken (`ORG_EXISTS`), or a port of its peers that a node of the network has on the same
 * host (`PORT_TAKEN`), each naming the definition's field.
 */
export function checkJoiningOrg(spec: NetworkSpec, org: PeerOrgSpec, where: string): void {
  const taken = clash(spec, org);
  if (taken !== undefined) {
    const field = taken.startsWith('MSP ID') ? 'org.mspId' : taken.startsWith('domain') ? 'org.domain' : 'org.name';
    throw new ConfigError('ORG_EXISTS', `${where}: ${field} — the network already has ${taken}`, {
      field,
      suggestions: ['the new org makes its definition again under a name, MSP ID and domain the network does not use (weft network new-org <new dir> --name <Org> --msp-id <ID> --domain <domain>)'],
    });
  }
  // Ports are per machine: a port the network uses on another host is free on this peer's.
  org.peers.forEach((peer, i) => {
    const used = usedPortsOn(spec, peer.host);
    for (const [key, port] of [['port', peer.port], ['operationsPort', peer.operationsPort], ['debugPort', peer.debugPort]] as const) {
      if (port !== undefined && used.has(port)) {
        throw new ConfigError('PORT_TAKEN', `${where}: org.peers.${i}.${key} ${port} is a port a node of the network already has on host ${peer.host}`, {
          field: `org.peers.${i}.${key}`,
          suggestions: ['the new org makes its definition again with another --base-port'],
        });
      }
    }
  });
}

/** The org's peers given hosts and two ports each (gRPC, operations), taken from `first` on. */
async function orgSpecOf(naming: OrgNaming, options: NewOrgOptions, used: Set<number>, first: number, portFree: PortCheck): Promise<LocalPeerOrgSpec> {
  const peerCount = options.peers ?? 1;
  if (!Number.isInteger(peerCount) || peerCount < 1 || peerCount > MAX_PEERS) {
    throw new ConfigError('ADD_ORG_OPTIONS_INVALID', `--peers ${peerCount}: an org has 1 to ${MAX_PEERS} peers`, { field: '--peers', value: peerCount });
  }
  const peers = Array.from({ length: peerCount }, (_, j) => ({ name: `peer${j}`, host: '127.0.0.1', port: 0, operationsPort: 0 }));
  assignHosts(new Map(peers.map((p) => [`${p.name}.${naming.domain}`, p])), options.hosts ?? []);

  const take = portTaker(used, first, portFree, () =>
    new ConfigError('PORTS_EXHAUSTED', `no free port left above ${options.basePort ?? 'the network\'s highest port'} for the new org's peers`, {
      field: '--base-port',
      suggestions: ['pass a lower --base-port'],
    }),
  );
  for (const peer of peers) {
    peer.port = await take(peer.host);
    peer.operationsPort = await take(peer.host);
  }
  const users = options.users === undefined || options.users.length === 0 ? ['Admin', 'User1'] : ['Admin', ...options.users.filter((u) => u !== 'Admin')];
  const parsed = LocalPeerOrgSpec.safeParse({ ...naming, peers, users });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError('ADD_ORG_OPTIONS_INVALID', `the new org's ${issue.path.join('.')}: ${issue.message}`, {
      field: issue.path.join('.'),
      suggestions: ['see the accepted values: weft network add-org --help'],
    });
  }
  return parsed.data;
}

interface OrgNaming {
  readonly name: string;
  readonly mspId: string;
  readonly domain: string;
}

function namingOf(spec: NetworkSpec, name: string): OrgNaming {
  return { name, mspId: `${name}MSP`, domain: `${name.toLowerCase()}.${spec.ordererOrg.domain}` };
}

/** What of `naming` the network already uses, if anything. */
function clash(spec: NetworkSpec, naming: OrgNaming): string | undefined {
  const lower = naming.name.toLowerCase();
  for (const org of spec.orgs) {
    if (org.name.toLowerCase() === lower) return `org name ${org.name}`;
    if (org.mspId === naming.mspId) return `MSP ID ${org.mspId} (org ${org.name})`;
    if (org.domain === naming.domain) return `domain ${org.domain} (org ${org.name})`;
  }
  if (spec.ordererOrg.mspId === naming.mspId || spec.ordererOrg.name.toLowerCase() === lower) return `the orderer org's name or MSP ID (${spec.ordererOrg.mspId})`;
  return undefined;
}

/** The first `OrgN` after the network's orgs with nothing taken: Org3 for a network of Org1 and Org2. */
function nextOrgNaming(spec: NetworkSpec): OrgNaming {
  for (let n = spec.orgs.length + 1; ; n++) {
    const naming = namingOf(spec, `Org${n}`);
    if (clash(spec, naming) === undefined) return naming;
  }
}

function givenNaming(spec: NetworkSpec, name: string): OrgNaming {
  const naming = namingOf(spec, name);
  const taken = clash(spec, naming);
  if (taken !== undefined) {
    throw new ConfigError('ORG_EXISTS', `--name ${name}: the network already has ${taken}`, {
      field: '--name',
      value: name,
      suggestions: [`pick a name the network does not use (its orgs: ${spec.orgs.map((o) => o.name).join(', ')}), or leave --name out for the next OrgN`],
    });
  }
  return naming;
}

/**
 * Hands out ports from `first` on, one per call: none of `used` (each one handed out joins it) and,
 * for a node on this machine's loopback, none something listens on now. `exhausted` is the error
 * past 65535.
 */
export function portTaker(used: Set<number>, first: number, portFree: PortCheck, exhausted: () => Error): (host: string) => Promise<number> {
  let next = first;
  return async (host) => {
    for (; next <= 65535; next++) {
      if (used.has(next) || (isLoopbackHost(host) && !(await portFree(next)))) continue;
      used.add(next);
      return next++;
    }
    throw exhausted();
  };
}

/**
 * Every port network.yaml gives a node, on any host: new local nodes get none of them, so that a
 * network moved to one machine (or a host renamed) keeps its ports apart.
 */
export function usedPorts(spec: NetworkSpec): Set<number> {
  return portsWhere(spec, () => true);
}

/** The ports network.yaml gives nodes on the same machine as `host` (compared as the schema compares them, {@link machineOf}). */
export function usedPortsOn(spec: NetworkSpec, host: string): Set<number> {
  const machine = machineOf(host);
  return portsWhere(spec, (h) => machineOf(h) === machine);
}

function portsWhere(spec: NetworkSpec, onHost: (host: string) => boolean): Set<number> {
  const ports = new Set<number>();
  const add = (host: string, list: (number | undefined)[]) => {
    if (onHost(host)) for (const p of list) if (p !== undefined) ports.add(p);
  };
  for (const o of spec.ordererOrg.orderers) add(o.host, [o.port, o.adminPort, o.operationsPort]);
  for (const org of spec.orgs) for (const p of org.peers) add(p.host, [p.port, p.operationsPort, p.debugPort]);
  return ports;
}
