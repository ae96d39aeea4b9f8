import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import { ORG_KEY_ALGORITHMS } from '../../../core/msp/crypto-material';
import { LogSpecText } from '../../../core/node/config';
import { formatZodIssues } from '../../../core/node/zod-issues';
import { parseGoDuration } from '../../../core/protocol/go-duration';
import { keystoreHasKey, nodeSignsInToken } from '../client/cli-token';
import { nearNames } from '../near-names';
import { ChannelCapabilitiesSpec } from './channel-capabilities';
import { isLoopbackHost, NodeHost } from './node-hosts';

/** The file that describes a network: everything else under the directory is derived from it. */
export const NETWORK_FILE = 'network.yaml';

const port = z.number().int().min(1).max(65535);
const hostLabel = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a lower-case host label such as peer0');
const domain = z.string().regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'a DNS domain such as org1.example.com');

export const OrdererSpec = z
  .object({
    /** Host label; the node's name is `<name>.<ordererOrg.domain>`. */
    name: hostLabel,
    /** Where other machines reach the node (DNS name or IPv4 address); 127.0.0.1 for a one-machine network. */
    host: NodeHost.default('127.0.0.1'),
    /** AtomicBroadcast gRPC (Broadcast/Deliver). */
    port,
    /** Channel participation API (mutual TLS, orderer org admin). */
    adminPort: port,
    /** Operations HTTP server: /healthz, /metrics (optional: networks made before orderers had one lack it). */
    operationsPort: port.optional(),
  })
  .strict();
export type OrdererSpec = z.infer<typeof OrdererSpec>;

export const PeerSpec = z
  .object({
    name: hostLabel,
    /** Where other machines reach the node (DNS name or IPv4 address); 127.0.0.1 for a one-machine network. */
    host: NodeHost.default('127.0.0.1'),
    /** Endorser, Deliver and Gateway gRPC. */
    port,
    /**
     * Operations HTTP server: /healthz, /metrics. Optional only for a peer this directory holds no
     * keys for (another org's, such as a Fabric org added from its printOrg JSON): nothing here
     * runs it, and its operator may not publish that port. {@link loadNetworkSpec} refuses a peer
     * run from here without one. An empty value (`operationsPort:`, YAML null) is none, as the
     * network.yaml template writes the key for every peer.
     */
    operationsPort: z.preprocess((p) => p ?? undefined, port.optional()),
    /** Development only: its chaincode runs under V8's inspector, DevTools or VS Code attaching here (loopback). */
    debugPort: port.optional(),
  })
  .strict();
export type PeerSpec = z.infer<typeof PeerSpec>;

/** A user's name in network.yaml (`users`), its folder `users/<name>@<domain>`, and `--user`. */
export const UserName = z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'a user name such as User1 (a letter, then letters and digits)');

export const PeerOrgSpec = z
  .object({
    name: z.string().regex(/^[A-Za-z][A-Za-z0-9]*$/, 'an org name such as Org1'),
    mspId: z.string().min(1),
    domain,
    peers: z.array(PeerSpec).min(1, 'an org needs at least one peer'),
    /** `Admin` is always generated; the others are client identities. */
    users: z.array(UserName).default(['Admin', 'User1']),
    /**
     * cryptogen's `PublicKeyAlgorithm` for every key of the org (`ecdsa` or `ed25519`), read by
     * `weft network init --from`, winning over `--key-algorithm`. Kept in network.yaml as given;
     * init's flag alone writes nothing here: the org's CA certificate records it, and later
     * commands follow that.
     */
    keyAlgorithm: z.enum(ORG_KEY_ALGORITHMS).optional(),
    /**
     * The org issues from an intermediate CA (and TLS intermediate) its root signed, as a
     * production Fabric CA does, read by `weft network init --from`, winning over
     * `--intermediate-ca`. As `keyAlgorithm`, the org's files are the record afterwards.
     */
    intermediateCa: z.boolean().optional(),
  })
  .strict();
export type PeerOrgSpec = z.infer<typeof PeerOrgSpec>;

/** A peer's id, as a channel's `peers` in network.yaml and every `--peer` name it: `peer1.org1.example.com`. */
export function peerIdOf(org: Pick<PeerOrgSpec, 'domain'>, peer: Pick<PeerSpec, 'name'>): string {
  return `${peer.name}.${org.domain}`;
}

