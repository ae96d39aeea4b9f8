import type { Config, ConfigGroup, ConfigUpdate } from '@hyperledger/fabric-protos/lib/common/configtx_pb';

/**
 * Whether the channel's `current` config already holds everything `update` writes: a config update
 * another member directory submitted, which this one only records (`weft channel update
 * --from-file` run in each member directory, as `weft network add-org --from-file` is). An element
 * the update changes (its version in the write set differs from the read set's, or it is absent from
 * the read set) must be in the config at that version with the same bytes, and a group it changes
 * must have exactly the members the write set lists (Fabric writes a changed group's members whole).
 * An update not submitted yet fails this: its versions are one above the config's.
 */
export function updateApplied(current: Config, update: ConfigUpdate): boolean {
  const write = update.getWriteSet();
  const root = current.getChannelGroup();
  return write !== undefined && root !== undefined && holds(root, update.getReadSet(), write);
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

function holds(config: ConfigGroup, read: ConfigGroup | undefined, write: ConfigGroup): boolean {
  const changed = read === undefined || read.getVersion() !== write.getVersion();
  if (changed) {
    if (config.getVersion() !== write.getVersion()) return false;
    const keys = (g: ConfigGroup) => [...g.getGroupsMap().keys()].sort().join('\n');
    if (keys(config) !== keys(write)) return false;
  }
  for (const [key, value] of write.getValuesMap().entries()) {
    const before = read?.getValuesMap().get(key);
    if (before !== undefined && before.getVersion() === value.getVersion()) continue;
    const now = config.getValuesMap().get(key);
    if (now === undefined || now.getVersion() !== value.getVersion() || !same(now.getValue_asU8(), value.getValue_asU8())) return false;
  }
  for (const [key, policy] of write.getPoliciesMap().entries()) {
    const before = read?.getPoliciesMap().get(key);
    if (before !== undefined && before.getVersion() === policy.getVersion()) continue;
    const now = config.getPoliciesMap().get(key);
    if (now === undefined || now.getVersion() !== policy.getVersion() || !same(now.getPolicy()?.serializeBinary() ?? new Uint8Array(), policy.getPolicy()?.serializeBinary() ?? new Uint8Array())) return false;
  }
  for (const [key, group] of write.getGroupsMap().entries()) {
    const now = config.getGroupsMap().get(key);
    if (now === undefined || !holds(now, read?.getGroupsMap().get(key), group)) return false;
  }
  return true;
}
