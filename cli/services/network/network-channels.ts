import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError, WeftError } from '../../../core/errors';
import { PAUSED_LEDGER } from '../../../core/peer/peer-error';
import { buildConfigBlock, type ApplicationOrgDefinition } from '../../../core/protocol/config-block';
import { ETCDRAFT_CONSENSUS_TYPE, etcdraftConfigMetadata } from '../../../core/protocol/etcdraft-config';
import { resolveOrg } from '../chaincode/org-args';
import { OrdererAdminClient } from '../client/orderer-admin';
import { withPeerClient } from '../client/peer-client';
import { mspTooling } from '../msp-tooling';
import { renderTemplate } from '../templates/render-tree';
import { openNetwork, peerAdmin, peerChainInfo, peerChannels, type Progress } from './network-access';
import { NetworkLayout, type NodeLayout } from './network-layout';
import { ChannelSpec, DEFAULT_ABSOLUTE_MAX_BYTES, DEFAULT_PREFERRED_MAX_BYTES, NETWORK_FILE, parseNetworkSpec, type NetworkSpec, type PeerOrgSpec } from './network-spec';
import { keyHere, keyNotHere, orgsWithKeysHere } from './org-keys';
import { assertEd25519FitsCapabilities, capabilitiesOf, mspHasEd25519Root, type ChannelCapabilitiesChoice } from './channel-capabilities';
import { CAPABILITY_LEVELS } from './channel-config-flags';
import { waitFor } from './node-processes';
import { channelWithPeers, memberOrgsOf, namedPeers, peersNamedForChannel, withChannelPeers } from './channel-peers';
import { replaceFile } from '../../../core/node/durable-files';
import { shellWord } from '../../../core/node/shell-word';

/** An org of the network as a channel's application org: its MSP, its first peer as its anchor peer. */
export function applicationOrgOf(layout: NetworkLayout, org: PeerOrgSpec): ApplicationOrgDefinition {
  return applicationOrgFrom(layout.orgMspDir(org), org);
}

/** {@link applicationOrgOf} of an org whose MSP folder is `mspDir` (a new org's own directory, an org definition laid out). */
export function applicationOrgFrom(mspDir: string, org: Pick<PeerOrgSpec, 'mspId' | 'peers'>): ApplicationOrgDefinition {
  return {
    mspId: org.mspId,
    mspConfig: mspTooling().msp.loadMspConfig(mspDir, org.mspId),
    anchorPeers: [{ host: org.peers[0]!.host, port: org.peers[0]!.port }],
  };
}

/**
 * A channel's genesis block: the layout's orgs (see {@link applicationOrgOf}), at the capabilities
 * `channel` names (Weft's defaults for the levels it leaves out). Refuses (`CAPABILITY_TOO_LOW`) a
 * channel below V3_0 with an org whose CA is Ed25519; `chosenBy` names what chose its capabilities.
 */
export function channelGenesisBlock(layout: NetworkLayout, channel: ChannelSpec, chosenBy = { field: 'capabilities', said: `channel ${channel.name}'s capabilities` }): Uint8Array {
  const { msp } = mspTooling();
  const { spec } = layout;
  const applicationOrgs = spec.orgs.map((org) => applicationOrgOf(layout, org));
  const ordererOrg = { mspId: spec.ordererOrg.mspId, mspConfig: msp.loadMspConfig(layout.orgMspDir(undefined), spec.ordererOrg.mspId) };
  const capabilities = capabilitiesOf(channel.capabilities);
  const ed25519 = [ordererOrg, ...applicationOrgs].filter((org) => mspHasEd25519Root(org.mspConfig)).map((org) => ({ mspId: org.mspId, source: 'its CA certificate' }));
  assertEd25519FitsCapabilities(capabilities, ed25519, chosenBy, channel.name);
  return buildConfigBlock({
    channelId: channel.name,
    applicationOrgs,
    ordererOrgs: [{ ...ordererOrg, endpoints: layout.orderers().map((o) => o.address) }],
    capabilities,
    batchSize: {
      maxMessageCount: channel.maxMessageCount,
      absoluteMaxBytes: channel.absoluteMaxBytes ?? DEFAULT_ABSOLUTE_MAX_BYTES,
      preferredMaxBytes: channel.preferredMaxBytes ?? DEFAULT_PREFERRED_MAX_BYTES,
    },
    batchTimeout: channel.batchTimeout,
    consensusType: consensusTypeOf(layout),
  }).serializeBinary();
}

