import { SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import {
  Config,
  ConfigGroup,
  ConfigPolicy,
  ConfigUpdate,
  ConfigUpdateEnvelope,
  ConfigValue,
} from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererError } from '../errors';
import { guard } from '../protocol/bounded-decode';
import { decodeConfigProto, unknownFields } from '../protocol/config-decode';
import { SignatureHeaderSchema } from '../protocol/block-schemas';
import { ConfigUpdateEnvelopeSchema, ConfigUpdateSchema } from '../protocol/config-schemas';
import { bytesEqual } from '../protocol/bytes';
import type { PolicyManager, SignedData } from '../policy/policy';

/** One element of a flattened config tree (Fabric configtx's `comparable`). */
interface Element {
  readonly kind: 'Group' | 'Value' | 'Policy';
  /** Names from the root to the parent group, e.g. ['Channel', 'Application']. */
  readonly parent: readonly string[];
  readonly name: string;
  readonly version: number;
  readonly modPolicy: string;
  readonly group?: ConfigGroup;
  readonly value?: ConfigValue;
  readonly policy?: ConfigPolicy;
}

const ROOT = 'Channel';
const MAX_DEPTH = 32;
const NAME = /^[a-zA-Z0-9.-]+$/;

function keyOf(kind: Element['kind'], parent: readonly string[], name: string): string {
  return `[${kind}] /${[...parent, name].join('/')}`;
}

/** Flattens a config group tree (Fabric `mapConfig`), checking element names as Fabric does. */
function mapConfig(root: ConfigGroup, where: string): Map<string, Element> {
  const out = new Map<string, Element>();
  const visit = (group: ConfigGroup, parent: string[], name: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw bad(`${where}: config groups nest deeper than ${MAX_DEPTH} levels`);
    checkName(name, where);
    out.set(keyOf('Group', parent, name), { kind: 'Group', parent, name, version: group.getVersion(), modPolicy: group.getModPolicy(), group });
    const path = [...parent, name];
    for (const [k, v] of group.getValuesMap().entries()) {
      checkName(k, where);
      out.set(keyOf('Value', path, k), { kind: 'Value', parent: path, name: k, version: v.getVersion(), modPolicy: v.getModPolicy(), value: v });
    }
    for (const [k, p] of group.getPoliciesMap().entries()) {
      checkName(k, where);
      out.set(keyOf('Policy', path, k), { kind: 'Policy', parent: path, name: k, version: p.getVersion(), modPolicy: p.getModPolicy(), policy: p });
    }
    for (const [k, g] of group.getGroupsMap().entries()) visit(g, path, k, depth + 1);
  };
  guard(where, () => visit(root, [], ROOT, 1));
  return out;
}

/** Fabric `validateConfigID`: 1-249 of [a-zA-Z0-9.-], not "." or "..". */
function legalName(name: string): boolean {
  return name.length > 0 && name.length <= 249 && NAME.test(name) && name !== '.' && name !== '..';
}

function checkName(name: string, where: string): void {
  if (!legalName(name)) {
    throw bad(`${where}: illegal element name ${JSON.stringify(name)} (expected 1-249 of [a-zA-Z0-9.-], not "." or "..")`);
  }
}

/**
 * Why a `mod_policy` cannot name a policy (Fabric `validateModPolicy`), or undefined: it must be
 * set, and each `/`-separated element of it (after one leading `/`) a legal element name. An
 * element whose mod_policy names no possible policy could never be changed again.
 */
export function modPolicyProblem(modPolicy: string): string | undefined {
  if (modPolicy.length === 0) return 'mod_policy is not set';
  const elements = (modPolicy.startsWith('/') ? modPolicy.slice(1) : modPolicy).split('/');
  const i = elements.findIndex((e) => !legalName(e));
  if (i === -1) return undefined;
  return `mod_policy ${JSON.stringify(modPolicy)}: path element ${i} (${JSON.stringify(elements[i])}) is invalid (expected 1-249 of [a-zA-Z0-9.-], not "." or "..")`;
}

