import * as path from 'node:path';
import { WeftError } from '../../../core/errors';
import { nearNames } from '../near-names';
import { peerIdOf, type ChannelSpec, type NetworkSpec, type OrdererSpec, type PeerOrgSpec, type PeerSpec } from './network-spec';
import { isLoopbackHost } from './node-hosts';
import { shellWord } from '../../../core/node/shell-word';

/** One node of the network with every path derived from network.yaml and the directory. */
export interface NodeLayout {
  readonly kind: 'peer' | 'orderer';
  /** Fully qualified: `peer0.org1.example.com`. */
  readonly id: string;
  readonly mspId: string;
  readonly orgDomain: string;
  /** Where other machines reach it (network.yaml's `host`). */
  readonly host: string;
  /** `host:port` of its gRPC service. */
  readonly address: string;
  readonly adminAddress: string | undefined;
  readonly operationsAddress: string | undefined;
  /** A peer whose chaincode runs under V8's inspector (network.yaml's `debugPort`): the inspector's port, on loopback. */
  readonly debugPort?: number;
  /**
   * Whether its operations endpoint serves HTTPS: on a host away from loopback, where it listens on
   * every interface, or where network.yaml's `operations.tls` asks for it. /metrics and /logspec
   * then need a client certificate of its org's TLS CA.
   */
  readonly operationsTls: boolean;
  /** Whether its HTTPS operations endpoint demands that certificate of every client, for /healthz too. */
  readonly operationsClientAuthRequired: boolean;
  /** `organizations/<kind>Organizations/<domain>/<kind>s/<id>` (cryptogen layout). */
  readonly cryptoDir: string;
  readonly mspDir: string;
  readonly tlsDir: string;
  /** The TLS CA certificate a client trusts to reach this node. */
  readonly tlsRootCertPath: string;
  /** `nodes/<id>/`: the node's config file and its data. */
  readonly nodeDir: string;
  readonly configFile: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly pidFile: string;
}

export interface UserLayout {
  /** `User1@org1.example.com`. */
  readonly id: string;
  readonly name: string;
  readonly mspId: string;
  readonly org: string;
  readonly admin: boolean;
  readonly mspDir: string;
  readonly certPath: string;
  readonly keyPath: string;
  readonly tlsCertPath: string;
  readonly tlsKeyPath: string;
}


/** Whether `ref` names the org, peer org or orderer org: its name, MSP ID or domain, case-insensitive (as every `--org` takes them). */
export function orgNamed(org: { readonly name: string; readonly mspId: string; readonly domain: string }, ref: string): boolean {
  const r = ref.toLowerCase();
  return org.name.toLowerCase() === r || org.mspId.toLowerCase() === r || org.domain.toLowerCase() === r;
}

/**
 * The org with only its peers that `channel.peers` lists (every one when it lists none); the same
 * object when nothing is left out. network.yaml's check leaves each member org one at least.
 */
function peersOnChannel(org: PeerOrgSpec, channel: ChannelSpec): PeerOrgSpec {
  const listed = channel.peers;
  if (listed === undefined) return org;
  const peers = org.peers.filter((p) => listed.includes(peerIdOf(org, p)));
  return peers.length === org.peers.length ? org : { ...org, peers };
}

/**
 * Where everything of a network lives under its directory. Pure path arithmetic: the layout is a
 * function of network.yaml, so every command finds the same files without a second index.
 */
export class NetworkLayout {
  readonly dir: string;

  constructor(
    dir: string,
    readonly spec: NetworkSpec,
    /** The whole network's spec: `spec` narrowed to one channel's orgs comes from {@link forChannel}. */
    readonly networkSpec: NetworkSpec = spec,
  ) {
    this.dir = path.resolve(dir);
  }

  get organizationsDir(): string {
    return path.join(this.dir, 'organizations');
  }

  /** The genesis block of the layout's channel (see {@link forChannel}). */
  get genesisBlockFile(): string {
    return this.genesisBlockFileOf(this.spec.channel.name);
  }

