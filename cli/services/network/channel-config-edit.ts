import { Config, ConfigGroup, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { BatchSize, BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { WeftError } from '../../../core/errors';
import { buildApplicationOrgGroup, type ApplicationOrgDefinition } from '../../../core/protocol/config-block';
import { capabilityNames } from '../../../core/protocol/capabilities';
import { readChannelConfig, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { configSuccessionProblem } from '../../../core/protocol/config-succession';
import { parseGoDuration } from '../../../core/protocol/go-duration';
import { resolveOrg } from '../chaincode/org-args';
import { assertEd25519FitsCapabilities, capabilitiesOf, mspHasEd25519Root } from './channel-capabilities';
import { hasConfigOps, type ConfigOps } from './channel-config-flags';
import { applyConfigOps } from './channel-config-ops';
import { applicationOrgOf } from './network-channels';
import { NetworkLayout } from './network-layout';
import type { PeerOrgSpec } from './network-spec';
import { shellWord } from '../../../core/node/shell-word';

/**
 * The changes `weft channel update` makes to a channel's config; orgs by name, MSP ID or domain.
 * The typed operations ({@link ConfigOps}: policies, ACLs, capabilities, anchor peers, orderer
 * endpoints) are checked against the config and applied by {@link applyConfigOps}.
 */
export interface ChannelChange extends ConfigOps {
  readonly batchTimeout?: string;
  readonly maxMessageCount?: number;
  readonly absoluteMaxBytes?: number;
  readonly preferredMaxBytes?: number;
  readonly addOrgs?: readonly string[];
  readonly removeOrgs?: readonly string[];
  /**
   * Orgs joining the network (`weft network add-org`), not in network.yaml yet: added to the
   * channel as they are defined here. The one membership change the default channel takes, since
   * the network and its default channel gain the org together.
   */
  readonly joiningOrgs?: readonly ApplicationOrgDefinition[];
}

/** The edited config and the network orgs it adds to and removes from the channel. */
export interface EditedConfig {
  readonly next: Config;
  readonly added: PeerOrgSpec[];
  readonly removed: PeerOrgSpec[];
  /** Lines the operator should read before submitting (a capability that stops older nodes). */
  readonly warnings: string[];
}

/** Whether the change asks for anything. */
export function changesSomething(change: ChannelChange): boolean {
  return (
    change.batchTimeout !== undefined ||
    change.maxMessageCount !== undefined ||
    change.absoluteMaxBytes !== undefined ||
    change.preferredMaxBytes !== undefined ||
    (change.addOrgs?.length ?? 0) > 0 ||
    (change.removeOrgs?.length ?? 0) > 0 ||
    (change.joiningOrgs?.length ?? 0) > 0 ||
    hasConfigOps(change)
  );
}

/**
 * A copy of `current` with `change` applied, checked before anything is sent: a batch timeout that
 * Go's time.ParseDuration reads as positive, a BatchSize Fabric's orderer accepts (positive counts,
 * preferred ≤ absolute), membership changes among the network's orgs only on a channel other than
 * the default one, orgs of this network that are (to remove) or are not yet (to add) members, and
 * orgs joining the network that are in neither network.yaml nor the channel. `layout` is the
 * network seen from the channel ({@link NetworkLayout.forChannel}).
 */
export function editChannelConfig(layout: NetworkLayout, current: ParsedChannelConfig, change: ChannelChange): EditedConfig {
  const channel = layout.spec.channel.name;
  const next = Config.deserializeBinary(current.config.serializeBinary());
  const root = next.getChannelGroup()!;
  editBatch(channel, root, current, change);
  const warnings = applyConfigOps(layout, current, root, change);
  const addRefs = change.addOrgs ?? [];
  const removeRefs = change.removeOrgs ?? [];
  const joining = change.joiningOrgs ?? [];
  if (addRefs.length + removeRefs.length + joining.length === 0) return { next: checkedSuccessor(channel, current, next), added: [], removed: [], warnings };

  if (addRefs.length + removeRefs.length > 0 && channel === layout.networkSpec.channel.name) {
    throw new WeftError('CHANNEL_MEMBERSHIP_FIXED', `channel ${channel} is this network's default channel, which has every org of the network by definition: its members cannot change`, {
      channel,
      suggestions: [
        `create a channel for some orgs with: weft channel create ${shellWord(layout.dir)} <name> --orgs <org,...>, then add or remove orgs there`,
        `add a new org to the network (and so to this channel) with: weft network add-org ${shellWord(layout.dir)}`,
      ],
    });
  }
  const network = new NetworkLayout(layout.dir, layout.networkSpec);
  const application = root.getGroupsMap().get('Application');
  if (application === undefined) throw new WeftError('CHANNEL_HAS_NO_APPLICATION', `channel ${channel}'s config has no Application group: it has no member orgs to change`, { channel });
  const memberKey = (mspId: string): string | undefined => current.applicationOrgs.find((a) => a.mspId === mspId)?.name;
  const alreadyMember = (flag: string, name: string, mspId: string) =>
    new WeftError('ORG_ALREADY_MEMBER', `${flag} ${name}: ${mspId} is already a member of channel ${channel}`, {
      channel,
      org: name,
      suggestions: [`see the channel's members with: weft channel info ${shellWord(layout.dir)} --channel ${channel}`],
    });
  const added = unique(addRefs.map((ref) => resolveOrg(network, ref)));
  const removed = unique(removeRefs.map((ref) => resolveOrg(network, ref)));
  const newMembers: { definition: ApplicationOrgDefinition; field: string; said: string }[] = [];
  for (const org of added) {
    if (memberKey(org.mspId) !== undefined) throw alreadyMember('--add-org', org.name, org.mspId);
    if (removed.includes(org)) throw new WeftError('ORG_ADDED_AND_REMOVED', `${org.name} is named by both --add-org and --remove-org`, { org: org.name });
    const definition = applicationOrgOf(network, org);
    // Keyed by MSP ID, as the genesis builder keys every org of a network's channel.
    application.getGroupsMap().set(org.mspId, buildApplicationOrgGroup(definition));
    newMembers.push({ definition, field: '--add-org', said: `--add-org ${org.name}` });
  }
  for (const org of joining) {
    if (memberKey(org.mspId) !== undefined) throw alreadyMember('new org', org.mspId, org.mspId);
    if (network.spec.orgs.some((o) => o.mspId === org.mspId)) {
      throw new WeftError('ORG_EXISTS', `${org.mspId} is already an org of the network in ${layout.dir}`, { org: org.mspId, suggestions: ['pick another name for the new org'] });
    }
    application.getGroupsMap().set(org.mspId, buildApplicationOrgGroup(org));
    newMembers.push({ definition: org, field: '--key-algorithm', said: `new org ${org.mspId}` });
  }
  refuseEd25519BelowV3(layout, root, newMembers);
  for (const org of removed) {
    const key = memberKey(org.mspId);
    if (key === undefined) {
      throw new WeftError('ORG_NOT_IN_CHANNEL', `--remove-org ${org.name}: ${org.mspId} is not a member of channel ${channel} (its members: ${current.applicationOrgs.map((a) => a.mspId).join(', ')})`, {
        channel,
        org: org.name,
      });
    }
    application.getGroupsMap().del(key);
  }
  if (application.getGroupsMap().getLength() === 0) {
    throw new WeftError('CHANNEL_LAST_ORG', `channel ${channel} would have no member org left: a channel needs at least one`, {
      channel,
      suggestions: ['add another org first (--add-org), or leave the channel as it is'],
    });
  }
  return { next: checkedSuccessor(channel, current, next), added, removed, warnings };
}

/**
 * `next` when Fabric's orderer would take it after `current` (Bundle.ValidateNew) and it parses as
 * a channel config the nodes act on; else a typed error, so nothing is signed for an update the
 * orderer or the peers would refuse.
 */
function checkedSuccessor(channel: string, current: ParsedChannelConfig, next: Config): Config {
  const problem = configSuccessionProblem(current.config, next);
  if (problem !== undefined) throw new WeftError('CONFIG_UPDATE_INVALID', `channel ${channel}: the changed config would be refused: ${problem}`, { channel });
  try {
    readChannelConfig(next, next.serializeBinary(), channel);
  } catch (err) {
    throw new WeftError('CONFIG_UPDATE_INVALID', `channel ${channel}: the changed config would be refused: ${(err as Error).message}`, { channel }, { cause: err });
  }
  return next;
}

/**
 * Refuses orgs with an Ed25519 CA joining a channel whose config (`root`, this update's
 * capabilities included) stays below channel capability V3_0: its MSPs could not take their
 * identities (see {@link assertEd25519FitsCapabilities}).
 */
function refuseEd25519BelowV3(layout: NetworkLayout, root: ConfigGroup, members: readonly { definition: ApplicationOrgDefinition; field: string; said: string }[]): void {
  const names = capabilityNames(root, '/Channel');
  if (names.includes('V3_0')) return;
  const ed25519 = members.filter((m) => mspHasEd25519Root(m.definition.mspConfig));
  if (ed25519.length === 0) return;
  const channel = layout.spec.channel.name;
  const caps = { ...capabilitiesOf(undefined), channel: names[names.length - 1] ?? 'none' };
  assertEd25519FitsCapabilities(
    caps,
    ed25519.map((m) => ({ mspId: m.definition.mspId, source: 'its CA certificate' })),
    { field: ed25519[0]!.field, said: ed25519[0]!.said },
    channel,
    [`raise the channel first, once every node on it is Fabric 3 or Weft: weft channel update ${shellWord(layout.dir)} --channel ${channel} --capability channel=V3_0`],
  );
}

function unique(orgs: PeerOrgSpec[]): PeerOrgSpec[] {
  return [...new Set(orgs)];
}

/** Sets the Orderer group's BatchTimeout and BatchSize values the change names, keeping their mod_policy. */
function editBatch(channel: string, root: ConfigGroup, current: ParsedChannelConfig, change: ChannelChange): void {
  const orderer = root.getGroupsMap().get('Orderer');
  if (change.batchTimeout !== undefined) {
    if ((parseGoDuration(change.batchTimeout) ?? 0) <= 0) {
      throw new WeftError('BAD_BATCH_TIMEOUT', `--batch-timeout ${JSON.stringify(change.batchTimeout)} is not a positive Go duration`, {
        field: '--batch-timeout',
        value: change.batchTimeout,
        suggestions: ['use a Go duration such as 2s, 250ms or 1m30s'],
      });
    }
    const timeout = new BatchTimeout();
    timeout.setTimeout(change.batchTimeout);
    setOrdererValue(orderer, 'BatchTimeout', timeout.serializeBinary(), channel);
  }
  const { maxMessageCount, absoluteMaxBytes, preferredMaxBytes } = change;
  if (maxMessageCount === undefined && absoluteMaxBytes === undefined && preferredMaxBytes === undefined) return;
  const size = new BatchSize();
  size.setMaxMessageCount(maxMessageCount ?? current.batchSize.maxMessageCount);
  size.setAbsoluteMaxBytes(absoluteMaxBytes ?? current.batchSize.absoluteMaxBytes);
  size.setPreferredMaxBytes(preferredMaxBytes ?? current.batchSize.preferredMaxBytes);
  for (const [flag, value] of [
    ['--max-message-count', size.getMaxMessageCount()],
    ['--absolute-max-bytes', size.getAbsoluteMaxBytes()],
    ['--preferred-max-bytes', size.getPreferredMaxBytes()],
  ] as const) {
    if (!Number.isInteger(value) || value <= 0 || value > 0xffffffff) {
      throw new WeftError('BAD_BATCH_SIZE', `${flag} ${value} is not a positive 32-bit count`, { field: flag, value });
    }
  }
  // Fabric's orderer refuses such a BatchSize (channelconfig validateBatchSize).
  if (size.getPreferredMaxBytes() > size.getAbsoluteMaxBytes()) {
    throw new WeftError(
      'BAD_BATCH_SIZE',
      `BatchSize.PreferredMaxBytes (${size.getPreferredMaxBytes()}) would exceed BatchSize.AbsoluteMaxBytes (${size.getAbsoluteMaxBytes()}) on channel ${channel}`,
      { field: '--preferred-max-bytes', suggestions: ['lower --preferred-max-bytes or raise --absolute-max-bytes'] },
    );
  }
  setOrdererValue(orderer, 'BatchSize', size.serializeBinary(), channel);
}

/** Replaces the `/Channel/Orderer` value `key` of a config being edited with `bytes`, keeping its version and mod_policy. */
export function setOrdererValue(group: ConfigGroup | undefined, key: string, bytes: Uint8Array, channel: string): void {
  const existing = group?.getValuesMap().get(key);
  if (group === undefined || existing === undefined) {
    throw new WeftError('CHANNEL_CONFIG_INCOMPLETE', `channel ${channel}'s config has no /Channel/Orderer/${key} value to change`, { channel, value: key });
  }
  const value = new ConfigValue();
  value.setVersion(existing.getVersion());
  value.setModPolicy(existing.getModPolicy());
  value.setValue(bytes);
  group.getValuesMap().set(key, value);
}