/** An org made in this directory (init, add-org, new-org): its peers run from here, each with its operations port. */
export const LocalPeerOrgSpec = PeerOrgSpec.extend({ peers: z.array(PeerSpec.required({ operationsPort: true })).min(1, 'an org needs at least one peer') });
export type LocalPeerOrgSpec = z.infer<typeof LocalPeerOrgSpec>;

export const ChannelSpec = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9.-]{0,248}$/, 'a Fabric channel name ([a-z][a-z0-9.-]*)'),
    batchTimeout: z.string().refine((t) => (parseGoDuration(t) ?? 0) > 0, "a positive Go duration such as '2s' or '250ms'"),
    maxMessageCount: z.number().int().positive(),
    /** BatchSize.AbsoluteMaxBytes and PreferredMaxBytes; absent: Fabric's defaults (10 MiB, 2 MiB). */
    absoluteMaxBytes: z.number().int().positive().max(0xffffffff).optional(),
    preferredMaxBytes: z.number().int().positive().max(0xffffffff).optional(),
    /** Member orgs by name (`otherChannels` only; default every org): only their peers join. */
    orgs: z.array(z.string()).min(1, 'a channel needs at least one org').optional(),
    /**
     * The member orgs' peers on the channel, by id (`peer1.org1.example.com`), when not all of them
     * (Fabric's operator joins each peer on its own: a busy channel on its own peers, an audit peer
     * on one channel): only they join, and the CLI picks its gateway among them. Every member org
     * keeps at least one. Absent: every peer of the member orgs.
     */
    peers: z.array(z.string()).min(1, 'a channel needs at least one peer; leave peers out for every peer of its orgs').optional(),
    /**
     * The capabilities the channel requires, by level, where not Weft's defaults (channel V3_0,
     * orderer V2_0, application V2_5): lower for a channel Fabric 2.x nodes join. The genesis block
     * is made with them; `weft channel update --capability` raises them and records it here.
     */
    capabilities: ChannelCapabilitiesSpec.optional(),
  })
  .strict()
  .refine((c) => (c.preferredMaxBytes ?? DEFAULT_PREFERRED_MAX_BYTES) <= (c.absoluteMaxBytes ?? DEFAULT_ABSOLUTE_MAX_BYTES), {
    message: 'preferredMaxBytes must not exceed absoluteMaxBytes (defaults: 2 MiB and 10 MiB)',
    path: ['preferredMaxBytes'],
  });
export type ChannelSpec = z.infer<typeof ChannelSpec>;

/** Fabric's (and a Weft genesis block's) BatchSize byte limits when network.yaml names none. */
export const DEFAULT_ABSOLUTE_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_PREFERRED_MAX_BYTES = 2 * 1024 * 1024;

/** A channel's BatchSize byte limits as network.yaml records them: only those that differ from the defaults. */
export function batchBytesOf(size: { readonly absoluteMaxBytes: number; readonly preferredMaxBytes: number }): Pick<ChannelSpec, 'absoluteMaxBytes' | 'preferredMaxBytes'> {
  return {
    ...(size.absoluteMaxBytes !== DEFAULT_ABSOLUTE_MAX_BYTES && { absoluteMaxBytes: size.absoluteMaxBytes }),
    ...(size.preferredMaxBytes !== DEFAULT_PREFERRED_MAX_BYTES && { preferredMaxBytes: size.preferredMaxBytes }),
  };
}

/** The consensus types a network's channels may name (network.yaml `consensus`, `weft network init --consensus`). */
export const CONSENSUS_TYPES = ['solo', 'etcdraft'] as const;

/**
 * `network.yaml`, the single source of truth of a Weft network. `weft network init` writes it (with
 * comments); every other command reads it through {@link loadNetworkSpec}.
 */
