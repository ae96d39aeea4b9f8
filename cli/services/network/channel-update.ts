import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Config, ConfigUpdate, ConfigUpdateEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { WeftError } from '../../../core/errors';
import type { CapabilityLevel } from '../../../core/protocol/capabilities';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import { fetchBlock } from '../block/block-source';
import { loadClientIdentity } from '../client/client-identity';
import { chaincodePolicyUses } from './channel-config-chaincode-uses';
import { changeLine, describeConfigChanges, type ConfigChange } from './channel-config-diff';
import { changesSomething, editChannelConfig, type ChannelChange } from './channel-config-edit';
import { updateApplied } from './config-update-applied';
import {
  adminOf,
  describeNeed,
  missingSignatures,
  needsMet,
  policyNeeds,
  readUpdateFile,
  signForPolicies,
  signerMspIds,
  type AdminSigner,
  unsignedOrgs,
  type PolicyNeed,
} from './config-update-signatures';
import { peersToWaitForUpdate } from './config-block-peers';
import { broadcastConfigUpdate, waitForConfigBlock, waitForOrdererConfigBlock } from './config-update-submit';
import { channelReader, openNetwork, readingPeer, type Progress } from './network-access';
import { channelWithMembers } from './channel-peers';
import { joinEveryNode, renderNetworkFile, replaceNetworkFile } from './network-channels';
import type { NetworkLayout } from './network-layout';
import { batchBytesOf, NETWORK_FILE, type ChannelSpec, type NetworkSpec, type PeerOrgSpec } from './network-spec';
import { capabilitiesChoiceOf, capabilitiesInConfig, capabilitiesOf, capabilityChoiceProblem, type ChannelCapabilitiesChoice } from './channel-capabilities';
import { CAPABILITY_LEVELS } from './channel-config-flags';
import { orgsWithKeysHere, signingKeyHere } from './org-keys';
import { shellWord } from '../../../core/node/shell-word';

export interface ChannelUpdateOptions {
  /** The channel (default: the network's default channel). */
  readonly channel?: string;
  readonly change: ChannelChange;
  /** Write the (partly) signed ConfigUpdateEnvelope here instead of submitting it. */
  readonly output?: string;
  /** Submit the ConfigUpdateEnvelope in this file (from `--output`, signed with `sign-update`). */
  readonly fromFile?: string;
  /** Say what the change would do and who would sign, then stop: nothing signed, written or sent. */
  readonly dryRun?: boolean;
}

export interface ChannelUpdateResult {
  readonly channel: string;
  readonly submitted: boolean;
  /** The file written with `--output`. */
  readonly file?: string;
  /** The orderer that accepted the update. */
  readonly orderer?: string;
  /** The block holding the channel's new config. */
  readonly configBlock?: number;
  /** MSP IDs of the Admins whose signatures the update carries. */
  readonly signedBy: string[];
  /** The policies the update needs, and who signed for each. */
  readonly policies: PolicyNeed[];
  readonly addedOrgs: string[];
  readonly removedOrgs: string[];
  /** This directory's peers staying on the channel that were not waited for, as they do not run or answer; absent when none. */
  readonly notWaitedFor?: string[];
  /**
   * `--from-file` of an update the channel has already (submitted from another member directory):
   * nothing was submitted, network.yaml here was made to say what the channel now is.
   */
  readonly recorded?: true;
  /** Whether network.yaml was changed to match the channel's new config. */
  readonly networkFileUpdated: boolean;
  /** Peers of the added orgs joined from here. */
  readonly joined: string[];
  /** Added orgs whose keys are elsewhere: they join their peers on their hosts. */
  readonly waitingFor: string[];
  /** Each element the update changes, before and after in words, with the policy it needs. */
  readonly changes: ConfigChange[];
  /** Lines to read before submitting (a capability that stops older nodes). */
  readonly warnings: string[];
  /** `--dry-run`: nothing was signed or sent; `policies[].signed` is empty and `canSignHere` says whose keys are here. */
  readonly dryRun?: true;
}