/** Rebuilds a group tree from the flattened map (Fabric `configMapToConfig`): children named by each group, contents from the map. */
function rebuild(map: Map<string, Element>, parent: string[], name: string): ConfigGroup {
  const element = map.get(keyOf('Group', parent, name));
  if (element?.group === undefined) throw bad(`missing group at path /${[...parent, name].join('/')}`);
  const source = element.group;
  const path = [...parent, name];
  const group = new ConfigGroup();
  group.setVersion(source.getVersion());
  group.setModPolicy(source.getModPolicy());
  for (const k of [...source.getGroupsMap().keys()].sort()) group.getGroupsMap().set(k, rebuild(map, path, k));
  for (const k of [...source.getValuesMap().keys()].sort()) {
    const v = map.get(keyOf('Value', path, k))?.value;
    if (v === undefined) throw bad(`missing value at path /${[...path, k].join('/')}`);
    group.getValuesMap().set(k, v);
  }
  for (const k of [...source.getPoliciesMap().keys()].sort()) {
    const p = map.get(keyOf('Policy', path, k))?.policy;
    if (p === undefined) throw bad(`missing policy at path /${[...path, k].join('/')}`);
    group.getPoliciesMap().set(k, p);
  }
  return group;
}

/**
 * The absolute policy path an element's `mod_policy` names (Fabric `policyForItem`): an absolute
 * path is used as is; a relative one is resolved in the element's group (for a group, the group
 * itself).
 */
export function modPolicyPath(element: Pick<Element, 'kind' | 'parent' | 'name' | 'modPolicy'>): string {
  if (element.modPolicy.startsWith('/')) return element.modPolicy;
  const groupPath = element.kind === 'Group' ? [...element.parent, element.name] : element.parent;
  return `/${[...groupPath, element.modPolicy].join('/')}`;
}

/** The signatures a `ConfigUpdateEnvelope` collected, as policy input (data = signature_header ‖ config_update). */
export function configUpdateSignedData(envelope: ConfigUpdateEnvelope): SignedData[] {
  const update = envelope.getConfigUpdate_asU8();
  return envelope.getSignaturesList().map((sig, i) => {
    const header = sig.getSignatureHeader_asU8();
    const creator = decodeConfigProto(SignatureHeader, SignatureHeaderSchema, header, `config_update_envelope.signatures[${i}].signature_header`).getCreator_asU8();
    return { data: Buffer.concat([header, update]), identity: creator, signature: sig.getSignature_asU8() };
  });
}

/**
 * Fabric's configtx validator (`common/configtx/validator.go`, `update.go`) for one channel's
 * current config: checks a `ConfigUpdateEnvelope` against it and computes the next `Config`.
 */
export class ConfigUpdateValidator {
  private readonly current: Map<string, Element>;

  constructor(
    private readonly channelId: string,
    private readonly config: Config,
    private readonly policies: PolicyManager,
  ) {
    const root = config.getChannelGroup();
    if (root === undefined) throw bad('current config has no channel_group');
    this.current = mapConfig(root, 'config');
  }

