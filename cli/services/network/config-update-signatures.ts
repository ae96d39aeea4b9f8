import * as fs from 'node:fs';
import { ConfigGroup, ConfigUpdate, ConfigUpdateEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy, Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { WeftError } from '../../../core/errors';
import { configUpdateSignedData, modPolicyPath } from '../../../core/orderer/config-update';
import { decodeConfigProto } from '../../../core/protocol/config-decode';
import type { ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { ConfigUpdateEnvelopeSchema, ConfigUpdateSchema } from '../../../core/protocol/config-schemas';
import { configSignature } from '../../../core/protocol/config-update-compute';
import { parseSerializedIdentity } from '../../../core/protocol/serialized-identity';
import type { Signer } from '../../../core/protocol/signer';
import { loadClientIdentity } from '../client/client-identity';
import type { NetworkLayout, UserLayout } from './network-layout';
import { signingKeyHere } from './org-keys';
import { shellWord } from '../../../core/node/shell-word';

/**
 * Which admins a config update needs, as far as the CLI can tell before the orderer does: each
 * element the update changes is governed by its current `mod_policy` (Fabric's configtx
 * validator). For the policies a network's channels carry (an ImplicitMeta rule over the orgs of
 * /Channel/Application or /Channel/Orderer, an org's own Admins, and /Channel/Admins, an
 * ImplicitMeta rule over those two groups' rules) that means a number of those orgs' Admins, or a
 * number of groups each met by its own orgs' Admins; other policies are left to the orderer, which
 * decides in any case.
 */
export interface PolicyNeed {
  /** The policy path, e.g. `/Channel/Application/Admins`. */
  readonly policy: string;
  /**
   * How many of `orgs` must sign or, with `of`, how many of `of` must be met; undefined when the
   * CLI cannot tell (the orderer decides).
   */
  readonly needs: number | undefined;
  /** MSP IDs of the orgs whose Admins count towards it (with `of`: towards any of `of`). */
  readonly orgs: readonly string[];
  readonly signed: readonly string[];
  readonly unsigned: readonly string[];
  /** An ImplicitMeta rule over groups (Fabric's /Channel/Admins): the groups' own needs. */
  readonly of?: readonly PolicyNeed[];
}

/** A need before signatures are looked at. */
interface NeedShape {
  readonly policy: string;
  readonly needs: number | undefined;
  readonly orgs: readonly string[];
  readonly of?: readonly NeedShape[];
}

const RULE_NAMES: Record<number, string> = { [ImplicitMetaPolicy.Rule.ANY]: 'ANY', [ImplicitMetaPolicy.Rule.ALL]: 'ALL', [ImplicitMetaPolicy.Rule.MAJORITY]: 'MAJORITY' };

/** Whether every need the CLI can judge is met. */
export function needsMet(needs: readonly PolicyNeed[]): boolean {
  return needs.every(needMet);
}

/** Whether one need is met (one the CLI cannot judge counts as met: the orderer decides). */
export function needMet(need: PolicyNeed): boolean {
  if (need.needs === undefined) return true;
  return (need.of === undefined ? need.signed.length : need.of.filter(needMet).length) >= need.needs;
}

/** The orgs whose Admins could still sign towards an unmet need: of a nested one, those of its unmet groups. */
function stillToSign(need: PolicyNeed): string[] {
  if (needMet(need)) return [];
  return need.of === undefined ? [...need.unsigned] : [...new Set(need.of.flatMap(stillToSign))];
}

/** Reads a ConfigUpdateEnvelope file (`--output`, `sign-update`); typed error when it is none. */
export function readUpdateFile(file: string): { envelope: ConfigUpdateEnvelope; update: ConfigUpdate } {
  if (!fs.statSync(file, { throwIfNoEntry: false })?.isFile()) {
    throw new WeftError('UPDATE_FILE_MISSING', `no config update file ${file}`, { file, suggestions: ['write one with: weft channel update <dir> --channel <name> ... --output <file>'] });
  }
  try {
    const envelope = decodeConfigProto(ConfigUpdateEnvelope, ConfigUpdateEnvelopeSchema, fs.readFileSync(file), 'config_update_envelope');
    const update = decodeConfigProto(ConfigUpdate, ConfigUpdateSchema, envelope.getConfigUpdate_asU8(), 'config_update_envelope.config_update');
    if (update.getChannelId() === '' || update.getWriteSet() === undefined) throw new Error('it names no channel or has no write set');
    return { envelope, update };
  } catch (err) {
    throw new WeftError('UPDATE_FILE_INVALID', `${file} is not a ConfigUpdateEnvelope of a channel: ${(err as Error).message}`, {
      file,
      suggestions: ['pass the file weft channel update --output wrote'],
    });
  }
}

/** MSP IDs of the identities that signed the envelope. */
export function signerMspIds(envelope: ConfigUpdateEnvelope): string[] {
  return [...new Set(configUpdateSignedData(envelope).map((d, i) => parseSerializedIdentity(d.identity, `config_update_envelope.signatures[${i}].creator`).mspId))];
}

/** The Admin of the org with `mspId` in this network (the orderer org's or a peer org's), if it is one. */
export function adminOf(layout: NetworkLayout, mspId: string): UserLayout | undefined {
  if (mspId === layout.networkSpec.ordererOrg.mspId) return layout.ordererAdmin();
  const org = layout.networkSpec.orgs.find((o) => o.mspId === mspId);
  return org === undefined ? undefined : layout.user(org, 'Admin');
}

/** An Admin whose key is here, as it signed. */
export interface AdminSigner {
  readonly mspId: string;
  readonly user: UserLayout;
  readonly signer: Signer;
}

/** Adds the signature of each Admin here among `mspIds` that has not signed yet; returns those that signed now. */
export function signAsAdminsHere(layout: NetworkLayout, envelope: ConfigUpdateEnvelope, mspIds: readonly string[]): AdminSigner[] {
  const already = new Set(signerMspIds(envelope));
  const signed: AdminSigner[] = [];
  for (const mspId of mspIds) {
    const user = adminOf(layout, mspId);
    if (already.has(mspId) || user === undefined || !signingKeyHere(user)) continue;
    const signer = loadClientIdentity(user).signer;
    envelope.addSignatures(configSignature(signer, envelope.getConfigUpdate_asU8()));
    already.add(mspId);
    signed.push({ mspId, user, signer });
  }
  return signed;
}

/**
 * Signs the envelope as every Admin here whom a policy the update's changes need counts; returns
 * those that signed now and the policies with who signed for each.
 */
export function signForPolicies(
  layout: NetworkLayout,
  current: ParsedChannelConfig,
  update: ConfigUpdate,
  envelope: ConfigUpdateEnvelope,
): { signed: AdminSigner[]; policies: PolicyNeed[] } {
  const counted = [...new Set(policyNeeds(current, update, envelope).flatMap((n) => n.orgs))];
  const signed = signAsAdminsHere(layout, envelope, counted);
  return { signed, policies: policyNeeds(current, update, envelope) };
}

/**
 * The policies the update's changed elements need (their current mod_policy, as the orderer
 * resolves it), each with the orgs that count and those that signed.
 */
export function policyNeeds(current: ParsedChannelConfig, update: ConfigUpdate, envelope: ConfigUpdateEnvelope): PolicyNeed[] {
  const signed = new Set(signerMspIds(envelope));
  const paths = new Set<string>();
  const root = current.config.getChannelGroup()!;
  changedElements(update.getReadSet(), update.getWriteSet()!, root, ['Channel'], paths);
  return [...paths].sort().map((policy) => withSignatures(policyShape(current, policy), signed));
}

function withSignatures(shape: NeedShape, signed: ReadonlySet<string>): PolicyNeed {
  const { policy, needs, orgs } = shape;
  return {
    policy,
    needs,
    orgs,
    signed: orgs.filter((o) => signed.has(o)),
    unsigned: orgs.filter((o) => !signed.has(o)),
    ...(shape.of !== undefined && { of: shape.of.map((s) => withSignatures(s, signed)) }),
  };
}

/**
 * Collects the mod_policy paths of elements the write set changes that exist in the current
 * config (a new element is governed by its parent group's version bump, as in Fabric's validator).
 */
function changedElements(read: ConfigGroup | undefined, write: ConfigGroup, existing: ConfigGroup | undefined, path: string[], out: Set<string>): void {
  const parent = path.slice(0, -1);
  const name = path[path.length - 1]!;
  if (existing !== undefined && read?.getVersion() !== write.getVersion()) out.add(modPolicyPath({ kind: 'Group', parent, name, modPolicy: existing.getModPolicy() }));
  for (const [k, v] of write.getValuesMap().entries()) {
    const old = existing?.getValuesMap().get(k);
    if (old !== undefined && read?.getValuesMap().get(k)?.getVersion() !== v.getVersion()) out.add(modPolicyPath({ kind: 'Value', parent: path, name: k, modPolicy: old.getModPolicy() }));
  }
  for (const [k, p] of write.getPoliciesMap().entries()) {
    const old = existing?.getPoliciesMap().get(k);
    if (old !== undefined && read?.getPoliciesMap().get(k)?.getVersion() !== p.getVersion()) out.add(modPolicyPath({ kind: 'Policy', parent: path, name: k, modPolicy: old.getModPolicy() }));
  }
  for (const [k, g] of write.getGroupsMap().entries()) changedElements(read?.getGroupsMap().get(k), g, existing?.getGroupsMap().get(k), [...path, k], out);
}

/**
 * The orgs a policy path counts and how many it needs, for the shapes a network's channel config
 * has: an org's signature policy (its Admins), and an ImplicitMeta rule of /Channel or of its
 * Application or Orderer group over the same-named policy of each subgroup, with Fabric's
 * thresholds (`common/policies/implicitmeta.go`: ANY 1, ALL n, MAJORITY n/2+1, 0 for no subgroup).
 * A rule over orgs is flat (`needs` of `orgs`); a rule over groups (/Channel/Admins) is nested.
 */
function policyShape(current: ParsedChannelConfig, policy: string): NeedShape {
  const parts = policy.split('/').slice(1);
  const groups = parts.slice(0, -1);
  const unknown: NeedShape = { policy, needs: undefined, orgs: [] };
  let group: ConfigGroup | undefined = current.config.getChannelGroup();
  for (const g of groups.slice(1)) group = group?.getGroupsMap().get(g);
  const proto: Policy | undefined = group?.getPoliciesMap().get(parts[parts.length - 1]!)?.getPolicy();
  if (group === undefined || proto === undefined || groups[0] !== 'Channel') return unknown;
  if (proto.getType() === Policy.PolicyType.IMPLICIT_META && groups.length <= 2) {
    const meta = ImplicitMetaPolicy.deserializeBinary(proto.getValue_asU8());
    const children = [...group.getGroupsMap().keys()].map((k) => policyShape(current, `/${[...groups, k, meta.getSubPolicy()].join('/')}`));
    if (children.some((c) => c.needs === undefined)) return unknown;
    const n = children.length;
    const rule = meta.getRule();
    const needs = n === 0 ? 0 : rule === ImplicitMetaPolicy.Rule.ANY ? 1 : rule === ImplicitMetaPolicy.Rule.ALL ? n : Math.floor(n / 2) + 1;
    const orgs = [...new Set(children.flatMap((c) => c.orgs))];
    // Each subgroup met by one org's Admin: the rule counts orgs, as the flat form says.
    if (children.every((c) => c.of === undefined && c.needs === 1 && c.orgs.length === 1)) return { policy, needs, orgs };
    return { policy, needs, orgs, of: children };
  }
  if (proto.getType() === Policy.PolicyType.SIGNATURE && groups.length === 3) {
    const members = groups[1] === 'Application' ? current.applicationOrgs : groups[1] === 'Orderer' ? current.ordererOrgs : [];
    const org = members.find((o) => o.name === groups[2]);
    return org === undefined ? unknown : { policy, needs: 1, orgs: [org.mspId] };
  }
  return unknown;
}

/**
 * A short description of a need: "/Channel/Application/Admins: MAJORITY (2 of Org1MSP, Org2MSP,
 * Org3MSP Admins)"; a nested one lists its groups' needs in brackets.
 */
export function describeNeed(need: PolicyNeed, current: ParsedChannelConfig): string {
  if (need.needs === undefined) return `${need.policy}: what the orderer decides`;
  const parts = need.policy.split('/');
  let group: ConfigGroup | undefined = current.config.getChannelGroup();
  for (const g of parts.slice(2, -1)) group = group?.getGroupsMap().get(g);
  const proto = group?.getPoliciesMap().get(parts[parts.length - 1]!)?.getPolicy();
  const rule = proto?.getType() === Policy.PolicyType.IMPLICIT_META ? `${RULE_NAMES[ImplicitMetaPolicy.deserializeBinary(proto.getValue_asU8()).getRule()] ?? '?'} ` : '';
  const of = need.of === undefined ? `${need.orgs.join(', ')} Admins` : `[${need.of.map((n) => describeNeed(n, current)).join('; ')}]`;
  return `${need.policy}: ${rule}(${need.needs} of ${of})`;
}

/**
 * The typed error for an update whose signatures do not (yet) satisfy what it changes. `remedies`
 * replaces the default suggestions (sign elsewhere with --output / sign-update / --from-file) for a
 * command that offers another way, given the orgs still to sign.
 */
export function missingSignatures(
  layout: NetworkLayout,
  channel: string,
  current: ParsedChannelConfig,
  needs: readonly PolicyNeed[],
  remedies?: (unsigned: readonly string[]) => string[],
): WeftError {
  const unmet = needs.filter((n) => !needMet(n));
  const unsigned = unsignedOrgs(unmet);
  const text = unmet.map((n) => `${describeNeed(n, current)}; signed: ${n.signed.join(', ') || 'none'}; not signed: ${stillToSign(n).join(', ')}`).join('; ');
  return new WeftError('CONFIG_UPDATE_UNSIGNED', `channel ${channel}: this update needs signatures this directory cannot give: ${text}. Nothing was submitted`, {
    channel,
    policies: unmet.map((n) => ({ policy: n.policy, needs: n.needs, signed: n.signed, unsigned: stillToSign(n) })),
    unsigned,
    suggestions: remedies?.(unsigned) ?? [
      `write the partly signed update to a file: rerun with --output <file>`,
      `have the Admins of ${unsigned.join(', ')} sign it in their directories: weft channel sign-update <their dir> <file> --org <org>`,
      `then submit it: weft channel update ${shellWord(layout.dir)} --channel ${channel} --from-file <file>`,
    ],
  });
}

/** The orgs whose Admins must still sign for the policies to be met. */
export function unsignedOrgs(policies: readonly PolicyNeed[]): string[] {
  return [...new Set(policies.flatMap(stillToSign))];
}