/**
 * A channel's ConsensusType as configtxgen writes it for the network: `solo` bare, `etcdraft` with
 * its one consenter, the orderer, as a profile names it (host, port, and its server TLS
 * certificate file as both client and server certificate, as Fabric's test network does).
 */
function consensusTypeOf(layout: NetworkLayout): { type: string; metadata?: Uint8Array } {
  if (layout.spec.consensus !== ETCDRAFT_CONSENSUS_TYPE) return { type: layout.spec.consensus };
  const consenters = layout.spec.ordererOrg.orderers.map((o, i) => {
    const tlsCert = fs.readFileSync(path.join(layout.orderers()[i]!.tlsDir, 'server.crt'));
    return { host: o.host, port: o.port, clientTlsCert: tlsCert, serverTlsCert: tlsCert };
  });
  return { type: ETCDRAFT_CONSENSUS_TYPE, metadata: etcdraftConfigMetadata(consenters) };
}

/** network.yaml is the network's source of truth: replaced whole, never left half written. */
export function replaceNetworkFile(dir: string, text: string): void {
  replaceFile(path.join(dir, NETWORK_FILE), text);
}

/**
 * A string as a YAML scalar: plain where it reads back as itself (`mychannel`, `127.0.0.1`, `250ms`),
 * otherwise JSON, which YAML reads as a double-quoted scalar (`"true"`, `"a: b # c"`).
 */
function yamlScalar(value: string): string {
  const plain = /^[A-Za-z0-9][A-Za-z0-9._@-]*$/.test(value) && parseYaml(value) === value;
  return plain ? value : JSON.stringify(value);
}

/**
 * Renders `spec` as the documented network.yaml, checked by reading it back through the schema and
 * comparing: text that parses as some other valid spec (a value that broke out of its scalar) is
 * refused, not written.
 */
export function renderNetworkFile(spec: NetworkSpec): { text: string; spec: NetworkSpec } {
  const meant = parseNetworkSpec(spec, 'network spec');
  const capabilityEntries = (caps: ChannelCapabilitiesChoice): string => {
    const entries = CAPABILITY_LEVELS.flatMap((level) => (caps[level] === undefined ? [] : [`${level}: ${yamlScalar(caps[level])}`]));
    return entries.length === 0 ? '' : ` ${entries.join(', ')} `;
  };
  const text = renderTemplate('network/network.yaml.ejs', { ...meant, str: yamlScalar, capabilityEntries });
  const reread = parseNetworkSpec(parseYaml(text), 'rendered network.yaml');
  if (JSON.stringify(reread) !== JSON.stringify(meant)) {
    throw new ConfigError('NETWORK_SPEC_INVALID', `${NETWORK_FILE} as rendered does not read back as the network spec it was rendered from; nothing was written`, {
      suggestions: ['check the names, hosts and MSP IDs for characters YAML gives a meaning to'],
    });
  }
  return { text, spec: reread };
}

/**
 * Joins every orderer (channel participation API) and every peer of the layout (pass
 * `forChannel(channel)`: the member orgs' peers on the channel) that has not joined `channel` yet, from its
 * genesis block file, and waits until each of those peers holds the block. `among` limits it to
 * those nodes (the ones `network up` runs on this machine).
 */