/**
 * `weft channel update`: fetches the channel's latest config from a peer, applies the change to a
 * copy, computes the ConfigUpdate (Fabric's `configtxlator compute_update`), signs it as every
 * Admin here that a policy it touches counts, and submits it to an orderer (Fabric's `peer channel
 * update`). Then waits until this directory's peers on the channel hold the new config block,
 * makes network.yaml say what the channel now is (batch settings, member orgs), and joins the
 * peers of an added org whose keys are here. With `output`, writes the update to a file for other
 * directories' Admins to sign (`weft channel sign-update`); with `fromFile`, submits such a file.
 * Nothing is written before the orderer accepted the update, except the `output` file.
 */
export async function updateChannel(dir: string, options: ChannelUpdateOptions, progress: Progress): Promise<ChannelUpdateResult> {
  const network = openNetwork(dir);
  const layout = network.forChannel(options.channel);
  const channel = layout.spec.channel.name;
  checkOptions(layout, options);

  const before = await fetchBlock(layout, 'config');
  const current = parseConfigBlock(before.bytes);
  progress(`channel ${channel}: current config (sequence ${current.sequence}) in block ${before.number}`);
  const change = (options.change.removePolicies?.length ?? 0) > 0 ? { ...options.change, chaincodePolicyUses: await chaincodePolicyUses(layout) } : options.change;
  const { envelope, update, next, warnings } = options.fromFile === undefined ? newUpdate(layout, current, change) : { ...fileUpdate(options.fromFile, channel), next: undefined, warnings: [] };
  const changes = next === undefined ? [] : describeConfigChanges(current.config, next);
  for (const line of [...changes.map(changeLine), ...warnings.map((w) => `warning: ${w}`)]) progress(line);
  if (options.dryRun === true) {
    const policies = policyNeeds(current, update, envelope).map((n) => ({ ...n, canSignHere: adminsHere(network, n.orgs) }));
    for (const n of policies) progress(`${describeNeed(n, current)}; keys here: ${n.canSignHere.join(', ') || 'none'}`);
    return { channel, submitted: false, dryRun: true, signedBy: [], policies, addedOrgs: [], removedOrgs: [], networkFileUpdated: false, joined: [], waitingFor: [], changes, warnings };
  }
  if (options.fromFile !== undefined && updateApplied(current.config, update) && networkFileStale(dir, channel, current)) {
    // Submitted from another member directory: this one's network.yaml catches up with the channel, nothing is submitted again.
    // Where network.yaml says it already, the update is submitted as asked, and the orderer's refusal says why not.
    progress(`channel ${channel} has this update already (config block ${before.number}): recording it here only`);
    recordInNetworkFile(dir, channel, current, progress);
    return { channel, submitted: false, recorded: true, configBlock: before.number, signedBy: signerMspIds(envelope), policies: [], addedOrgs: [], removedOrgs: [], networkFileUpdated: true, joined: [], waitingFor: [], changes, warnings };
  }
  const { signed, policies } = signForPolicies(network, current, update, envelope);
  if (signed.length > 0) progress(`signed as the Admin of ${signed.map((s) => s.mspId).join(', ')}`);
  const base = { channel, signedBy: signerMspIds(envelope), policies, addedOrgs: [], removedOrgs: [], networkFileUpdated: false, joined: [], waitingFor: [], changes, warnings };

  if (options.output !== undefined) {
    const file = path.resolve(options.output);
    fs.writeFileSync(file, envelope.serializeBinary());
    progress(`config update written to ${file}${needsMet(policies) ? '' : `; still to sign: ${unsignedOrgs(policies).join(', ')} (weft channel sign-update)`}`);
    return { ...base, submitted: false, file };
  }
  if (!needsMet(policies)) throw missingSignatures(layout, channel, current, policies);

  const { orderer } = await broadcastConfigUpdate(network, channel, envelope, signed[0] ?? submitterHere(network));
  progress(`orderer ${orderer} accepted the config update of ${channel}`);
  try {
    return { ...base, submitted: true, orderer, ...(await settle(dir, layout, current, update, before.number, orderer, progress)) };
  } catch (err) {
    // The channel has changed: say so, so that nobody submits the same change again.
    throw new WeftError('CONFIG_UPDATE_UNCONFIRMED', `the orderer accepted the config update of channel ${channel}, but what follows it failed: ${(err as Error).message}`, {
      channel,
      cause: err instanceof WeftError ? err.code : undefined,
      suggestions: [
        `see the channel's config as a peer has it: weft channel info ${shellWord(layout.dir)} --channel ${channel}`,
        `${NETWORK_FILE} may not say what the channel now is; weft channel join / weft network up join the peers still missing`,
      ],
    }, { cause: err });
  }
}