  genesisBlockFileOf(channel: string): string {
    return path.join(this.dir, 'channel-artifacts', `${channel}.block`);
  }

  /** Every channel of the network, the default one first. */
  channels(): ChannelSpec[] {
    return [this.spec.channel, ...this.spec.otherChannels];
  }

  /**
   * The same network seen from `channel` (the default channel when undefined): commands that act on
   * one channel read `spec.channel` and get this one, and `spec.orgs` holds only its member orgs,
   * each with only its peers on the channel (its `peers`, when it lists them), so their peers and
   * users are all the layout lists. Throws `UNKNOWN_CHANNEL` for a channel
   * network.yaml does not list.
   */
  forChannel(channel: string | undefined): NetworkLayout {
    const name = channel ?? this.spec.channel.name;
    const same = name === this.spec.channel.name;
    // The whole network's layout already is its default channel's, unless that channel names its peers.
    if (same && (this.spec !== this.networkSpec || this.spec.channel.peers === undefined)) return this;
    const chosen = same ? this.spec.channel : this.spec.otherChannels.find((c) => c.name === name);
    if (chosen === undefined) {
      const known = this.channels().map((c) => c.name);
      // A near spelling is far likelier a typo than a channel to create: offer it first.
      const near = nearNames(name, known);
      throw new WeftError('UNKNOWN_CHANNEL', `channel ${name} is not a channel of this network (it has: ${known.join(', ')})`, {
        channel: name,
        known,
        suggestions:
          near.length > 0
            ? [`did you mean ${near.map((n) => `--channel ${n}`).join(' or ')}?`, `or create it with: weft channel create ${shellWord(this.dir)} ${name}`]
            : [`create it with: weft channel create ${shellWord(this.dir)} ${name}`, `or pick one of: ${known.join(', ')}`],
      });
    }
    const members = chosen.orgs === undefined ? this.networkSpec.orgs : this.networkSpec.orgs.filter((o) => chosen.orgs!.includes(o.name));
    const spec = { ...this.networkSpec, orgs: members.map((org) => peersOnChannel(org, chosen)), channel: chosen, otherChannels: this.channels().filter((c) => c !== chosen) };
    return new NetworkLayout(this.dir, spec, this.networkSpec);
  }

  get packagesDir(): string {
    return path.join(this.dir, 'packages');
  }

  ordererOrgDir(): string {
    return path.join(this.organizationsDir, 'ordererOrganizations', this.spec.ordererOrg.domain);
  }

  peerOrgDir(org: PeerOrgSpec): string {
    return path.join(this.organizationsDir, 'peerOrganizations', org.domain);
  }

  /** The org-level MSP folder (certificates only) that goes into the channel config. */
  orgMspDir(org: PeerOrgSpec | undefined): string {
    return path.join(org === undefined ? this.ordererOrgDir() : this.peerOrgDir(org), 'msp');
  }

  orgTlsCaCert(org: PeerOrgSpec | undefined): string {
    const domainName = org === undefined ? this.spec.ordererOrg.domain : org.domain;
    return path.join(org === undefined ? this.ordererOrgDir() : this.peerOrgDir(org), 'tlsca', `tlsca.${domainName}-cert.pem`);
  }

  orderers(): NodeLayout[] {
    return this.spec.ordererOrg.orderers.map((o) => this.orderer(o));
  }

  peers(): NodeLayout[] {
    return this.spec.orgs.flatMap((org) => org.peers.map((p) => this.peer(org, p)));
  }

  peersOf(org: PeerOrgSpec): NodeLayout[] {
    return org.peers.map((p) => this.peer(org, p));
  }

  nodes(): NodeLayout[] {
    return [...this.orderers(), ...this.peers()];
  }

  users(): UserLayout[] {
    return this.spec.orgs.flatMap((org) => org.users.map((u) => this.user(org, u)));
  }