export async function joinEveryNode(layout: NetworkLayout, channel: string, progress: Progress, among?: ReadonlySet<string>): Promise<void> {
  const picked = <T extends NodeLayout>(nodes: T[]): T[] => nodes.filter((n) => among === undefined || among.has(n.id));
  const file = layout.genesisBlockFileOf(channel);
  if (!fs.existsSync(file)) {
    throw new WeftError('GENESIS_BLOCK_MISSING', `channel ${channel} is listed in ${NETWORK_FILE}, but its genesis block ${file} is missing`, {
      channel,
      file,
      suggestions: [
        `while a node still serves the channel, fetch block 0 back: weft channel fetch ${shellWord(layout.dir)} 0 --channel ${channel} -o ${shellWord(file)}`,
        `or remove ${channel} from otherChannels in ${NETWORK_FILE}`,
      ],
    });
  }
  const genesis = fs.readFileSync(file);
  for (const orderer of picked(layout.orderers())) {
    const admin = new OrdererAdminClient(orderer, layout);
    if ((await admin.info(channel)) === undefined) {
      await admin.join(channel, genesis);
      progress(`${orderer.id} joined ${channel}`);
    }
  }
  const paused = new Set<string>();
  for (const peer of picked(layout.peers())) {
    if (!(await peerChannels(layout, peer)).includes(channel)) {
      const admin = peerAdmin(layout, peer);
      try {
        await withPeerClient(layout.spec, peer, admin, (c) => c.call(admin.signer, '', 'cscc', ['JoinChain', genesis]));
      } catch (err) {
        // `weft peer pause` keeps the ledger and the peer refuses to join it anew: an operator's choice to respect.
        if (!(err instanceof Error && err.message.includes(PAUSED_LEDGER))) throw err;
        paused.add(peer.id);
        progress(`${peer.id}: ${channel} is paused there, left as is (weft peer resume --channel ${channel}, with the peer stopped, resumes it)`);
        continue;
      }
      progress(`${peer.id} joined ${channel}`);
    }
  }
  for (const peer of picked(layout.peers()).filter((p) => !paused.has(p.id))) {
    await waitFor(peer, `at height ≥ 1 on ${channel}`, async () => (await peerChainInfo(layout, peer, channel)).height >= 1);
  }
}

export interface CreateChannelResult {
  readonly channel: string;
  readonly genesisBlock: string;
  /** The nodes joined (or found joined): every orderer, and the peers of the member orgs whose keys are here. */
  readonly nodes: string[];
  /** Member orgs whose keys are elsewhere: each joins its peers on its own host with `weft channel join`. */
  readonly waitingFor: string[];
}

/**
 * `weft channel create`: a new channel with every org of the network, or the orgs `channel.orgs`
 * names (name, MSP ID or domain). Writes its genesis block, lists it in network.yaml
 * (`otherChannels`), then joins every orderer and the peers of the member orgs whose keys are here;
 * its capabilities are the default channel's as network.yaml records them, but for the levels
 * `channel.capabilities` names (refused below V3_0 when an org's CA is Ed25519, before anything is written);
 * an org whose keys are elsewhere joins its own peers with `weft channel join` and the block.
 * `channel.peers` (peer ids, `--peer`) joins only those of the peers here, and network.yaml lists
 * them as the channel's (with every peer of the member orgs whose keys are elsewhere). Acts as the
 * orderer org's Admin, so it needs that key. The network must be up. Run again after a failed
 * join, it joins the nodes still missing from the same block.
 */
