import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { resolveOrg } from '../chaincode/org-args';
import { portListenable } from '../free-ports';
import { orgChannelsOf, snapshotChannelOf, startAddedPeer, type AddedPeerStart } from './add-peer-start';
import { withChannelPeers } from './channel-peers';
import { openNetwork, type Progress } from './network-access';
import { renderNetworkFile, replaceNetworkFile } from './network-channels';
import { writeNodeConfigs } from './network-init';
import { NetworkLayout, orgNamed, type NodeLayout } from './network-layout';
import { NETWORK_FILE, peerIdOf, PeerSpec, type NetworkSpec, type PeerOrgSpec } from './network-spec';
import { assertCaKeysHere } from './network-users';
import { portTaker, usedPorts, type PortCheck } from './new-org-spec';
import { knownPeerEntry } from './node-configs';
import { editedGatewayPeerLists, replaceNodeConfig } from './gateway-peer-lists';
import { addedPeerToken, discardNewSigningKeys, signingKeyTokenEntry, type HsmKeyFlags } from './member-token';
import { isLoopbackHost, NodeHost } from './node-hosts';
import { orgAuthority } from './org-authority';
import { StagingDir } from './staging-dir';
import { shellWord } from '../../../core/node/shell-word';

/**
 * What `weft network add-peer` is asked for. `hsmLibrary`/`hsmLabel` (`--hsm-library`/`--hsm-label`):
 * the token to generate its signing key in; without them, the token the org's peers sign in, if any.
 */
export interface AddPeerOptions extends HsmKeyFlags {
  /** `--org`: the peer org, by name, MSP ID or domain. */
  readonly org: string;
  /** `--name`: host label; default the first free `peerN`. */
  readonly name?: string;
  /** `--host`: where other machines reach it; default the host of the org's first peer. */
  readonly host?: string;
  /** `--port`: its gRPC port; default (and its operations port always) the next free one above the network's highest. */
  readonly port?: number;
  /** Start it, install the org's chaincode packages and join its channels (unless `--no-start`). */
  readonly start: boolean;
  /** `--channel`: the channels of its org it joins (network.yaml lists it on them, and off the others); default every one. */
  readonly channels?: readonly string[];
  /** `--snapshot`: join that snapshot's channel from it instead of the genesis block. */
  readonly snapshot?: string;
  /** How long to wait for a snapshot import, and for the peer to catch up on each channel. */
  readonly timeoutMs?: number;
}

export interface AddPeerResult extends Partial<AddedPeerStart> {
  readonly org: string;
  readonly mspId: string;
  readonly peer: { id: string; name: string; address: string; operationsAddress: string; configFile: string; cryptoDir: string; serialNumber: string };
  /** The PKCS#11 token its signing key was generated in (no keystore file); absent for a key in a file. */
  readonly signingKeyToken?: { library: string; label: string };
  /** The other peers whose config now lists the new one among its `peer.gateway.peers`. */
  readonly configsUpdated: string[];
  /**
   * Running peers that must restart to know the new peer: none, since running peers learn it by
   * membership exchange as soon as it asks them (its config lists them all); the configs are
   * updated so that they know it after a restart before it has spoken.
   */
  readonly restartNeeded: string[];
  readonly started: boolean;
}

/**
 * `weft network add-peer`: one more peer for an org of the network, as a Fabric operator registers
 * and enrolls a peer with the org's CA, writes its core.yaml, starts it and joins its channels.
 * Every check comes first; the peer's crypto material (NodeOU `peer`, TLS server certificate
 * naming its host) and config are built in a staging directory and moved into place whole, then
 * network.yaml lists it, then the other peers' configs list it too. A refusal or a failure before
 * network.yaml is written leaves the directory as it was. Unless `start` is false, the peer is then
 * started, given the org's installed chaincode packages, joined and caught up ({@link startAddedPeer}).
 */
