import { Capabilities, OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import type { Config, ConfigGroup, ConfigPolicy, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy, Policy, SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { BatchSize, BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ACLs, AnchorPeers } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { modPolicyPath } from '../../../core/orderer/config-update';

/** One element a config update changes, in words, and the policy whose signatures it needs. */
export interface ConfigChange {
  /** `/Channel/Application/Endorsement`, or `/Channel/Application/ACLs[qscc/GetChainInfo]` for one ACL entry. */
  readonly path: string;
  /** `(none)` when the element is new. */
  readonly before: string;
  /** `(none)` when the element is removed. */
  readonly after: string;
  /** The element's mod_policy as a path (a new or removed element: its group's). */
  readonly modPolicy: string;
}

const NONE = '(none)';
const ROLES = ['member', 'admin', 'client', 'peer', 'orderer'];
const META_RULES = ['ANY', 'ALL', 'MAJORITY'];

/** A policy as an operator writes it: `MAJORITY Admins`, or Fabric's DSL `OR('Org1MSP.peer', 'Org2MSP.peer')`. */
export function describePolicy(policy: Policy | undefined): string {
  if (policy === undefined) return NONE;
  if (policy.getType() === Policy.PolicyType.IMPLICIT_META) {
    const meta = ImplicitMetaPolicy.deserializeBinary(policy.getValue_asU8());
    return `${META_RULES[meta.getRule()] ?? '?'} ${meta.getSubPolicy()}`;
  }
  if (policy.getType() !== Policy.PolicyType.SIGNATURE) return `policy type ${policy.getType()}`;
  return describeSignaturePolicy(SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8()));
}

/** A signature policy in Fabric's DSL, `OR('Org1MSP.peer', 'Org2MSP.peer')`, as `--policy` and `--signature-policy` take it. */
export function describeSignaturePolicy(envelope: SignaturePolicyEnvelope): string {
  const principal = (p: MSPPrincipal | undefined): string => {
    if (p?.getPrincipalClassification() !== MSPPrincipal.Classification.ROLE) return "'?'";
    const role = MSPRole.deserializeBinary(p.getPrincipal_asU8());
    return `'${role.getMspIdentifier()}.${ROLES[role.getRole()] ?? '?'}'`;
  };
  const rule = (r: SignaturePolicy | undefined): string => {
    if (r?.hasNOutOf() !== true) return principal(envelope.getIdentitiesList()[r?.getSignedBy() ?? -1]);
    const { n, rules } = { n: r.getNOutOf()!.getN(), rules: r.getNOutOf()!.getRulesList() };
    const inner = rules.map(rule).join(', ');
    return n === 1 ? `OR(${inner})` : n === rules.length ? `AND(${inner})` : `OutOf(${n}, ${inner})`;
  };
  return rule(envelope.getRule());
}

/** A config value in words, for the values operators change; others by size. */
function describeValue(key: string, value: ConfigValue | undefined): string {
  if (value === undefined) return NONE;
  const bytes = value.getValue_asU8();
  switch (key) {
    case 'BatchTimeout':
      return BatchTimeout.deserializeBinary(bytes).getTimeout();
    case 'BatchSize': {
      const s = BatchSize.deserializeBinary(bytes);
      return `MaxMessageCount ${s.getMaxMessageCount()}, AbsoluteMaxBytes ${s.getAbsoluteMaxBytes()}, PreferredMaxBytes ${s.getPreferredMaxBytes()}`;
    }
    case 'Capabilities':
      return [...Capabilities.deserializeBinary(bytes).getCapabilitiesMap().keys()].sort().join(', ') || 'none';
    case 'AnchorPeers':
      return AnchorPeers.deserializeBinary(bytes).getAnchorPeersList().map((a) => `${a.getHost()}:${a.getPort()}`).join(', ') || 'none';
    case 'Endpoints':
    case 'OrdererAddresses':
      return OrdererAddresses.deserializeBinary(bytes).getAddressesList().join(', ') || 'none';
    case 'MSP':
      return `MSP ${FabricMSPConfig.deserializeBinary(MSPConfig.deserializeBinary(bytes).getConfig_asU8()).getName()}`;
    default:
      return `${bytes.length} bytes`;
  }
}

const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/**
 * Every element `next` changes against `current` (what configtxlator's compute_update would put in
 * the write set with a new version), in words: one line per value, policy and group added or
 * removed, and one per ACL entry.
 */
export function describeConfigChanges(current: Config, next: Config): ConfigChange[] {
  const out: ConfigChange[] = [];
  walk(current.getChannelGroup(), next.getChannelGroup(), ['Channel'], '/Channel/Admins', out);
  return out;
}

function walk(before: ConfigGroup | undefined, after: ConfigGroup | undefined, path: string[], holderPolicy: string, out: ConfigChange[]): void {
  const parent = path.slice(0, -1);
  const name = path[path.length - 1]!;
  const at = `/${path.join('/')}`;
  // A group added or removed is one change, governed by the mod_policy of the group that holds it.
  if (before === undefined || after === undefined) {
    const what = (g: ConfigGroup) => describeValue('MSP', g.getValuesMap().get('MSP')).replace(/^MSP /, 'org ');
    out.push({ path: at, before: before === undefined ? NONE : what(before), after: after === undefined ? NONE : what(after), modPolicy: holderPolicy });
    return;
  }
  const groupPolicy = modPolicyPath({ kind: 'Group', parent, name, modPolicy: before.getModPolicy() });
  const keys = (a: { keys(): Iterable<string> }, b: { keys(): Iterable<string> }): string[] => [...new Set([...a.keys(), ...b.keys()])].sort();
  const bv = before.getValuesMap();
  const av = after.getValuesMap();
  for (const key of keys(bv, av)) {
    const [b, a] = [bv.get(key), av.get(key)];
    if (b !== undefined && a !== undefined && same(b.getValue_asU8(), a.getValue_asU8()) && b.getModPolicy() === a.getModPolicy()) continue;
    const modPolicy = b !== undefined && a !== undefined ? modPolicyPath({ kind: 'Value', parent: path, name: key, modPolicy: b.getModPolicy() }) : groupPolicy;
    if (key === 'ACLs') out.push(...aclChanges(at, b, a, modPolicy));
    else out.push({ path: `${at}/${key}`, before: describeValue(key, b), after: describeValue(key, a), modPolicy });
  }
  const bp = before.getPoliciesMap();
  const ap = after.getPoliciesMap();
  for (const key of keys(bp, ap)) {
    const [b, a]: (ConfigPolicy | undefined)[] = [bp.get(key), ap.get(key)];
    const bytes = (p: ConfigPolicy | undefined) => p?.getPolicy()?.serializeBinary() ?? new Uint8Array(0);
    if (b !== undefined && a !== undefined && same(bytes(b), bytes(a)) && b.getModPolicy() === a.getModPolicy()) continue;
    const modPolicy = b !== undefined && a !== undefined ? modPolicyPath({ kind: 'Policy', parent: path, name: key, modPolicy: b.getModPolicy() }) : groupPolicy;
    out.push({ path: `${at}/${key}`, before: describePolicy(b?.getPolicy()), after: describePolicy(a?.getPolicy()), modPolicy });
  }
  for (const key of keys(before.getGroupsMap(), after.getGroupsMap())) walk(before.getGroupsMap().get(key), after.getGroupsMap().get(key), [...path, key], groupPolicy, out);
}

function aclChanges(at: string, before: ConfigValue | undefined, after: ConfigValue | undefined, modPolicy: string): ConfigChange[] {
  const table = (v: ConfigValue | undefined) => (v === undefined ? new Map<string, string>() : new Map([...ACLs.deserializeBinary(v.getValue_asU8()).getAclsMap().entries()].map(([k, r]) => [k, r.getPolicyRef()])));
  const [b, a] = [table(before), table(after)];
  return [...new Set([...b.keys(), ...a.keys()])]
    .sort()
    .filter((k) => b.get(k) !== a.get(k))
    .map((k) => ({ path: `${at}/ACLs[${k}]`, before: b.get(k) ?? `${NONE} (peer default)`, after: a.get(k) ?? `${NONE} (peer default)`, modPolicy }));
}

/** `path: before → after  [needs <mod_policy>]`, one line. */
export function changeLine(change: ConfigChange): string {
  return `${change.path}: ${change.before} → ${change.after}  [needs ${change.modPolicy}]`;
}