/** What the update settles once the orderer accepted it, for {@link updateChannel}'s result. */
type Settled = Pick<ChannelUpdateResult, 'configBlock' | 'addedOrgs' | 'removedOrgs' | 'networkFileUpdated' | 'joined' | 'waitingFor' | 'notWaitedFor'>;

/**
 * After the orderer accepted the update: waits for this directory's peers that stay on the
 * channel, records the new config in network.yaml, and joins the added orgs' peers that are here.
 */
async function settle(dir: string, layout: NetworkLayout, current: ParsedChannelConfig, update: ConfigUpdate, before: number, orderer: string, progress: Progress): Promise<Settled> {
  const network = openNetwork(dir);
  const channel = layout.spec.channel.name;
  const was = new Set(current.applicationOrgs.map((o) => o.mspId));
  const after = membersAfter(current, update);
  // A removed org's peers get no more blocks of the channel, an added org's are not on it yet: only the peers of orgs that stay are waited for.
  const stayers = orgsWithKeysHere(layout)
    .filter((o) => was.has(o.mspId) && after.has(o.mspId))
    .flatMap((org) => layout.peersOf(org));
  const { waited, notWaitedFor } = await peersToWaitForUpdate(layout, stayers, progress);
  const next = await newConfig(layout, orderer, before, stayers.length > 0);
  const is = next.config === undefined ? after : new Set(next.config.applicationOrgs.map((o) => o.mspId));
  const added = network.spec.orgs.filter((o) => is.has(o.mspId) && !was.has(o.mspId));
  const removed = network.spec.orgs.filter((o) => was.has(o.mspId) && !is.has(o.mspId));
  const networkFileUpdated = next.config !== undefined && recordInNetworkFile(dir, channel, next.config, progress);
  await waitForConfigBlock(layout, waited, before, progress);
  const { joined, waitingFor } = await joinAddedOrgs(dir, channel, added, before, progress);
  return {
    ...(next.block !== undefined && { configBlock: next.block }),
    addedOrgs: added.map((o) => o.mspId),
    removedOrgs: removed.map((o) => o.mspId),
    networkFileUpdated,
    joined,
    waitingFor,
    ...(notWaitedFor.length > 0 && { notWaitedFor }),
  };
}

/** Refuses flag combinations that say nothing or two things at once, before the network is asked anything. */
function checkOptions(layout: NetworkLayout, options: ChannelUpdateOptions): void {
  const channel = layout.spec.channel.name;
  if (options.fromFile !== undefined && (changesSomething(options.change) || options.output !== undefined)) {
    throw new WeftError('CONFLICTING_FLAGS', '--from-file submits the update in the file as it is: it takes no change flags and no --output', {
      suggestions: [`submit it alone: weft channel update ${shellWord(layout.dir)} --channel ${channel} --from-file ${shellWord(options.fromFile)}`],
    });
  }
  if (options.dryRun === true && options.output !== undefined) {
    throw new WeftError('CONFLICTING_FLAGS', '--dry-run writes nothing: it takes no --output', { suggestions: ['drop --output to see what the update would change, or --dry-run to write it'] });
  }
  if (options.fromFile === undefined && !changesSomething(options.change)) {
    throw new WeftError('NOTHING_TO_UPDATE', `no change given for channel ${channel}`, {
      suggestions: [
        `change the batch settings: weft channel update ${shellWord(layout.dir)} --channel ${channel} --batch-timeout 500ms --max-message-count 100`,
        `change the members of a channel made by weft channel create: --add-org <org> or --remove-org <org>`,
        `change a policy, an ACL, a capability, anchor peers or orderer endpoints: --policy Application/Endorsement="ANY Endorsement", --add-policy Application/Org1Only="OR('Org1MSP.member')", --remove-policy Application/Org1Only, --acl qscc/GetTransactionByID=/Channel/Application/Writers, --capability application=V2_5, --anchor-peer Org1=peer0.org1.example.com:7051, --orderer-endpoint OrdererMSP=orderer.example.com:7050`,
        'or submit a signed update file: --from-file <file>',
      ],
    });
  }
}