  /** A peer org by name (`Org1`), MSP id (`Org1MSP`) or domain, case-insensitive. */
  findOrg(ref: string): PeerOrgSpec | undefined {
    return this.spec.orgs.find((o) => orgNamed(o, ref));
  }

  user(org: PeerOrgSpec, name: string): UserLayout {
    const id = `${name}@${org.domain}`;
    const dir = path.join(this.peerOrgDir(org), 'users', id);
    return {
      id,
      name,
      mspId: org.mspId,
      org: org.name,
      admin: name === 'Admin',
      mspDir: path.join(dir, 'msp'),
      certPath: path.join(dir, 'msp', 'signcerts', `${id}-cert.pem`),
      keyPath: path.join(dir, 'msp', 'keystore', 'priv_sk'),
      tlsCertPath: path.join(dir, 'tls', 'client.crt'),
      tlsKeyPath: path.join(dir, 'tls', 'client.key'),
    };
  }

  ordererAdmin(): UserLayout {
    const o = this.spec.ordererOrg;
    const id = `Admin@${o.domain}`;
    const dir = path.join(this.ordererOrgDir(), 'users', id);
    return {
      id,
      name: 'Admin',
      mspId: o.mspId,
      org: o.name,
      admin: true,
      mspDir: path.join(dir, 'msp'),
      certPath: path.join(dir, 'msp', 'signcerts', `${id}-cert.pem`),
      keyPath: path.join(dir, 'msp', 'keystore', 'priv_sk'),
      tlsCertPath: path.join(dir, 'tls', 'client.crt'),
      tlsKeyPath: path.join(dir, 'tls', 'client.key'),
    };
  }

  private orderer(o: OrdererSpec): NodeLayout {
    const id = `${o.name}.${this.spec.ordererOrg.domain}`;
    const cryptoDir = path.join(this.ordererOrgDir(), 'orderers', id);
    return this.node('orderer', id, this.spec.ordererOrg.mspId, this.spec.ordererOrg.domain, cryptoDir, {
      host: o.host,
      address: `${o.host}:${o.port}`,
      adminAddress: `${o.host}:${o.adminPort}`,
      operationsAddress: o.operationsPort === undefined ? undefined : `${o.host}:${o.operationsPort}`,
    });
  }

  private peer(org: PeerOrgSpec, p: PeerSpec): NodeLayout {
    const id = `${p.name}.${org.domain}`;
    const cryptoDir = path.join(this.peerOrgDir(org), 'peers', id);
    return this.node('peer', id, org.mspId, org.domain, cryptoDir, {
      host: p.host,
      address: `${p.host}:${p.port}`,
      adminAddress: undefined,
      operationsAddress: p.operationsPort === undefined ? undefined : `${p.host}:${p.operationsPort}`,
      ...(p.debugPort !== undefined && { debugPort: p.debugPort }),
    });
  }

  private node(
    kind: 'peer' | 'orderer',
    id: string,
    mspId: string,
    orgDomain: string,
    cryptoDir: string,
    addresses: { host: string; address: string; adminAddress: string | undefined; operationsAddress: string | undefined; debugPort?: number },
  ): NodeLayout {
    const nodeDir = path.join(this.dir, 'nodes', id);
    const operationsTls = !isLoopbackHost(addresses.host) || this.spec.operations.tls;
    return {
      kind,
      id,
      mspId,
      orgDomain,
      ...addresses,
      operationsTls,
      operationsClientAuthRequired: operationsTls && this.spec.operations.clientAuthRequired,
      cryptoDir,
      mspDir: path.join(cryptoDir, 'msp'),
      tlsDir: path.join(cryptoDir, 'tls'),
      tlsRootCertPath: path.join(cryptoDir, 'tls', 'ca.crt'),
      nodeDir,
      configFile: path.join(nodeDir, `${kind}.yaml`),
      dataDir: path.join(nodeDir, 'data'),
      logFile: path.join(this.dir, 'logs', `${id}.log`),
      pidFile: path.join(this.dir, 'run', `${id}.pid`),
    };
  }
}