export const NetworkSpec = z
  .object({
    version: z.literal(1),
    tls: z.boolean().default(true),
    /** Mutual TLS: every node's gRPC endpoint takes only clients with a certificate of a network org's TLS CA. */
    mutualTls: z.boolean().default(false),
    /**
     * How channels name their ordering: `solo`, or `etcdraft` (a one-consenter Raft, the channel
     * form Fabric 3 peers follow), both ordered by the network's one orderer.
     */
    consensus: z.enum(CONSENSUS_TYPES).default('solo'),
    /** The default channel: made at `weft network up`, used by every command without `--channel`. */
    channel: ChannelSpec,
    /** Channels added by `weft channel create`, with the same orgs. */
    otherChannels: z.array(ChannelSpec).default([]),
    ordererOrg: z
      .object({
        name: z.string().min(1).default('OrdererOrg'),
        mspId: z.string().min(1),
        domain,
        orderers: z.array(OrdererSpec).min(1, 'a network needs at least one orderer'),
        /** As an org's `keyAlgorithm` (see {@link PeerOrgSpec}). */
        keyAlgorithm: z.enum(ORG_KEY_ALGORITHMS).optional(),
        /** As an org's `intermediateCa` (see {@link PeerOrgSpec}). */
        intermediateCa: z.boolean().optional(),
      })
      .strict(),
    orgs: z.array(PeerOrgSpec).min(1, 'a network needs at least one peer org'),
    /** Every node's logging spec: a level, or Fabric's per-logger form (`warn:committer=debug`). */
    logLevel: LogSpecText.default('warn'),
    /** The nodes' operations endpoints (/healthz, /metrics, /version, /logspec): Fabric's `operations.tls`. */
    operations: z
      .object({
        /**
         * HTTPS on loopback too (a node away from loopback always serves it): /metrics and /logspec
         * then answer only client certificates of the node's org's TLS CA. Absent in files written
         * before it existed, whose node configs serve plain HTTP on loopback.
         */
        tls: z.boolean().default(false),
        /** Demand that client certificate in the handshake, for /healthz and /version too (Fabric's `clientAuthRequired`). */
        clientAuthRequired: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.mutualTls && !spec.tls) ctx.addIssue({ code: 'custom', path: ['mutualTls'], message: 'mutual TLS needs tls: true' });
    if (spec.ordererOrg.orderers.length !== 1) {
      const alone = spec.consensus === 'solo' ? 'solo consensus runs' : "Weft's orderer orders alone, so etcdraft here is a one-consenter Raft with";
      ctx.addIssue({ code: 'custom', path: ['ordererOrg', 'orderers'], message: `${alone} exactly one orderer, got ${spec.ordererOrg.orderers.length}` });
    }
    const names = new Set([spec.channel.name]);
    if (spec.channel.orgs !== undefined) ctx.addIssue({ code: 'custom', path: ['channel', 'orgs'], message: 'the default channel has every org; leave orgs out' });
    const orgNames = new Set(spec.orgs.map((o) => o.name));
    spec.otherChannels.forEach((c, i) => {
      if (names.has(c.name)) ctx.addIssue({ code: 'custom', path: ['otherChannels', i, 'name'], message: `channel ${c.name} is listed twice` });
      names.add(c.name);
      for (const o of c.orgs ?? []) {
        if (!orgNames.has(o)) ctx.addIssue({ code: 'custom', path: ['otherChannels', i, 'orgs'], message: `no org named ${o} (orgs: ${[...orgNames].join(', ')})` });
      }
    });
    checkChannelPeers(spec, spec.channel, ['channel'], ctx);
    spec.otherChannels.forEach((c, i) => checkChannelPeers(spec, c, ['otherChannels', i], ctx));
    // Ports belong to a machine: nodes on different hosts may listen on the same port (7051 on each of Fabric's hosts).
    const seen = new Map<string, string>();
    const claim = (host: string, p: number, who: string, where: (string | number)[]) => {
      const key = `${machineOf(host)}:${p}`;
      const other = seen.get(key);
      if (other !== undefined) ctx.addIssue({ code: 'custom', path: where, message: `port ${p} is already used by ${other}, on the same host as ${host}` });
      seen.set(key, who);
    };
    spec.ordererOrg.orderers.forEach((o, i) => {
      claim(o.host, o.port, `${o.name} port`, ['ordererOrg', 'orderers', i, 'port']);
      claim(o.host, o.adminPort, `${o.name} adminPort`, ['ordererOrg', 'orderers', i, 'adminPort']);
      if (o.operationsPort !== undefined) claim(o.host, o.operationsPort, `${o.name} operationsPort`, ['ordererOrg', 'orderers', i, 'operationsPort']);
    });
    // Names that commands (--org, --node) and the crypto material's folders tell orgs and nodes apart by.
    const once = (taken: Set<string>, value: string, where: (string | number)[], what: string) => {
      if (taken.has(value)) ctx.addIssue({ code: 'custom', path: where, message: `${what} ${value} is used twice` });
      taken.add(value);
    };
    const orderers = new Set<string>();
    spec.ordererOrg.orderers.forEach((o, i) => once(orderers, o.name, ['ordererOrg', 'orderers', i, 'name'], 'orderer name'));
    const mspIds = new Set([spec.ordererOrg.mspId]);
    const orgNamesSeen = new Set<string>();
    const domains = new Set([spec.ordererOrg.domain]);
    spec.orgs.forEach((org, i) => {
      if (mspIds.has(org.mspId)) ctx.addIssue({ code: 'custom', path: ['orgs', i, 'mspId'], message: `MSP id ${org.mspId} is used twice` });
      mspIds.add(org.mspId);
      once(orgNamesSeen, org.name, ['orgs', i, 'name'], 'org name');
      once(domains, org.domain, ['orgs', i, 'domain'], 'domain');
      const peers = new Set<string>();
      org.peers.forEach((p, j) => once(peers, p.name, ['orgs', i, 'peers', j, 'name'], 'peer name'));
      const users = new Set<string>();
      org.users.forEach((u, j) => once(users, u, ['orgs', i, 'users', j], 'user name'));
      if (!org.users.includes('Admin')) ctx.addIssue({ code: 'custom', path: ['orgs', i, 'users'], message: 'must include Admin' });
      org.peers.forEach((p, j) => {
        claim(p.host, p.port, `${p.name}.${org.domain} port`, ['orgs', i, 'peers', j, 'port']);
        if (p.operationsPort !== undefined) claim(p.host, p.operationsPort, `${p.name}.${org.domain} operationsPort`, ['orgs', i, 'peers', j, 'operationsPort']);
        if (p.debugPort !== undefined) claim(p.host, p.debugPort, `${p.name}.${org.domain} debugPort`, ['orgs', i, 'peers', j, 'debugPort']);
      });
    });
  });
export type NetworkSpec = z.infer<typeof NetworkSpec>;

/**
 * A channel's `peers` must name peers of its member orgs, each once, and leave every member org at
 * least one: commands acting on the channel for an org (approve, its gateway) go through its peers there.
 */
function checkChannelPeers(spec: Pick<NetworkSpec, 'orgs'>, channel: ChannelSpec, where: (string | number)[], ctx: z.RefinementCtx): void {
  if (channel.peers === undefined) return;
  const field = [...where, 'peers'];
  const orgOfPeer = new Map<string, PeerOrgSpec>(spec.orgs.flatMap((org) => org.peers.map((p) => [peerIdOf(org, p), org] as const)));
  const members = channel.orgs === undefined ? spec.orgs : spec.orgs.filter((o) => channel.orgs!.includes(o.name));
  const seen = new Set<string>();
  channel.peers.forEach((id, k) => {
    if (seen.has(id)) ctx.addIssue({ code: 'custom', path: [...field, k], message: `peer ${id} is listed twice on channel ${channel.name}` });
    seen.add(id);
    const org = orgOfPeer.get(id);
    if (org === undefined) {
      const near = nearNames(id, [...orgOfPeer.keys()]);
      const hint = near.length > 0 ? `did you mean ${near.join(' or ')}?` : `the network's peers: ${[...orgOfPeer.keys()].join(', ')}`;
      ctx.addIssue({ code: 'custom', path: [...field, k], message: `no peer ${id} in orgs (a peer id is <name>.<org domain>; ${hint}); add a peer with weft network add-peer` });
    } else if (!members.includes(org)) {
      ctx.addIssue({
        code: 'custom',
        path: [...field, k],
        message: `${id} is a peer of ${org.name}, which is not a member of channel ${channel.name} (members: ${members.map((o) => o.name).join(', ')}): remove it, or add ${org.name} to the channel first (weft channel update --add-org ${org.name})`,
      });
    }
  });
  for (const org of members) {
    const ids = org.peers.map((p) => peerIdOf(org, p));
    if (!ids.some((id) => seen.has(id))) {
      ctx.addIssue({
        code: 'custom',
        path: field,
        message: `lists no peer of ${org.name}, a member of channel ${channel.name}: list at least one of ${ids.join(', ')}, or leave peers out for every peer of the member orgs`,
      });
    }
  }
}

/**
 * The machine a node host stands for, as port clashes are counted: host names compare
 * case-insensitively, and every loopback host (`localhost`, `127.x.y.z`) is this one machine.
 * Distinct names are distinct machines: nothing is resolved while a file is read.
 */
export function machineOf(host: string): string {
  const lower = host.toLowerCase();
  return isLoopbackHost(lower) ? 'loopback' : lower;
}

/** Whether a peer runs from the network directory (its keys are there), so that it needs an operations port. */
export type PeerRunsHere = (org: PeerOrgSpec, peer: PeerSpec) => boolean;

/**
 * Whether `dir` holds the peer's signing key, in the cryptogen layout every network directory has
 * (`NetworkLayout`'s cryptoDir; `nodeKeysHere` decides the same way): a key file in its keystore,
 * or its node YAML here signing in a PKCS#11 token (`network init --hsm-library`, `add-peer` into
 * such an org), whose keystore is empty. A peer whose key is elsewhere is run from another
 * directory, or is not Weft's at all.
 */
function peerKeyIn(dir: string): PeerRunsHere {
  return (org, peer) => {
    const id = `${peer.name}.${org.domain}`;
    return keystoreHasKey(path.join(dir, 'organizations', 'peerOrganizations', org.domain, 'peers', id, 'msp')) || nodeSignsInToken(path.join(dir, 'nodes', id, 'peer.yaml'));
  };
}

/** Refuses a peer run from here (`runsHere`) without an operations port: `network up` waits on its /healthz. */
function requireOperationsPorts(spec: NetworkSpec, where: string, runsHere: PeerRunsHere): void {
  const missing = spec.orgs.flatMap((org, i) =>
    org.peers.flatMap((p, j) => (p.operationsPort === undefined && runsHere(org, p) ? [`orgs.${i}.peers.${j}.operationsPort: ${p.name}.${org.domain} is run from this directory (its keys are here, or network init makes them), so it needs an operations port for its /healthz and /metrics`] : [])),
  );
  if (missing.length > 0) {
    throw new ConfigError('NETWORK_SPEC_INVALID', `${where}: ${missing.join('; ')}`, {
      where,
      field: missing[0]!.slice(0, missing[0]!.indexOf(':')),
      suggestions: ['give each such peer an operationsPort no other node on its host uses (only peers of orgs whose keys are elsewhere may go without)'],
    });
  }
}

/** Validates a parsed network.yaml; the error lists every bad path. */
export function parseNetworkSpec(raw: unknown, where: string, suggestions?: string[]): NetworkSpec {
  const parsed = NetworkSpec.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError('NETWORK_SPEC_INVALID', formatZodIssues(where, parsed.error.issues), {
      where,
      suggestions: suggestions ?? [`fix ${where} (its comments describe every field), or create a fresh one with: weft network init <new-dir>`],
    });
  }
  return parsed.data;
}