function newUpdate(layout: NetworkLayout, current: ParsedChannelConfig, change: ChannelChange): { envelope: ConfigUpdateEnvelope; update: ConfigUpdate; next: Config; warnings: string[] } {
  const { next, warnings } = editChannelConfig(layout, current, change);
  return { ...unsignedConfigUpdate(layout.spec.channel.name, current.config, next), next, warnings };
}

/** MSP IDs among `mspIds` whose Admin key is in this directory. */
function adminsHere(network: NetworkLayout, mspIds: readonly string[]): string[] {
  return mspIds.filter((mspId) => {
    const user = adminOf(network, mspId);
    return user !== undefined && signingKeyHere(user);
  });
}

function fileUpdate(file: string, channel: string): { envelope: ConfigUpdateEnvelope; update: ConfigUpdate } {
  const read = readUpdateFile(file);
  if (read.update.getChannelId() !== channel) {
    throw new WeftError('UPDATE_FILE_WRONG_CHANNEL', `${file} updates channel ${read.update.getChannelId()}, not ${channel}`, {
      file,
      suggestions: [`pass --channel ${read.update.getChannelId()}`],
    });
  }
  return read;
}


/** Any Admin here, to sign the envelope of an update whose needed signatures all came from elsewhere. */
function submitterHere(network: NetworkLayout): AdminSigner {
  const candidates = [...orgsWithKeysHere(network).map((o) => o.mspId), network.spec.ordererOrg.mspId];
  for (const mspId of candidates) {
    const user = adminOf(network, mspId)!;
    if (signingKeyHere(user)) return { mspId, user, signer: loadClientIdentity(user).signer };
  }
  throw new WeftError('NO_ADMIN_KEYS_HERE', `${network.dir} holds no Admin key to submit the update with`, { suggestions: ["submit from a directory that holds an org's Admin key"] });
}

/**
 * The MSP IDs of the channel's members once `update` applies: a write set whose Application group
 * moves to a new version lists every member group (Fabric's Compute writes them all), else the
 * members stay. A new member's MSP ID is its MSP value's name.
 */
function membersAfter(current: ParsedChannelConfig, update: ConfigUpdate): Set<string> {
  const read = update.getReadSet()?.getGroupsMap().get('Application');
  const write = update.getWriteSet()?.getGroupsMap().get('Application');
  const now = new Set(current.applicationOrgs.map((o) => o.mspId));
  if (write === undefined || (read !== undefined && read.getVersion() === write.getVersion())) return now;
  const members = new Set<string>();
  for (const [key, group] of write.getGroupsMap().entries()) {
    const known = current.applicationOrgs.find((o) => o.name === key)?.mspId;
    const msp = group.getValuesMap().get('MSP')?.getValue_asU8();
    members.add(known ?? (msp === undefined ? key : FabricMSPConfig.deserializeBinary(MSPConfig.deserializeBinary(msp).getConfig_asU8()).getName()));
  }
  return members;
}

/**
 * Waits until `ordererId`, which took the update, holds the new config block and reads the new
 * config from it (whether or not this directory's peers of the channel run); when none of them
 * stays on the channel, the config as it was: this directory's orgs may no longer read it.
 */
async function newConfig(layout: NetworkLayout, ordererId: string, after: number, stayersHere: boolean): Promise<{ config?: ParsedChannelConfig; block?: number }> {
  if (!stayersHere) return {};
  const orderer = layout.orderers().find((o) => o.id === ordererId) ?? layout.orderers()[0]!;
  const read = await waitForOrdererConfigBlock(layout, orderer, channelReader(layout, readingPeer(layout), layout.spec.channel.name), after);
  return { config: parseConfigBlock(read.bytes), block: read.number };
}

/** Makes network.yaml say what the channel's config now says: batch settings and, off the default channel, its member orgs. */
function recordInNetworkFile(dir: string, channel: string, config: ParsedChannelConfig, progress: Progress): boolean {
  const { spec } = openNetwork(dir);
  const nextSpec = specSaying(spec, channel, config);
  if (isDeepStrictEqual(nextSpec, spec)) return false;
  replaceNetworkFile(dir, renderNetworkFile(nextSpec).text);
  progress(`${NETWORK_FILE}: channel ${channel} updated`);
  return true;
}

