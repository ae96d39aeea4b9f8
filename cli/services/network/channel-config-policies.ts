import { ConfigGroup, ConfigPolicy } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy, Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { MSPPrincipal, MSPRole } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { ACLs } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { PolicyError, WeftError } from '../../../core/errors';
import { modPolicyPath } from '../../../core/orderer/config-update';
import type { ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { toPolicy, type ConfigPolicyInput } from '../../../core/protocol/config-policies';
import type { ImplicitMetaRule } from '../../../core/policy/implicit-meta-expression';
import { parsePolicyExpression } from '../../../core/policy/policy-expression';
import type { ChaincodePolicyUse, ConfigOps } from './channel-config-flags';
import type { NetworkLayout } from './network-layout';

/**
 * The policy operations of `weft channel update`: `--policy` changes one the config has,
 * `--add-policy` creates one in a group the config has, `--remove-policy` deletes one nothing
 * refers to. Adding or removing a policy changes its group, so the group's mod_policy is what must
 * be signed (Fabric's `configtx` verifyDeltaSet: a new element needs version 0 and nothing else).
 */

/** Policies Fabric's peers, orderers and lifecycle look up by name: removing one breaks the channel. */
export const STANDARD_POLICIES: readonly string[] = ['Readers', 'Writers', 'Admins', 'Endorsement', 'LifecycleEndorsement', 'BlockValidation'];

/** What names a policy: kept by a typed error refusing its removal. */
export interface PolicyReferrer {
  readonly kind: 'acl' | 'mod_policy' | 'implicit_meta' | 'chaincode';
  /** The ACL resource, the element whose mod_policy it is, the ImplicitMeta policy, or the chaincode and its use. */
  readonly by: string;
}

/** `group` at `names` under /Channel, or undefined. */
export function groupAt(root: ConfigGroup, names: readonly string[]): ConfigGroup | undefined {
  let group: ConfigGroup | undefined = root;
  for (const name of names) group = group?.getGroupsMap().get(name);
  return group;
}

/** The Application org group key of a member named by name, MSP ID, domain or group key. */
export function memberKey(layout: NetworkLayout, current: ParsedChannelConfig, ref: string): string | undefined {
  const mspId = layout.networkSpec.orgs.find((o) => o.name === ref || o.mspId === ref || o.domain === ref)?.mspId;
  return current.applicationOrgs.find((o) => o.name === ref || o.mspId === ref || o.mspId === mspId)?.name;
}

/** Policy path segments after `Channel`: "Application/Endorsement", "/Channel/Application/Org1MSP/Writers" and "Admins" all work; a member org by name too. */
function policySegments(layout: NetworkLayout, current: ParsedChannelConfig, path: string): string[] {
  const parts = path.replace(/^\/?Channel\//, '').replace(/^\//, '').split('/');
  if (parts[0] === 'Application' && parts.length === 3) parts[1] = memberKey(layout, current, parts[1]!) ?? parts[1]!;
  return parts;
}

const fullPath = (segments: readonly string[]): string => `/Channel/${segments.join('/')}`;
const sameButCase = (a: string, b: string): boolean => a !== b && a.toLowerCase() === b.toLowerCase();

/** The group path with each segment that differs from an existing group's name only by case spelled as the config spells it; undefined when none does. */
function respelledGroup(root: ConfigGroup, names: readonly string[]): string[] | undefined {
  const out: string[] = [];
  let group: ConfigGroup | undefined = root;
  for (const name of names) {
    const key: string | undefined = group === undefined ? undefined : [...group.getGroupsMap().keys()].find((k) => k === name || sameButCase(k, name));
    if (key === undefined) return undefined;
    out.push(key);
    group = group!.getGroupsMap().get(key);
  }
  return out.join('/') === names.join('/') ? undefined : out;
}

function unknownPolicy(flag: string, path: string, root: ConfigGroup, parts: readonly string[]): WeftError {
  const near = parts.slice(0, -1);
  const name = parts[parts.length - 1]!;
  const group = groupAt(root, near);
  const names = group === undefined ? [] : [...group.getPoliciesMap().keys()];
  const there = names.map((k) => fullPath([...near, k]));
  const respelled = group === undefined ? respelledGroup(root, near) : undefined;
  const meant = [...names.filter((k) => sameButCase(k, name)).map((k) => fullPath([...near, k])), ...(respelled === undefined ? [] : [fullPath([...respelled, name])])];
  return new WeftError('UNKNOWN_POLICY_PATH', `${flag} ${path}: the channel's config has no such policy${there.length > 0 ? ` (policies there: ${there.join(', ')})` : ''}`, {
    field: flag,
    value: path,
    suggestions: [
      ...meant.map((m) => `did you mean ${m}?`),
      ...(group !== undefined && flag === '--policy' ? [`to add a new policy to ${fullPath(near)}: --add-policy ${fullPath(parts)}=<rule>`] : []),
      'name an existing policy, e.g. Application/Endorsement, Application/Org1MSP/Writers or /Channel/Application/Readers',
    ],
  });
}

/** The group holding the policy `path` names, and the policy's name and path segments; typed error when the group is not in the config. */
function locate(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, flag: string, path: string): { group: ConfigGroup; name: string; parts: string[] } {
  const parts = policySegments(layout, current, path);
  const group = groupAt(root, parts.slice(0, -1));
  if (group === undefined || parts.some((p) => p === '')) throw unknownPolicy(flag, path, root, parts);
  return { group, name: parts[parts.length - 1]!, parts };
}

/** `--policy`: a new rule for a policy the config has, its version and mod_policy kept (configtx bumps the version). */
export function setPolicy(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, path: string, rule: string): void {
  const { group, name, parts } = locate(layout, current, root, '--policy', path);
  const existing = group.getPoliciesMap().get(name);
  if (existing === undefined) throw unknownPolicy('--policy', path, root, parts);
  const next = new ConfigPolicy();
  next.setVersion(existing.getVersion());
  next.setModPolicy(existing.getModPolicy());
  next.setPolicy(toPolicy(policyInput('--policy', current, group, path, rule)));
  group.getPoliciesMap().set(name, next);
}

/**
 * `--add-policy`: a new policy in a group the config has, at version 0 with mod_policy `Admins`
 * (configtxgen's `encoder.AddPolicies`). A name that differs only by case from a policy or
 * subgroup of the group, or that names a member org, is refused: most likely a typo of a path
 * that exists, which would otherwise become a policy nothing evaluates.
 */
export function addPolicy(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, path: string, rule: string): void {
  const { group, name, parts } = locate(layout, current, root, '--add-policy', path);
  const at = fullPath(parts);
  if (group.getPoliciesMap().has(name)) {
    throw new WeftError('POLICY_EXISTS', `--add-policy ${path}: ${at} exists already`, { field: '--add-policy', value: path, suggestions: [`change it with: --policy ${at}=<rule>`] });
  }
  const orgNames = current.applicationOrgs.flatMap((o) => [o.name, o.mspId]).concat(layout.networkSpec.orgs.flatMap((o) => [o.name, o.mspId]));
  const similar = [
    ...[...group.getPoliciesMap().keys()].filter((k) => sameButCase(k, name)).map((k) => `policy ${fullPath([...parts.slice(0, -1), k])}`),
    ...[...group.getGroupsMap().keys()].filter((k) => k.toLowerCase() === name.toLowerCase()).map((k) => `group ${fullPath([...parts.slice(0, -1), k])}`),
    ...[...new Set(orgNames)].filter((o) => o.toLowerCase() === name.toLowerCase() && !group.getGroupsMap().has(o)).map((o) => `member org ${o}`),
  ];
  if (similar.length > 0) {
    throw new WeftError('POLICY_NAME_NEAR_MISS', `--add-policy ${path}: ${name} is too close to ${similar.join(', ')}; a policy of that name would be taken for it`, {
      field: '--add-policy',
      value: path,
      similar,
      suggestions: ['to change an existing policy use --policy with its exact path; to add one, pick a name no policy, group or org of the channel has'],
    });
  }
  const next = new ConfigPolicy();
  next.setVersion(0);
  next.setModPolicy('Admins');
  next.setPolicy(toPolicy(policyInput('--add-policy', current, group, path, rule)));
  group.getPoliciesMap().set(name, next);
}

/**
 * `--remove-policy`: deletes a policy that is not one of Fabric's standard ones and that nothing
 * in `root` (the config as this update leaves it) or a committed chaincode definition refers to.
 */
export function removePolicy(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, path: string, chaincodeUses: readonly ChaincodePolicyUse[]): void {
  const { group, name, parts } = locate(layout, current, root, '--remove-policy', path);
  const at = fullPath(parts);
  if (!group.getPoliciesMap().has(name)) throw unknownPolicy('--remove-policy', path, root, parts);
  if (STANDARD_POLICIES.includes(name)) {
    throw new WeftError('POLICY_STANDARD', `--remove-policy ${path}: ${name} is one of Fabric's standard policies, which peers, orderers and the chaincode lifecycle look up by name`, {
      field: '--remove-policy',
      value: path,
      suggestions: [`change its rule instead: --policy ${at}=<rule>`],
    });
  }
  const referrers = policyReferrers(root, parts, chaincodeUses);
  if (referrers.length > 0) {
    throw new WeftError('POLICY_IN_USE', `--remove-policy ${path}: ${at} is still named by ${referrers.map((r) => `${r.kind} ${r.by}`).join(', ')}`, {
      field: '--remove-policy',
      value: path,
      referrers,
      suggestions: ['point those at another policy first (--acl <resource>=<policy>, a new chaincode definition sequence), in this update or an earlier one'],
    });
  }
  group.getPoliciesMap().del(name);
}

/** What names the policy at `/Channel/<parts>` in `root`, other than the policy itself. */
function policyReferrers(root: ConfigGroup, parts: readonly string[], chaincodeUses: readonly ChaincodePolicyUse[]): PolicyReferrer[] {
  const at = fullPath(parts);
  const out: PolicyReferrer[] = [];
  const acls = root.getGroupsMap().get('Application')?.getValuesMap().get('ACLs');
  if (acls !== undefined) {
    // Fabric's acls.go: a relative reference names a policy of /Channel/Application.
    for (const [resource, api] of ACLs.deserializeBinary(acls.getValue_asU8()).getAclsMap().entries()) {
      const ref = api.getPolicyRef();
      if (ref !== '' && (ref.startsWith('/') ? ref : `/Channel/Application/${ref}`) === at) out.push({ kind: 'acl', by: resource });
    }
  }
  const walk = (group: ConfigGroup, path: string[]): void => {
    const parent = path.slice(0, -1);
    if (modPolicyPath({ kind: 'Group', parent, name: path[path.length - 1]!, modPolicy: group.getModPolicy() }) === at) out.push({ kind: 'mod_policy', by: `group /${path.join('/')}` });
    for (const [key, value] of group.getValuesMap().entries()) {
      if (modPolicyPath({ kind: 'Value', parent: path, name: key, modPolicy: value.getModPolicy() }) === at) out.push({ kind: 'mod_policy', by: `value /${[...path, key].join('/')}` });
    }
    for (const [key, policy] of group.getPoliciesMap().entries()) {
      const self = `/${[...path, key].join('/')}`;
      if (self !== at && modPolicyPath({ kind: 'Policy', parent: path, name: key, modPolicy: policy.getModPolicy() }) === at) out.push({ kind: 'mod_policy', by: `policy ${self}` });
    }
    for (const [key, sub] of group.getGroupsMap().entries()) walk(sub, [...path, key]);
  };
  walk(root, ['Channel']);
  // An ImplicitMeta policy counts the same-named policy of each subgroup: the parent of the policy's group holds those that count this one.
  const grandparent = parts.length >= 2 ? groupAt(root, parts.slice(0, -2)) : undefined;
  for (const [key, policy] of grandparent?.getPoliciesMap().entries() ?? []) {
    const proto = policy.getPolicy();
    if (proto?.getType() !== Policy.PolicyType.IMPLICIT_META) continue;
    if (ImplicitMetaPolicy.deserializeBinary(proto.getValue_asU8()).getSubPolicy() === parts[parts.length - 1]) out.push({ kind: 'implicit_meta', by: fullPath([...parts.slice(0, -2), key]) });
  }
  // Fabric resolves a relative channel_config_policy_reference from the channel's root policy manager.
  for (const use of chaincodeUses) {
    if ((use.policy.startsWith('/') ? use.policy : `/Channel/${use.policy}`) === at) out.push({ kind: 'chaincode', by: `${use.chaincode} (${use.use})` });
  }
  return out;
}

/** Applies the policy operations of `ops`: changes and additions first, removals by {@link applyPolicyRemovals} once the rest is applied. */
export function applyPolicyEdits(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, ops: ConfigOps): void {
  for (const { path, rule } of ops.policies ?? []) setPolicy(layout, current, root, path, rule);
  for (const { path, rule } of ops.addPolicies ?? []) addPolicy(layout, current, root, path, rule);
}

/** Removals last, so that a reference this update drops (an ACL entry) no longer holds the policy. */
export function applyPolicyRemovals(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, ops: ConfigOps): void {
  for (const path of ops.removePolicies ?? []) removePolicy(layout, current, root, path, ops.chaincodePolicyUses ?? []);
}

const META = /^(ANY|ALL|MAJORITY) (\S+)$/;

/** An ImplicitMeta rule over the group's subgroups, or a signature policy in Fabric's DSL over the channel's MSPs. */
function policyInput(flag: string, current: ParsedChannelConfig, group: ConfigGroup, path: string, rule: string): ConfigPolicyInput {
  const meta = META.exec(rule);
  if (meta !== null) {
    const subs = [...group.getGroupsMap().values()];
    // Fabric evaluates an ImplicitMeta over the subgroups' policies of that name; with none it can never be met (ANY) or always is (ALL).
    if (subs.length === 0 || !subs.some((g) => g.getPoliciesMap().has(meta[2]!))) {
      throw new WeftError('BAD_POLICY_RULE', `${flag} ${path}="${rule}": no subgroup of ${path.replace(/\/[^/]+$/, '') || '/Channel'} has a policy ${meta[2]} for the ImplicitMeta rule to count`, {
        field: flag,
        value: rule,
        suggestions: ['an ImplicitMeta rule belongs on a group with org subgroups (Application/…, Orderer/…, /Channel/…); on an org, write a signature policy such as OR(\'Org1MSP.admin\')'],
      });
    }
    return { type: 'implicitMeta', rule: meta[1] as ImplicitMetaRule, subPolicy: meta[2]! };
  }
  let envelope;
  try {
    envelope = parsePolicyExpression(rule);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    throw new WeftError('BAD_POLICY_RULE', `${flag} ${path}: ${err.message}`, {
      field: flag,
      value: rule,
      position: err.details.position,
      suggestions: ['write "ANY|ALL|MAJORITY <SubPolicy>" or a signature policy such as "OR(\'Org1MSP.peer\',\'Org2MSP.peer\')"'],
    });
  }
  for (const principal of envelope.getIdentitiesList()) {
    if (principal.getPrincipalClassification() !== MSPPrincipal.Classification.ROLE) continue;
    const mspId = MSPRole.deserializeBinary(principal.getPrincipal_asU8()).getMspIdentifier();
    if (!current.msps.has(mspId)) {
      throw new WeftError('UNKNOWN_POLICY_MSP', `${flag} ${path}: principal of ${mspId}, which is no MSP of channel ${current.channelId || 'this channel'} (its MSPs: ${[...current.msps.keys()].join(', ')})`, {
        field: flag,
        value: rule,
        mspId,
      });
    }
  }
  return { type: 'signature', envelope: envelope.serializeBinary() };
}
