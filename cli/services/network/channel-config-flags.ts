import { WeftError } from '../../../core/errors';
import type { CapabilityLevel } from '../../../core/protocol/capabilities';

/**
 * The typed config operations of `weft channel update`, as {@link parseConfigOpFlags} reads them
 * from the command line: Fabric's policy, ACL, capability, anchor peer and orderer endpoint edits.
 */
export interface ConfigOps {
  /** `--policy <path>=<rule>`: path relative to /Channel (or absolute), rule ImplicitMeta or signature DSL. */
  readonly policies?: readonly { readonly path: string; readonly rule: string }[];
  /** `--add-policy <path>=<rule>`: a policy the path's group lacks. */
  readonly addPolicies?: readonly { readonly path: string; readonly rule: string }[];
  /** `--remove-policy <path>`: a policy nothing refers to. */
  readonly removePolicies?: readonly string[];
  /** The channel policies committed chaincode definitions use, read from a peer when a policy is removed. */
  readonly chaincodePolicyUses?: readonly ChaincodePolicyUse[];
  /** `--acl <resource>=<policy path>`; policy undefined removes the entry (back to the peer's default). */
  readonly acls?: readonly { readonly resource: string; readonly policy?: string }[];
  readonly capabilities?: readonly { readonly level: CapabilityLevel; readonly name: string }[];
  /** One entry per org: its anchor peers as `host:port`, [] to clear them. */
  readonly anchorPeers?: readonly { readonly org: string; readonly peers: readonly string[] }[];
  readonly ordererEndpoints?: readonly { readonly org: string; readonly endpoints: readonly string[] }[];
}

/** A chaincode definition's use of a channel policy (its validation parameter or a collection's endorsement policy). */
export interface ChaincodePolicyUse {
  readonly chaincode: string;
  /** `endorsement` (the definition's) or `collection <name> endorsement`. */
  readonly use: string;
  /** The channel_config_policy_reference as committed. */
  readonly policy: string;
}

/** The raw flag values, each repeatable. */
export interface ConfigOpFlags {
  readonly policy?: readonly string[];
  readonly addPolicy?: readonly string[];
  readonly removePolicy?: readonly string[];
  readonly acl?: readonly string[];
  readonly capability?: readonly string[];
  readonly anchorPeer?: readonly string[];
  readonly ordererEndpoint?: readonly string[];
}

/** Fabric's ACL resources (`core/aclmgmt/resources/resources.go`): the names a channel's ACLs value may bind. */
export const ACL_RESOURCES: readonly string[] = [
  ...['InstallChaincode', 'QueryInstalledChaincode', 'GetInstalledChaincodePackage', 'QueryInstalledChaincodes', 'ApproveChaincodeDefinitionForMyOrg'].map((r) => `_lifecycle/${r}`),
  ...['QueryApprovedChaincodeDefinition', 'QueryApprovedChaincodeDefinitions', 'CommitChaincodeDefinition', 'QueryChaincodeDefinition', 'QueryChaincodeDefinitions', 'CheckCommitReadiness'].map((r) => `_lifecycle/${r}`),
  ...['submitrequest', 'cancelrequest', 'listpending'].map((r) => `snapshot/${r}`),
  ...['Install', 'Deploy', 'Upgrade', 'ChaincodeExists', 'GetDeploymentSpec', 'GetChaincodeData', 'GetInstantiatedChaincodes', 'GetInstalledChaincodes', 'GetCollectionsConfig'].map((r) => `lscc/${r}`),
  ...['GetChainInfo', 'GetBlockByNumber', 'GetBlockByHash', 'GetTransactionByID', 'GetBlockByTxID'].map((r) => `qscc/${r}`),
  ...['JoinChain', 'JoinChainBySnapshot', 'JoinBySnapshotStatus', 'GetConfigBlock', 'GetChannelConfig', 'GetChannels'].map((r) => `cscc/${r}`),
  'peer/Propose',
  'peer/ChaincodeToChaincode',
  'event/Block',
  'event/FilteredBlock',
  'gateway/CommitStatus',
  'gateway/ChaincodeEvents',
];

/** Capability names from oldest to newest (the experimental application ones are not settable). */
export const CAPABILITY_ORDER: readonly string[] = ['V1_1', 'V1_2', 'V1_3', 'V1_4_2', 'V1_4_3', 'V2_0', 'V2_5', 'V3_0'];

/** The Fabric release that introduced a capability name: "V2_5" → "2.5". */
export function fabricReleaseOf(name: string): string {
  return name.slice(1).replace(/_/g, '.');
}

/** The levels a channel config requires capabilities at, in the order Fabric's config nests them. */
export const CAPABILITY_LEVELS: readonly CapabilityLevel[] = ['channel', 'orderer', 'application'];

