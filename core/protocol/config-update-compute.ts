import { randomBytes } from 'node:crypto';
import { SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigGroup, ConfigPolicy, ConfigSignature, ConfigUpdate, ConfigUpdateEnvelope, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import type { Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ConfigError } from '../errors';
import { bytesEqual } from './bytes';
import type { Signer } from './signer';

/**
 * Fabric's `update.Compute` (`internal/configtxlator/update/update.go`, what `configtxlator
 * compute_update` writes): the `ConfigUpdate` taking one channel config to another.
 *
 * - A changed value or policy is written at version+1; a new one at version 0; a removed one is
 *   simply absent.
 * - A group whose members change (one added or removed) or whose mod_policy changes is read at its
 *   version and written at version+1 with its new mod_policy, listing every member: the unchanged
 *   ones at their versions in both sets.
 * - A group whose members only changed inside is read and written at its version, holding only what
 *   changed (the write set's copy without a mod_policy, as Fabric's).
 * - A new group is written at version 0 with every element inside it at version 0, whatever
 *   versions the updated config gave them (they are new to this channel).
 */

/** One group's update: read set, write set, and whether anything in it changed. */
interface GroupUpdate {
  readonly read: ConfigGroup;
  readonly write: ConfigGroup;
  readonly updated: boolean;
}

/** The map operations of a jspb map that the computation needs. */
interface ProtoMap<T> {
  entries(): Iterable<[string, T]>;
  get(key: string): T | undefined;
}

/** One member map's part: what is written, what is the same (at its version), and whether membership changed. */
interface MembersUpdate<T> {
  readonly write: Map<string, T>;
  readonly same: Map<string, T>;
  readonly membersChanged: boolean;
}

/** Fabric compares policies with `proto.Equal`: absent equals absent only; type and value otherwise. */
function samePolicyProto(a: Policy | undefined, b: Policy | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.getType() === b.getType() && bytesEqual(a.getValue_asU8(), b.getValue_asU8());
}

const sameValue = (a: ConfigValue, b: ConfigValue): boolean => a.getModPolicy() === b.getModPolicy() && bytesEqual(a.getValue_asU8(), b.getValue_asU8());
const samePolicy = (a: ConfigPolicy, b: ConfigPolicy): boolean => a.getModPolicy() === b.getModPolicy() && samePolicyProto(a.getPolicy(), b.getPolicy());

function writtenValue(from: ConfigValue, version: number): ConfigValue {
  const v = new ConfigValue();
  v.setVersion(version);
  v.setModPolicy(from.getModPolicy());
  v.setValue(from.getValue_asU8());
  return v;
}

function writtenPolicy(from: ConfigPolicy, version: number): ConfigPolicy {
  const p = new ConfigPolicy();
  p.setVersion(version);
  p.setModPolicy(from.getModPolicy());
  const policy = from.getPolicy();
  if (policy !== undefined) p.setPolicy(policy.clone());
  return p;
}

function versionOnlyValue(version: number): ConfigValue {
  const v = new ConfigValue();
  v.setVersion(version);
  return v;
}

function versionOnlyPolicy(version: number): ConfigPolicy {
  const p = new ConfigPolicy();
  p.setVersion(version);
  return p;
}

/** Fabric's `computeValuesMapUpdate` / `computePoliciesMapUpdate`, one function for both element kinds. */
function computeMembers<T extends ConfigValue | ConfigPolicy>(
  original: ProtoMap<T>,
  updated: ProtoMap<T>,
  same: (a: T, b: T) => boolean,
  written: (from: T, version: number) => T,
  versionOnly: (version: number) => T,
): MembersUpdate<T> {
  const write = new Map<string, T>();
  const unchanged = new Map<string, T>();
  let membersChanged = false;
  for (const [name, o] of original.entries()) {
    const u = updated.get(name);
    if (u === undefined) membersChanged = true;
    else if (same(o, u)) unchanged.set(name, versionOnly(o.getVersion()));
    else write.set(name, written(u, o.getVersion() + 1));
  }
  for (const [name, u] of updated.entries()) {
    if (original.get(name) !== undefined) continue;
    membersChanged = true;
    write.set(name, written(u, 0));
  }
  return { write, same: unchanged, membersChanged };
}

/** Fabric's `computeGroupsMapUpdate`. */
function computeGroups(original: ProtoMap<ConfigGroup>, updated: ProtoMap<ConfigGroup>): MembersUpdate<ConfigGroup> & { readonly read: Map<string, ConfigGroup> } {
  const read = new Map<string, ConfigGroup>();
  const write = new Map<string, ConfigGroup>();
  const same = new Map<string, ConfigGroup>();
  let membersChanged = false;
  for (const [name, o] of original.entries()) {
    const u = updated.get(name);
    if (u === undefined) {
      membersChanged = true;
      continue;
    }
    const child = computeGroup(o, u);
    if (!child.updated) {
      same.set(name, child.read);
      continue;
    }
    read.set(name, child.read);
    write.set(name, child.write);
  }
  for (const [name, u] of updated.entries()) {
    if (original.get(name) !== undefined) continue;
    membersChanged = true;
    // Everything in a new group is new to the channel: version 0 throughout.
    const inner = computeGroup(new ConfigGroup(), u).write;
    const group = new ConfigGroup();
    group.setVersion(0);
    group.setModPolicy(u.getModPolicy());
    fill(group, inner.getValuesMap().entries(), inner.getPoliciesMap().entries(), inner.getGroupsMap().entries());
    write.set(name, group);
  }
  return { read, write, same, membersChanged };
}

function fill(
  group: ConfigGroup,
  values: Iterable<[string, ConfigValue]>,
  policies: Iterable<[string, ConfigPolicy]>,
  groups: Iterable<[string, ConfigGroup]>,
): ConfigGroup {
  for (const [k, v] of values) group.getValuesMap().set(k, v);
  for (const [k, p] of policies) group.getPoliciesMap().set(k, p);
  for (const [k, g] of groups) group.getGroupsMap().set(k, g);
  return group;
}

/** Fabric's `computeGroupUpdate`. */
function computeGroup(original: ConfigGroup, updated: ConfigGroup): GroupUpdate {
  const policies = computeMembers(original.getPoliciesMap(), updated.getPoliciesMap(), samePolicy, writtenPolicy, versionOnlyPolicy);
  const values = computeMembers(original.getValuesMap(), updated.getValuesMap(), sameValue, writtenValue, versionOnlyValue);
  const groups = computeGroups(original.getGroupsMap(), updated.getGroupsMap());
  const version = original.getVersion();

  const reshaped = policies.membersChanged || values.membersChanged || groups.membersChanged || original.getModPolicy() !== updated.getModPolicy();
  if (!reshaped) {
    const read = new ConfigGroup();
    read.setVersion(version);
    const write = new ConfigGroup();
    write.setVersion(version);
    if (policies.write.size === 0 && values.write.size === 0 && groups.write.size === 0) return { read, write, updated: false };
    // Fabric's read set holds no values or policies here: only the changed groups' read sets.
    fill(read, [], [], groups.read);
    fill(write, values.write, policies.write, groups.write);
    return { read, write, updated: true };
  }

  // Membership changed: every unchanged member is read at its version and written unchanged.
  const read = new ConfigGroup();
  read.setVersion(version);
  fill(read, values.same, policies.same, [...groups.read, ...groups.same]);
  const write = new ConfigGroup();
  write.setVersion(version + 1);
  write.setModPolicy(updated.getModPolicy());
  fill(write, [...values.write, ...values.same], [...policies.write, ...policies.same], [...groups.write, ...groups.same]);
  return { read, write, updated: true };
}

/**
 * The `ConfigUpdate` for `channelId` taking `original` to `updated` (Fabric's `update.Compute`, with
 * the channel id `configtxlator compute_update --channel_id` sets). Throws `ConfigError`
 * `CONFIG_UPDATE_EMPTY` when the two configs do not differ (Fabric: "no differences detected between
 * original and updated config"), `CONFIG_UPDATE_NO_CHANNEL_GROUP` when either has no channel group.
 */
export function computeConfigUpdate(channelId: string, original: Config, updated: Config): ConfigUpdate {
  const originalGroup = original.getChannelGroup();
  const updatedGroup = updated.getChannelGroup();
  for (const [which, group] of [
    ['original', originalGroup],
    ['updated', updatedGroup],
  ] as const) {
    if (group === undefined) {
      throw new ConfigError('CONFIG_UPDATE_NO_CHANNEL_GROUP', `no channel group included for ${which} config`, { field: `${which}.channel_group` });
    }
  }
  const { read, write, updated: changed } = computeGroup(originalGroup!, updatedGroup!);
  if (!changed) {
    throw new ConfigError('CONFIG_UPDATE_EMPTY', `channel ${channelId}: no differences detected between original and updated config`, {
      channel: channelId,
      suggestions: ['the channel already has this configuration: nothing to update'],
    });
  }
  const update = new ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(read);
  update.setWriteSet(write);
  return update;
}

/**
 * The update taking `original` to `updated` (see {@link computeConfigUpdate}) in a
 * `ConfigUpdateEnvelope` without signatures yet, with the `ConfigUpdate` it carries.
 */
export function unsignedConfigUpdate(channelId: string, original: Config, updated: Config): { envelope: ConfigUpdateEnvelope; update: ConfigUpdate } {
  const update = computeConfigUpdate(channelId, original, updated);
  const envelope = new ConfigUpdateEnvelope();
  envelope.setConfigUpdate(update.serializeBinary());
  return { envelope, update };
}

/**
 * A `ConfigSignature` of `signer` over `configUpdate` (the bytes in `ConfigUpdateEnvelope.config_update`),
 * as `peer channel signconfigtx` adds one: a signature header with the signer's identity and a fresh
 * nonce, signed together with the update (Fabric's `protoutil.SignConfigUpdate`).
 */
export function configSignature(signer: Signer, configUpdate: Uint8Array): ConfigSignature {
  const header = new SignatureHeader();
  header.setCreator(signer.serialized);
  header.setNonce(randomBytes(24));
  const headerBytes = header.serializeBinary();
  const sig = new ConfigSignature();
  sig.setSignatureHeader(headerBytes);
  sig.setSignature(signer.sign(Buffer.concat([headerBytes, configUpdate])));
  return sig;
}
