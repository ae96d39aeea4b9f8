import { randomBytes } from 'node:crypto';
import { Envelope, HeaderType, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigEnvelope, ConfigGroup, ConfigPolicy, ConfigSignature, ConfigUpdate, ConfigUpdateEnvelope, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConfigUpdateValidator } from '../../../core/orderer/config-update';
import type { PolicyManager } from '../../../core/policy/policy';
import { buildEnvelope, parseEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';

const sameValue = (a: ConfigValue, b: ConfigValue): boolean => a.getModPolicy() === b.getModPolicy() && Buffer.compare(a.getValue_asU8(), b.getValue_asU8()) === 0;
const samePolicy = (a: ConfigPolicy, b: ConfigPolicy): boolean =>
  a.getModPolicy() === b.getModPolicy() && Buffer.compare(a.getPolicy()?.serializeBinary() ?? Buffer.alloc(0), b.getPolicy()?.serializeBinary() ?? Buffer.alloc(0)) === 0;

interface GroupUpdate {
  readonly read: ConfigGroup;
  readonly write: ConfigGroup;
  readonly updated: boolean;
}

/**
 * Fabric's `update.Compute` for one group (what `configtxlator compute_update` writes): changed
 * values and policies at version+1, new members at version 0, and a group whose membership changes
 * at version+1 listing every member; unchanged members appear in both sets at their version.
 */
function computeGroup(original: ConfigGroup, updated: ConfigGroup): GroupUpdate {
  const read = new ConfigGroup();
  const write = new ConfigGroup();
  const same = new ConfigGroup();
  let membersChanged = false;
  let contentChanged = false;
  const members = <T extends ConfigValue | ConfigPolicy>(
    get: (g: ConfigGroup) => { entries(): Iterable<[string, T]>; get(k: string): T | undefined; set(k: string, v: T): unknown },
    equal: (a: T, b: T) => boolean,
    make: () => T,
  ): void => {
    for (const [k, o] of get(original).entries()) {
      const u = get(updated).get(k);
      if (u === undefined) {
        membersChanged = true;
        continue;
      }
      if (equal(o, u)) {
        const v = make();
        v.setVersion(o.getVersion());
        get(same).set(k, v);
      } else {
        const v = u.clone() as T;
        v.setVersion(o.getVersion() + 1);
        get(write).set(k, v);
        contentChanged = true;
      }
    }
    for (const [k, u] of get(updated).entries()) {
      if (get(original).get(k) !== undefined) continue;
      const v = u.clone() as T;
      v.setVersion(0);
      get(write).set(k, v);
      membersChanged = true;
    }
  };
  members((g) => g.getValuesMap(), sameValue, () => new ConfigValue());
  members((g) => g.getPoliciesMap(), samePolicy, () => new ConfigPolicy());
  for (const [k, o] of original.getGroupsMap().entries()) {
    const u = updated.getGroupsMap().get(k);
    if (u === undefined) {
      membersChanged = true;
      continue;
    }
    const child = computeGroup(o, u);
    if (child.updated) {
      read.getGroupsMap().set(k, child.read);
      write.getGroupsMap().set(k, child.write);
      contentChanged = true;
    } else {
      const g = new ConfigGroup();
      g.setVersion(o.getVersion());
      same.getGroupsMap().set(k, g);
    }
  }
  for (const [k, u] of updated.getGroupsMap().entries()) {
    if (original.getGroupsMap().get(k) !== undefined) continue;
    write.getGroupsMap().set(k, u);
    membersChanged = true;
  }
  read.setVersion(original.getVersion());
  write.setVersion(original.getVersion());
  if (membersChanged) {
    // Every unchanged member is read at its version and written unchanged; the group moves on.
    for (const target of [read, write]) {
      for (const [k, v] of same.getValuesMap().entries()) target.getValuesMap().set(k, v);
      for (const [k, v] of same.getPoliciesMap().entries()) target.getPoliciesMap().set(k, v);
      for (const [k, v] of same.getGroupsMap().entries()) target.getGroupsMap().set(k, v);
    }
    write.setVersion(original.getVersion() + 1);
    write.setModPolicy(updated.getModPolicy());
  }
  return { read, write, updated: membersChanged || contentChanged };
}

/**
 * The CONFIG_UPDATE envelope taking `current` to `next` (as `configtxlator compute_update` would
 * write it), signed by `admins` and submitted by `submitter`.
 */
export function configUpdate(channelId: string, current: Config, next: Config, admins: readonly Signer[], submitter: Signer): Uint8Array {
  const { read, write } = computeGroup(current.getChannelGroup() as ConfigGroup, next.getChannelGroup() as ConfigGroup);
  const update = new ConfigUpdate();
  update.setChannelId(channelId);
  update.setReadSet(read);
  update.setWriteSet(write);
  return signedConfigUpdate(channelId, update, admins, submitter);
}

/** The CONFIG_UPDATE envelope carrying `update` with a `ConfigSignature` of each of `signers`, submitted by `submitter`. */
export function signedConfigUpdate(channelId: string, update: ConfigUpdate, signers: readonly Signer[], submitter: Signer): Uint8Array {
  const updateBytes = update.serializeBinary();
  const envelope = new ConfigUpdateEnvelope();
  envelope.setConfigUpdate(updateBytes);
  for (const signer of signers) {
    const header = new SignatureHeader();
    header.setCreator(signer.serialized);
    header.setNonce(randomBytes(24));
    const headerBytes = header.serializeBinary();
    const sig = new ConfigSignature();
    sig.setSignatureHeader(headerBytes);
    sig.setSignature(signer.sign(Buffer.concat([headerBytes, updateBytes])));
    envelope.addSignatures(sig);
  }
  return buildEnvelope({ type: HeaderType.CONFIG_UPDATE, channelId, data: envelope.serializeBinary(), signer: submitter });
}

/** The CONFIG envelope an orderer orders for `update`: the resulting `config` and the update itself. */
export function configTransaction(channelId: string, config: Config, update: Uint8Array, orderer: Signer): Uint8Array {
  const ce = new ConfigEnvelope();
  ce.setConfig(config);
  ce.setLastUpdate(Envelope.deserializeBinary(update));
  return buildEnvelope({ type: HeaderType.CONFIG, channelId, data: ce.serializeBinary(), signer: orderer, txId: '' });
}

/** What an orderer makes of `update` on a channel at `current`: the CONFIG envelope with the config the update produces. */
export function orderedConfigUpdate(channelId: string, current: Config, policies: PolicyManager, update: Uint8Array, orderer: Signer): Uint8Array {
  const next = new ConfigUpdateValidator(channelId, current, policies).propose(parseEnvelope(update).data);
  return configTransaction(channelId, next, update, orderer);
}