/** Whether network.yaml says something else of the channel than its config does. */
function networkFileStale(dir: string, channel: string, config: ParsedChannelConfig): boolean {
  const { spec } = openNetwork(dir);
  return !isDeepStrictEqual(specSaying(spec, channel, config), spec);
}

/** `spec` with the channel as `config` has it. */
function specSaying(spec: NetworkSpec, channel: string, config: ParsedChannelConfig): NetworkSpec {
  const members = new Set(config.applicationOrgs.map((o) => o.mspId));
  const patch = ({ absoluteMaxBytes: _a, preferredMaxBytes: _p, ...c }: ChannelSpec, isDefault: boolean): ChannelSpec => {
    const orgs = !isDefault && (c.orgs !== undefined || members.size !== spec.orgs.length) ? spec.orgs.filter((o) => members.has(o.mspId)).map((o) => o.name) : c.orgs;
    // A `peers` list follows the members: an org that left takes its peers off, one that came puts all of its on.
    const { orgs: _o, ...patched } = channelWithMembers(spec, c, orgs);
    return {
      ...patched,
      batchTimeout: config.batchTimeout,
      maxMessageCount: config.batchSize.maxMessageCount,
      ...batchBytesOf(config.batchSize),
      ...(orgs !== undefined ? { orgs } : {}),
      ...capabilitiesSaying(c.capabilities, config),
    };
  };
  return spec.channel.name === channel
    ? { ...spec, channel: patch(spec.channel, true) }
    : { ...spec, otherChannels: spec.otherChannels.map((c) => (c.name === channel ? patch(c, false) : c)) };
}

/**
 * A channel's `capabilities` entry as `config` requires them: as network.yaml has it while that
 * says the same; else the levels it listed, and those that differ from Weft's defaults. A level
 * network.yaml could not hold (below what Weft makes channels at: a channel made elsewhere) stays
 * as it was.
 */
function capabilitiesSaying(recorded: ChannelCapabilitiesChoice | undefined, config: ParsedChannelConfig): Pick<ChannelSpec, 'capabilities'> {
  const was = capabilitiesOf(recorded);
  const now = capabilitiesInConfig(config.capabilities, was);
  if (isDeepStrictEqual(now, was)) return recorded === undefined ? {} : { capabilities: recorded };
  const listed = CAPABILITY_LEVELS.filter((level) => recorded?.[level] !== undefined || capabilitiesChoiceOf(now)?.[level] !== undefined);
  const value = (level: CapabilityLevel): string | undefined => (capabilityChoiceProblem(level, now[level]) === undefined ? now[level] : recorded?.[level]);
  const entries = listed.flatMap((level) => (value(level) === undefined ? [] : [[level, value(level)] as const]));
  return entries.length === 0 ? {} : { capabilities: Object.fromEntries(entries) };
}

/** Joins the peers of the added orgs whose keys are here (from the channel's genesis block, as Fabric's docs join a new org); the others join on their hosts. */
async function joinAddedOrgs(dir: string, channel: string, added: readonly PeerOrgSpec[], after: number, progress: Progress): Promise<{ joined: string[]; waitingFor: string[] }> {
  const layout = openNetwork(dir).forChannel(channel);
  const here = new Set(orgsWithKeysHere(layout).map((o) => o.mspId));
  const peers = added.filter((o) => here.has(o.mspId)).flatMap((o) => layout.peersOf(o));
  if (peers.length > 0) {
    await joinEveryNode(layout, channel, progress, new Set(peers.map((p) => p.id)));
    await waitForConfigBlock(layout, peers, after, progress);
  }
  const waitingFor = added.filter((o) => !here.has(o.mspId)).map((o) => o.mspId);
  if (waitingFor.length > 0) {
    progress(`${waitingFor.join(', ')} join their peers on their hosts: ${joinStep(layout, channel)}`);
  }
  return { joined: peers.map((p) => p.id), waitingFor };
}

/** What an added org whose keys are elsewhere runs: its members are in the latest config block, not in the genesis block. */
export function joinStep(layout: NetworkLayout, channel: string): string {
  return (
    `write the latest config block with weft channel fetch ${shellWord(layout.dir)} config --channel ${channel} -o ${channel}-config.block, ` +
    `copy it and ${layout.genesisBlockFileOf(channel)} there, and run weft channel join <dir> ${channel}.block --config ${channel}-config.block`
  );
}