/** Reads `<dir>/network.yaml`; a peer whose keys `dir` holds must have an operations port. */
export function loadNetworkSpec(dir: string): NetworkSpec {
  return readNetworkSpecFile(
    path.join(dir, NETWORK_FILE),
    () =>
      new ConfigError('NETWORK_NOT_FOUND', `${path.resolve(dir)} is not a Weft network directory: ${NETWORK_FILE} is missing`, {
        dir,
        suggestions: ['pass the directory given to `weft network init`', 'create a network with: weft network init <dir>'],
      }),
    undefined,
    peerKeyIn(dir),
  );
}

/**
 * Reads and checks a network.yaml file; `missing` is the error when it cannot be read, `suggestions`
 * the remedies when it is invalid. `runsHere` tells the peers run from the file's directory, which
 * need an operations port; by default every peer (a file `network init --from` makes keys for).
 */
export function readNetworkSpecFile(file: string, missing: () => ConfigError, suggestions?: string[], runsHere: PeerRunsHere = () => true): NetworkSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw missing();
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw new ConfigError('NETWORK_SPEC_INVALID', `${file} is not valid YAML: ${(err as Error).message}`, { file });
  }
  const spec = parseNetworkSpec(raw, file, suggestions);
  requireOperationsPorts(spec, file, runsHere);
  return spec;
}