export async function addPeer(dir: string, options: AddPeerOptions, progress: Progress, portFree: PortCheck = portListenable): Promise<AddPeerResult> {
  if (options.snapshot !== undefined && !options.start) {
    throw new ConfigError('SNAPSHOT_NEEDS_START', `--snapshot ${options.snapshot} with --no-start: a peer joins from a snapshot once it runs`, {
      field: '--snapshot',
      suggestions: ['drop --no-start', `or add it now and join later: weft network up <dir> --node <peer> --no-join, then weft channel join <dir> --snapshot ${shellWord(options.snapshot)} --peer <peer>`],
    });
  }
  const network = openNetwork(dir);
  const org = peerOrgOf(network, options.org);
  const name = options.name === undefined ? nextPeerName(network, org) : checkedName(network, org, options.name);
  const host = checkedHost(options.host ?? org.peers[0]!.host);
  const peer = await portsFor(network.spec, { name, host }, options.port, portFree);
  assertCaKeysHere(network, org, ['ca', 'tlsca'], `adding a peer to ${org.name}`);
  const token = addedPeerToken(network, org, options);
  const channels = chosenChannels(network, org, options.channels);
  const snapshot = options.snapshot === undefined ? undefined : { dir: path.resolve(options.snapshot), channel: await snapshotChannelOf(network, options.snapshot, org, channels) };

  const id = peerIdOf(org, peer);
  const listed: NetworkSpec = { ...network.spec, orgs: network.spec.orgs.map((o) => (o === org ? { ...o, peers: [...o.peers, peer] } : o)) };
  // A channel it is not to join lists the peers that are on it, so that `network up` leaves the new one off.
  const next = orgChannelsOf(network, org).reduce((s, c) => withChannelPeers(s, c.name, channels.includes(c.name) ? { add: [id] } : { remove: [id] }), listed);
  const rendered = renderNetworkFile(next);
  const after = new NetworkLayout(network.dir, rendered.spec);
  const added = after.peers().find((p) => p.id === `${name}.${org.domain}`)!;
  const entries = [path.relative(network.dir, added.cryptoDir), path.relative(network.dir, added.nodeDir)];
  // Computed before anything is written: a config that cannot be read back is refused here.
  const others = otherPeerConfigs(after, added);

  const staging = new StagingDir(path.join(network.dir, added.id));
  let serialNumber: string;
  let discardSigningKey: (() => void) | undefined;
  try {
    const staged = new NetworkLayout(staging.dir, rendered.spec);
    const stagedOrg = staged.spec.orgs.find((o) => o.name === org.name)!;
    const orgRef = { orgDir: network.peerOrgDir(org), domain: org.domain };
    ({ serialNumber, discardSigningKey } = await orgAuthority().issueOrgPeer(orgRef, { name, sans: [host] }, staged.peerOrgDir(stagedOrg), { signingKeys: token }));
    copyOrgCrls(network.orgMspDir(org), path.join(staging.dir, entries[0]!, 'msp'));
    writeNodeConfigs(staged, 'weft network add-peer', new Set([added.id]), token);
    const keyIn = token === undefined ? '' : `, its signing key generated in PKCS#11 token "${token.label}" (it starts with WEFT_PKCS11_PIN set)`;
    progress(`issued ${added.id} (NodeOU peer, serial ${serialNumber}) and its TLS server certificate from ${org.mspId}'s CA and TLS CA${keyIn}; config written`);
    // Each entry was checked absent: one that is in place now but no longer staged was moved by this command.
    const undo = (): void => {
      for (const entry of entries) if (!fs.existsSync(path.join(staging.dir, entry))) fs.rmSync(path.join(network.dir, entry), { recursive: true, force: true });
    };
    try {
      staging.commitInto(network.dir, entries);
      replaceNetworkFile(network.dir, rendered.text);
    } catch (err) {
      undo();
      throw err;
    }
  } catch (err) {
    discardNewSigningKeys([discardSigningKey], progress);
    throw err;
  } finally {
    staging.dispose();
  }
  progress(`${NETWORK_FILE}: ${org.name} peers ${rendered.spec.orgs.find((o) => o.name === org.name)!.peers.map((p) => p.name).join(', ')}`);
  for (const [node, text] of others) replaceNodeConfig(node.configFile, text);
  if (others.size > 0) progress(`${[...others.keys()].map((n) => n.id).join(', ')}: config lists ${added.id} (running ones learn it by membership exchange, no restart needed)`);

  const base = {
    org: org.name,
    mspId: org.mspId,
    peer: { id: added.id, name, address: added.address, operationsAddress: added.operationsAddress!, configFile: added.configFile, cryptoDir: added.cryptoDir, serialNumber },
    ...signingKeyTokenEntry(token),
    configsUpdated: [...others.keys()].map((n) => n.id),
    restartNeeded: [],
  };
  if (!options.start) {
    progress(`not started (--no-start): start it with weft network up ${shellWord(network.dir)} --node ${added.id}`);
    return { ...base, started: false };
  }
  const start = await startAddedPeer(network.dir, added.id, { ...(snapshot !== undefined && { snapshot }), timeoutMs: options.timeoutMs ?? 600_000 }, progress);
  return start === undefined ? { ...base, started: false } : { ...base, ...start, started: true };
}