  /**
   * Validates the update: channel id, read-set versions equal to the current ones, every changed
   * element with a well-formed `mod_policy`, at exactly version+1 (new ones at 0), and its current
   * `mod_policy` satisfied by the collected signatures. Returns the next config (sequence + 1). Throws `OrdererError` with code
   * `ORDERER_BAD_CONFIG_UPDATE` or `ORDERER_FORBIDDEN` saying which element failed.
   */
  propose(updateEnvelopeBytes: Uint8Array): Config {
    // Decoded as protobuf-go decodes them, as every Fabric node on the channel does.
    const envelope = decodeConfigProto(ConfigUpdateEnvelope, ConfigUpdateEnvelopeSchema, updateEnvelopeBytes, 'config_update_envelope');
    const updateBytes = envelope.getConfigUpdate_asU8();
    const update = decodeConfigProto(ConfigUpdate, ConfigUpdateSchema, updateBytes, 'config_update_envelope.config_update');
    // Fabric carries unknown fields of the write set into the next config; the canonical decoding
    // cannot, so such an update is refused rather than applied without them.
    const unknown = unknownFields(updateBytes, ConfigUpdateSchema, 'config_update').filter((f) => f.startsWith('config_update.3.'));
    if (unknown.length > 0) throw bad(`config_update.write_set holds fields this orderer does not know: ${unknown.slice(0, 5).join(', ')}`);
    if (update.getChannelId() !== this.channelId) {
      throw bad(`config_update.channel_id: update is for ${JSON.stringify(update.getChannelId())}, this channel is ${JSON.stringify(this.channelId)}`);
    }
    const readSet = mapConfig(update.getReadSet() ?? new ConfigGroup(), 'config_update.read_set');
    const writeSet = mapConfig(update.getWriteSet() ?? new ConfigGroup(), 'config_update.write_set');

    for (const [key, el] of readSet) {
      const existing = this.current.get(key);
      if (existing === undefined) throw bad(`read set: ${key} is not in the current config`);
      if (existing.version !== el.version) {
        throw bad(`read set: ${key} must be at version ${el.version} for this update, but it is at version ${existing.version}`);
      }
    }

    const delta = new Map<string, Element>();
    for (const [key, el] of writeSet) {
      const read = readSet.get(key);
      if (read !== undefined && read.version === el.version) continue;
      delta.set(key, el);
    }
    if (delta.size === 0) throw bad('the update changes nothing (every write set element is at its read set version)');

    const signedData = configUpdateSignedData(envelope);
    for (const [key, el] of delta) {
      const modPolicy = modPolicyProblem(el.modPolicy);
      if (modPolicy !== undefined) throw bad(`write set: invalid mod_policy for element ${key}: ${modPolicy}`, { element: key, modPolicy: el.modPolicy });
      const existing = this.current.get(key);
      if (existing === undefined) {
        if (el.version !== 0) throw bad(`write set: ${key} is new and must be at version 0, got ${el.version}`);
        continue;
      }
      if (el.version !== existing.version + 1) {
        throw bad(`write set: ${key} must go to version ${existing.version + 1}, got ${el.version}`);
      }
      const path = modPolicyPath(existing);
      const policy = this.policies.getPolicy(path);
      if (policy === undefined) throw bad(`mod_policy ${path} of ${key} does not exist`);
      const result = policy.evaluate(signedData);
      if (!result.satisfied) {
        throw new OrdererError('ORDERER_FORBIDDEN', `changing ${key} requires ${path}, not satisfied by the update's ${signedData.length} signature(s): ${result.reason}`, {
          element: key,
          policy: path,
        });
      }
    }

    const merged = new Map(this.current);
    for (const [key, el] of delta) merged.set(key, el);
    const next = new Config();
    next.setSequence(this.config.getSequence() + 1);
    next.setChannelGroup(rebuild(merged, [], ROOT));
    return next;
  }
}

/**
 * Whether two configs hold the same elements (Fabric compares with `proto.Equal`): every group,
 * value and policy at the same path with the same version, mod_policy and content. Compared
 * element by element, so two encodings of one config (map entry order) are equal.
 */
export function sameConfig(a: Config, b: Config): boolean {
  if (a.getSequence() !== b.getSequence()) return false;
  const ra = a.getChannelGroup();
  const rb = b.getChannelGroup();
  if (ra === undefined || rb === undefined) return ra === rb;
  const ma = mapConfig(ra, 'config');
  const mb = mapConfig(rb, 'config');
  if (ma.size !== mb.size) return false;
  for (const [key, x] of ma) {
    const y = mb.get(key);
    if (y === undefined || x.version !== y.version || x.modPolicy !== y.modPolicy) return false;
    if (x.value !== undefined && !bytesEqual(x.value.getValue_asU8(), y.value?.getValue_asU8() ?? new Uint8Array(0))) return false;
    if (x.policy !== undefined) {
      const px = x.policy.getPolicy();
      const py = y.policy?.getPolicy();
      if (px?.getType() !== py?.getType() || !bytesEqual(px?.getValue_asU8() ?? new Uint8Array(0), py?.getValue_asU8() ?? new Uint8Array(0))) return false;
    }
  }
  return true;
}

function bad(message: string, details: Record<string, unknown> = {}): OrdererError {
  return new OrdererError('ORDERER_BAD_CONFIG_UPDATE', message, details);
}