export async function createChannel(dir: string, requested: ChannelSpec, progress: Progress): Promise<CreateChannelResult> {
  const layout = openNetwork(dir);
  // A new channel is for the nodes the default channel has: at its capabilities, but for the levels asked otherwise.
  const inherited = layout.spec.channel.capabilities;
  const capabilities = requested.capabilities === undefined ? inherited : { ...inherited, ...requested.capabilities };
  const channel = {
    ...requested,
    ...(requested.orgs === undefined ? {} : { orgs: memberNames(layout, requested.orgs) }),
    ...(capabilities === undefined ? {} : { capabilities }),
  };
  const parsed = ChannelSpec.safeParse(channel);
  if (!parsed.success) {
    throw new WeftError('CHANNEL_SPEC_INVALID', `channel ${channel.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, {
      suggestions: ['a channel name is lower case: [a-z][a-z0-9.-]*; a batch timeout is a Go duration such as 2s or 250ms'],
    });
  }
  const known = layout.channels().find((c) => c.name === channel.name);
  if (known === layout.spec.channel) {
    throw new WeftError('CHANNEL_EXISTS', `channel ${channel.name} is this network's default channel`, { suggestions: [`see it with: weft channel info ${shellWord(dir)}`] });
  }
  assertOrdererAdminHere(layout);
  const file = layout.genesisBlockFileOf(channel.name);
  const members = memberOrgsOf(layout.spec, parsed.data);
  const here = orgsWithKeysHere(layout);
  if (known === undefined) {
    const { peers: refs, ...unlisted } = parsed.data;
    const listed = refs === undefined ? unlisted : channelWithPeers(layout.spec, unlisted, peersNamedForChannel(channel.name, members, here, refs));
    const next = renderNetworkFile({ ...layout.spec, otherChannels: [...layout.spec.otherChannels, listed] });
    const chosen = capabilitiesOf(capabilities).channel;
    const chosenBy =
      requested.capabilities !== undefined
        ? { field: '--capabilities', said: `--capabilities channel=${chosen}` }
        : { field: 'channel.capabilities', said: `the default channel's capabilities in ${NETWORK_FILE} (channel=${chosen}), which a new channel takes but for the levels --capabilities names` };
    const genesis = channelGenesisBlock(new NetworkLayout(layout.dir, next.spec).forChannel(channel.name), listed, chosenBy);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, genesis);
    replaceNetworkFile(layout.dir, next.text);
    progress(`channel ${channel.name}: genesis block written, listed in ${NETWORK_FILE}`);
  } else {
    progress(`channel ${channel.name} is already listed in ${NETWORK_FILE}: joining the nodes that lack it`);
    if (parsed.data.peers !== undefined) recordPeersJoining(layout, channel.name, namedPeers(members.filter((o) => here.includes(o)), parsed.data.peers, '--peer', `the peers here of channel ${channel.name}`), progress);
  }
  const updated = openNetwork(dir).forChannel(channel.name);
  const nodes = [...updated.orderers(), ...orgsWithKeysHere(updated).flatMap((org) => updated.peersOf(org))];
  try {
    await joinEveryNode(updated, channel.name, progress, new Set(nodes.map((n) => n.id)));
  } catch (err) {
    throw notJoinedYet(err, updated, channel.name);
  }
  const waitingFor = updated.spec.orgs.filter((org) => !here.some((h) => h.name === org.name)).map((org) => org.mspId);
  if (waitingFor.length > 0) progress(`${waitingFor.join(', ')} join their peers on their hosts: copy ${file} there and run weft channel join <dir> <that file>`);
  return { channel: channel.name, genesisBlock: file, nodes: nodes.map((n) => n.id), waitingFor };
}

/**
 * Puts `ids` on channel `name` in network.yaml (its `peers`, where it lists some), so that `weft
 * network up` keeps them joined: a peer joined by `--peer` is on the channel from then on.
 */
export function recordPeersJoining(layout: NetworkLayout, name: string, ids: readonly string[], progress: Progress): void {
  const next = withChannelPeers(layout.networkSpec, name, { add: ids });
  if (isDeepStrictEqual(next, layout.networkSpec)) return;
  replaceNetworkFile(layout.dir, renderNetworkFile(next).text);
  progress(`${NETWORK_FILE}: ${ids.join(', ')} listed on channel ${name}`);
}

/**
 * A node that did not answer the join (the network is down): the channel stays written and listed,
 * and `weft network up` joins every node to each channel network.yaml lists, so that is the remedy
 * to name, rather than the bare connection error.
 */
function notJoinedYet(err: unknown, layout: NetworkLayout, channel: string): unknown {
  if (!(err instanceof WeftError) || (err.code !== 'ORDERER_UNREACHABLE' && err.code !== 'PEER_UNREACHABLE')) return err;
  return new WeftError(err.code, `channel ${channel} is written (its genesis block, listed in ${NETWORK_FILE}) but not joined: ${err.message}`, {
    ...err.details,
    channel,
    suggestions: [`start the network: weft network up ${shellWord(layout.dir)} joins every node to ${channel}`, `check it with: weft network status ${shellWord(layout.dir)}`],
  }, { cause: err });
}

/** Creating a channel joins the orderers as the orderer org's Admin: checked before anything is written. */
function assertOrdererAdminHere(layout: NetworkLayout): void {
  const admin = layout.ordererAdmin();
  for (const key of [admin.keyPath, admin.tlsKeyPath]) if (!keyHere(key)) throw keyNotHere(admin, key);
}

/** Org references (name, MSP ID or domain) as the org names network.yaml uses, each once, in network order. */
function memberNames(layout: NetworkLayout, refs: readonly string[]): string[] {
  const names = new Set(refs.map((ref) => resolveOrg(layout, ref).name));
  return layout.spec.orgs.filter((o) => names.has(o.name)).map((o) => o.name);
}