/** `--channel` (each a channel of the org, else `UNKNOWN_CHANNEL` or `CHANNEL_NOT_OF_ORG`), or every channel of the org. */
function chosenChannels(network: NetworkLayout, org: PeerOrgSpec, refs: readonly string[] | undefined): string[] {
  const ofOrg = orgChannelsOf(network, org).map((c) => c.name);
  if (refs === undefined || refs.length === 0) return ofOrg;
  for (const ref of refs) {
    network.forChannel(ref);
    if (!ofOrg.includes(ref)) {
      throw new ConfigError('CHANNEL_NOT_OF_ORG', `--channel ${ref}: ${org.name} is not a member of channel ${ref}, so its peers cannot join it (${org.name}'s channels: ${ofOrg.join(', ')})`, {
        field: '--channel',
        value: ref,
        suggestions: [`add ${org.name} to it first: weft channel update ${shellWord(network.dir)} --channel ${ref} --add-org ${org.name}`, `or pick among ${ofOrg.join(', ')}`],
      });
    }
  }
  return ofOrg.filter((c) => refs.includes(c));
}

/** `--org` as a peer org; the orderer org is refused by name, since it has orderers, not peers. */
function peerOrgOf(network: NetworkLayout, ref: string): PeerOrgSpec {
  if (orgNamed(network.spec.ordererOrg, ref)) {
    throw new ConfigError('NOT_A_PEER_ORG', `--org ${ref}: ${network.spec.ordererOrg.name} (${network.spec.ordererOrg.mspId}) is the orderer org, which has orderers, not peers`, {
      field: '--org',
      value: ref,
      suggestions: [`pick a peer org: ${network.spec.orgs.map((o) => o.name).join(', ')}`],
    });
  }
  return resolveOrg(network, ref);
}

/** Whether the org has, or had, a peer of that name: in network.yaml, or its crypto or node folder left on disk. */
function nameTaken(network: NetworkLayout, org: PeerOrgSpec, name: string): string | undefined {
  const lower = name.toLowerCase();
  const listed = org.peers.find((p) => p.name.toLowerCase() === lower);
  if (listed !== undefined) return `${org.name} already has a peer ${listed.name} (peers: ${org.peers.map((p) => p.name).join(', ')})`;
  const id = `${lower}.${org.domain}`;
  const folders = [path.join(network.peerOrgDir(org), 'peers', id), path.join(network.dir, 'nodes', id)];
  const onDisk = folders.find((f) => fs.existsSync(f));
  return onDisk === undefined ? undefined : `${onDisk} exists: ${org.name} had a peer of that name (removed from ${NETWORK_FILE}); remove the folder to reuse the name`;
}