/** Splits `key=value` at the first '='; typed error naming the flag when there is none or the key is empty. */
function keyValue(flag: string, raw: string, grammar: string): [string, string] {
  const i = raw.indexOf('=');
  if (i <= 0) {
    throw new WeftError('BAD_FLAG_VALUE', `${flag} ${JSON.stringify(raw)}: expected ${grammar}`, { field: flag, value: raw, suggestions: [`${flag} ${grammar}`] });
  }
  return [raw.slice(0, i).trim(), raw.slice(i + 1).trim()];
}

/**
 * `<level>=<name>` values of `flag` (`--capability`, or `--capabilities` split at commas), each level
 * at most once; checks only their shape: the names are checked where they are set. `BAD_FLAG_VALUE`
 * naming the flag otherwise.
 */
export function parseCapabilityPairs(flag: string, raws: readonly string[]): { level: CapabilityLevel; name: string }[] {
  const pairs = raws.map((raw) => {
    const [level, name] = keyValue(flag, raw, '<channel|orderer|application>=<name>, e.g. application=V2_5');
    if (!CAPABILITY_LEVELS.includes(level as CapabilityLevel)) {
      throw new WeftError('BAD_FLAG_VALUE', `${flag} ${raw}: unknown level ${level}; expected channel, orderer or application`, { field: flag, value: raw });
    }
    return { level: level as CapabilityLevel, name };
  });
  const twice = pairs.map((c) => c.level).find((l, i, all) => all.indexOf(l) !== i);
  if (twice !== undefined) throw new WeftError('BAD_FLAG_VALUE', `${flag} ${twice} given twice: a level has one capability`, { field: flag, value: twice });
  return pairs;
}

/** Reads the flags into {@link ConfigOps}; checks only their shape (the config checks the rest). */
export function parseConfigOpFlags(flags: ConfigOpFlags): ConfigOps {
  const policyRule = (flag: string, example: string) => (raw: string) => {
    const [path, rule] = keyValue(flag, raw, `<path>=<rule>, e.g. ${example}`);
    if (rule === '') throw new WeftError('BAD_FLAG_VALUE', `${flag} ${path}=: no rule given`, { field: flag, value: raw, suggestions: ['e.g. "ANY Endorsement" or "OR(\'Org1MSP.peer\')"'] });
    return { path, rule };
  };
  const policies = (flags.policy ?? []).map(policyRule('--policy', 'Application/Endorsement="MAJORITY Endorsement"'));
  const addPolicies = (flags.addPolicy ?? []).map(policyRule('--add-policy', "Application/Org1Only=\"OR('Org1MSP.member')\""));
  const removePolicies = (flags.removePolicy ?? []).map((raw) => {
    if (raw.trim() === '' || raw.includes('=')) {
      throw new WeftError('BAD_FLAG_VALUE', `--remove-policy ${JSON.stringify(raw)}: expected a policy path, e.g. Application/Org1Only`, { field: '--remove-policy', value: raw });
    }
    return raw.trim();
  });
  const acls = (flags.acl ?? []).map((raw) => {
    const [resource, policy] = keyValue('--acl', raw, '<resource>=<policy path>, e.g. qscc/GetTransactionByID=/Channel/Application/Writers');
    return { resource, ...(policy !== '' && { policy }) };
  });
  const capabilities = parseCapabilityPairs('--capability', flags.capability ?? []);
  const anchors = new Map<string, string[]>();
  for (const raw of flags.anchorPeer ?? []) {
    const [org, peer] = keyValue('--anchor-peer', raw, '<org>=<host:port> (or <org>= to clear)');
    const list = anchors.get(org);
    if (list !== undefined && (peer === '' || list.length === 0)) {
      throw new WeftError('BAD_FLAG_VALUE', `--anchor-peer ${org}= clears ${org}'s anchor peers: it cannot be combined with another --anchor-peer ${org}=…`, { field: '--anchor-peer', value: raw });
    }
    anchors.set(org, peer === '' ? [] : [...(list ?? []), peer]);
  }
  const ordererEndpoints = (flags.ordererEndpoint ?? []).map((raw) => {
    const [org, list] = keyValue('--orderer-endpoint', raw, '<ordererOrg>=<host:port>[,<host:port>...]');
    return { org, endpoints: list.split(',').map((e) => e.trim()).filter((e) => e !== '') };
  });
  return {
    ...(policies.length > 0 && { policies }),
    ...(addPolicies.length > 0 && { addPolicies }),
    ...(removePolicies.length > 0 && { removePolicies }),
    ...(acls.length > 0 && { acls }),
    ...(capabilities.length > 0 && { capabilities }),
    ...(anchors.size > 0 && { anchorPeers: [...anchors].map(([org, peers]) => ({ org, peers })) }),
    ...(ordererEndpoints.length > 0 && { ordererEndpoints }),
  };
}

/** Whether `ops` asks for anything. */
export function hasConfigOps(ops: ConfigOps): boolean {
  return [ops.policies, ops.addPolicies, ops.removePolicies, ops.acls, ops.capabilities, ops.anchorPeers, ops.ordererEndpoints].some((l) => (l?.length ?? 0) > 0);
}