function checkedName(network: NetworkLayout, org: PeerOrgSpec, name: string): string {
  const parsed = PeerSpec.shape.name.safeParse(name);
  if (!parsed.success) throw new ConfigError('BAD_PEER_NAME', `--name ${JSON.stringify(name)}: ${parsed.error.issues[0]!.message}`, { field: '--name', value: name });
  const taken = nameTaken(network, org, name);
  if (taken !== undefined) {
    throw new ConfigError('PEER_EXISTS', `--name ${name}: ${taken}`, { field: '--name', value: name, suggestions: [`leave --name out for the next free peerN (${nextPeerName(network, org)})`] });
  }
  return name;
}

/** The first `peerN` the org neither has nor had. */
function nextPeerName(network: NetworkLayout, org: PeerOrgSpec): string {
  for (let n = 0; ; n++) if (nameTaken(network, org, `peer${n}`) === undefined) return `peer${n}`;
}

function checkedHost(host: string): string {
  const parsed = NodeHost.safeParse(host);
  if (!parsed.success) throw new ConfigError('BAD_HOST', `--host ${JSON.stringify(host)}: ${parsed.error.issues[0]!.message}`, { field: '--host', value: host });
  return host;
}

/**
 * The new peer's ports: `--port` (refused when a node of the network has it, or, on loopback,
 * something listens on it) or the next free one above the network's highest port, as `add-org`
 * hands them out; its operations port (and a debug port on a network whose peers have one) follow.
 */
async function portsFor(spec: NetworkSpec, peer: { name: string; host: string }, port: number | undefined, portFree: PortCheck): Promise<PeerSpec> {
  const used = usedPorts(spec);
  const exhausted = () => new ConfigError('PORTS_EXHAUSTED', `no free port left above ${Math.max(...used)} for the new peer`, { field: '--port', suggestions: ['pass a free --port'] });
  if (port !== undefined) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new ConfigError('BAD_PORT', `--port ${port}: a port is 1 to 65535`, { field: '--port', value: port });
    if (used.has(port)) {
      throw new ConfigError('PORT_TAKEN', `--port ${port}: a node of the network already has that port in ${NETWORK_FILE}`, { field: '--port', value: port, suggestions: ['pick another --port, or leave it out for the next free one'] });
    }
    if (isLoopbackHost(peer.host) && !(await portFree(port))) {
      throw new ConfigError('PORT_IN_USE', `--port ${port}: something on this machine listens on it already`, { field: '--port', value: port, suggestions: ['pick another --port, or leave it out for the next free one'] });
    }
    used.add(port);
  }
  const take = portTaker(used, Math.max(...used) + 1, portFree, exhausted);
  const grpc = port ?? (await take(peer.host));
  const operationsPort = await take(peer.host);
  const debug = spec.orgs.some((o) => o.peers.some((p) => p.debugPort !== undefined)) ? { debugPort: await take('127.0.0.1') } : {};
  return { name: peer.name, host: peer.host, port: grpc, operationsPort, ...debug };
}

/** The CRLs of the org's MSP (`weft network revoke`), which each node's local MSP holds too. */
function copyOrgCrls(orgMspDir: string, peerMspDir: string): void {
  const crls = path.join(orgMspDir, 'crls');
  if (fs.existsSync(crls)) fs.cpSync(crls, path.join(peerMspDir, 'crls'), { recursive: true });
}

/** The other peers' configs whose keys are here, each with the new peer added to its `peer.gateway.peers`. */
function otherPeerConfigs(after: NetworkLayout, added: NodeLayout): Map<NodeLayout, string> {
  return editedGatewayPeerLists(after, added.id, (node, list) => (list.some((p) => p.address === added.address) ? undefined : [...list, knownPeerEntry(after, node, added)]), {
    change: `it cannot be told about ${added.id}`,
    rerun: 'run weft network add-peer again; nothing was changed',
  });
}
