import { Capabilities, Capability, OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { ConfigGroup, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ImplicitMetaPolicy, Policy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ACLs, APIResource } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { WeftError } from '../../../core/errors';
import type { CapabilityLevel } from '../../../core/protocol/capabilities';
import { anchorPeersOf } from '../../../core/protocol/config-block';
import type { AnchorPeerAddress, ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { applicationAcls } from '../../../core/protocol/config-rules';
import { isHostPort } from '../../../core/protocol/host-port';
import type { NetworkLayout } from './network-layout';
import { settableCapabilities } from './channel-capabilities';
import { ACL_RESOURCES, CAPABILITY_ORDER, fabricReleaseOf, type ConfigOps } from './channel-config-flags';
import { applyPolicyEdits, applyPolicyRemovals, groupAt, memberKey } from './channel-config-policies';

/**
 * Applies the typed operations of `weft channel update` (policies, ACLs, capabilities, anchor
 * peers, orderer endpoints) to `root`, a copy of the channel's config, checking each against the
 * config as it is: what Fabric's operators otherwise do by hand with configtxlator and jq. Every
 * element keeps its version and mod_policy (configtx bumps the version, and the mod_policy is who
 * must sign); an element the config lacks is created with Fabric's `Admins` mod_policy, as
 * configtxgen writes it. Policies are removed last, once the references this update changes
 * (ACLs) are in place. Returns warning lines (capabilities that stop older nodes).
 */
export function applyConfigOps(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, ops: ConfigOps): string[] {
  const channel = layout.spec.channel.name;
  applyPolicyEdits(layout, current, root, ops);
  const warnings = (ops.acls?.length ?? 0) > 0 ? setAcls(channel, current, root, ops.acls!) : [];
  warnings.push(...(ops.capabilities ?? []).flatMap(({ level, name }) => setCapability(channel, current, root, level, name)));
  for (const { org, peers } of ops.anchorPeers ?? []) setAnchors(layout, current, root, org, peers);
  for (const { org, endpoints } of ops.ordererEndpoints ?? []) setEndpoints(layout, current, root, org, endpoints);
  applyPolicyRemovals(layout, current, root, ops);
  return warnings;
}

/** `value` set in `group` with its version and mod_policy kept, or created with Fabric's `Admins`. */
function putValue(group: ConfigGroup, key: string, bytes: Uint8Array): void {
  const old = group.getValuesMap().get(key);
  const value = new ConfigValue();
  value.setVersion(old?.getVersion() ?? 0);
  value.setModPolicy(old?.getModPolicy() ?? 'Admins');
  value.setValue(bytes);
  group.getValuesMap().set(key, value);
}

/** Sets the Application group's ACLs entries; returns a warning per entry no single identity can pass. */
function setAcls(channel: string, current: ParsedChannelConfig, root: ConfigGroup, acls: NonNullable<ConfigOps['acls']>): string[] {
  const warnings: string[] = [];
  const application = root.getGroupsMap().get('Application');
  if (application === undefined) throw new WeftError('CHANNEL_HAS_NO_APPLICATION', `--acl: channel ${channel}'s config has no Application group to hold ACLs`, { field: '--acl', channel });
  if (!applicationAcls(current.capabilities.application)) {
    throw new WeftError('ACLS_NEED_CAPABILITY', `--acl: channel ${channel}'s application capabilities (${current.capabilities.application.join(', ') || 'none'}) predate ACLs in the channel config (V1_2)`, {
      field: '--acl',
      suggestions: ['raise it first: --capability application=V2_5'],
    });
  }
  const old = application.getValuesMap().get('ACLs');
  const table = old === undefined ? new ACLs() : ACLs.deserializeBinary(old.getValue_asU8());
  for (const { resource, policy } of acls) {
    if (!ACL_RESOURCES.includes(resource)) {
      throw new WeftError('UNKNOWN_ACL_RESOURCE', `--acl ${resource}: no resource of that name in Fabric's ACL list (core/aclmgmt/resources)`, {
        field: '--acl',
        value: resource,
        suggestions: [`one of: ${ACL_RESOURCES.join(', ')}`],
      });
    }
    if (policy === undefined) {
      table.getAclsMap().del(resource);
      continue;
    }
    const parts = policy.split('/');
    if (parts[0] !== '' || parts[1] !== 'Channel' || groupAt(root, parts.slice(2, -1))?.getPoliciesMap().has(parts[parts.length - 1]!) !== true) {
      throw new WeftError('UNKNOWN_POLICY_PATH', `--acl ${resource}=${policy}: no policy ${policy} in channel ${channel}'s config; an ACL names one by its full path`, {
        field: '--acl',
        value: policy,
        suggestions: ['e.g. /Channel/Application/Readers, /Channel/Application/Writers, /Channel/Application/Admins or /Channel/Application/Org1MSP/Readers'],
      });
    }
    const ref = new APIResource();
    ref.setPolicyRef(policy);
    table.getAclsMap().set(resource, ref);
    const target = groupAt(root, parts.slice(2, -1))!;
    const rule = target.getPoliciesMap().get(parts[parts.length - 1]!)!.getPolicy();
    // A request to a resource carries one signature: an ALL or MAJORITY over several orgs refuses every request, as Fabric's peer does.
    if (rule?.getType() === Policy.PolicyType.IMPLICIT_META && target.getGroupsMap().getLength() > 1) {
      const meta = ImplicitMetaPolicy.deserializeBinary(rule.getValue_asU8()).getRule();
      if (meta !== ImplicitMetaPolicy.Rule.ANY) {
        warnings.push(`ACL ${resource}: ${policy} needs signatures of several orgs, but a request carries one identity's: every request to ${resource} will be refused (name an org's policy, e.g. /Channel/Application/Org1MSP/Admins)`);
      }
    }
  }
  putValue(application, 'ACLs', table.serializeBinary());
  return warnings;
}

const CAPABILITY_GROUP: Readonly<Record<CapabilityLevel, readonly string[]>> = { channel: [], orderer: ['Orderer'], application: ['Application'] };

/** Sets the level's capability set to `name` alone, as configtxgen writes it; returns the warning line, none when the level has it already. */
function setCapability(channel: string, current: ParsedChannelConfig, root: ConfigGroup, level: CapabilityLevel, name: string): string[] {
  const flag = `--capability ${level}=${name}`;
  if (!settableCapabilities(level).includes(name)) {
    throw new WeftError('UNSUPPORTED_CAPABILITY', `${flag}: this Weft build does not support ${level} capability ${name}`, {
      field: '--capability',
      value: name,
      suggestions: [`one of: ${settableCapabilities(level).join(', ')}`],
    });
  }
  const group = groupAt(root, CAPABILITY_GROUP[level]);
  if (group === undefined) throw new WeftError('CHANNEL_CONFIG_INCOMPLETE', `${flag}: channel ${channel}'s config has no ${level} group`, { field: '--capability', channel });
  const highest = Math.max(-1, ...current.capabilities[level].map((c) => CAPABILITY_ORDER.indexOf(c)));
  if (CAPABILITY_ORDER.indexOf(name) < highest) {
    // Fabric's validator does not refuse it, but blocks already committed under the newer rules would be read under older ones.
    throw new WeftError('CAPABILITY_DOWNGRADE', `${flag}: channel ${channel} requires ${level} ${CAPABILITY_ORDER[highest]} already; capabilities only go up`, {
      field: '--capability',
      value: name,
      current: current.capabilities[level],
    });
  }
  if (current.capabilities[level].length === 1 && current.capabilities[level][0] === name) return [];
  const caps = new Capabilities();
  caps.getCapabilitiesMap().set(name, new Capability());
  putValue(group, 'Capabilities', caps.serializeBinary());
  if (level === 'channel' && name === 'V3_0') {
    // Fabric 3 refuses the global OrdererAddresses under V3_0: each orderer org's Endpoints replace it.
    root.getValuesMap().del('OrdererAddresses');
  }
  const nodes = level === 'application' ? 'peers' : level === 'orderer' ? 'orderers' : 'peers and orderers';
  return [`${level} capability ${name}: ${nodes} older than Fabric ${fabricReleaseOf(name)} (or a Weft build without ${name}) stop processing channel ${channel}`];
}

function setAnchors(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, org: string, peers: readonly string[]): void {
  const key = memberKey(layout, current, org);
  if (key === undefined) {
    throw new WeftError('ORG_NOT_IN_CHANNEL', `--anchor-peer ${org}=…: no member org of channel ${layout.spec.channel.name} of that name, MSP ID or domain (its members: ${current.applicationOrgs.map((o) => o.mspId).join(', ')})`, {
      field: '--anchor-peer',
      value: org,
    });
  }
  const group = root.getGroupsMap().get('Application')!.getGroupsMap().get(key)!;
  const anchors: AnchorPeerAddress[] = peers.map((p) => hostPort('--anchor-peer', org, p));
  // configtxgen writes no AnchorPeers value for an org without anchor peers: clearing removes it (the org's Admins sign, the value's group mod_policy).
  if (anchors.length === 0) group.getValuesMap().del('AnchorPeers');
  else putValue(group, 'AnchorPeers', anchorPeersOf(anchors).serializeBinary());
}

function setEndpoints(layout: NetworkLayout, current: ParsedChannelConfig, root: ConfigGroup, org: string, endpoints: readonly string[]): void {
  const spec = layout.networkSpec.ordererOrg;
  const mspId = org === spec.name || org === spec.domain ? spec.mspId : org;
  const key = current.ordererOrgs.find((o) => o.name === org || o.mspId === mspId)?.name;
  if (key === undefined) {
    throw new WeftError('UNKNOWN_ORDERER_ORG', `--orderer-endpoint ${org}=…: no orderer org of channel ${layout.spec.channel.name} of that name or MSP ID (its orderer orgs: ${current.ordererOrgs.map((o) => o.mspId).join(', ')})`, {
      field: '--orderer-endpoint',
      value: org,
    });
  }
  if (endpoints.length === 0) {
    throw new WeftError('BAD_HOST_PORT', `--orderer-endpoint ${org}=: an orderer org needs at least one endpoint (Fabric 3 has no global OrdererAddresses to fall back on)`, {
      field: '--orderer-endpoint',
      value: org,
      suggestions: [`--orderer-endpoint ${org}=orderer.example.com:7050`],
    });
  }
  for (const e of endpoints) hostPort('--orderer-endpoint', org, e);
  const addresses = new OrdererAddresses();
  addresses.setAddressesList([...endpoints]);
  putValue(root.getGroupsMap().get('Orderer')!.getGroupsMap().get(key)!, 'Endpoints', addresses.serializeBinary());
}

function hostPort(flag: string, org: string, address: string): AnchorPeerAddress {
  if (!isHostPort(address)) {
    throw new WeftError('BAD_HOST_PORT', `${flag} ${org}=${address}: expected host:port with a port from 1 to 65535`, {
      field: flag,
      value: address,
      suggestions: [`e.g. ${flag} ${org}=peer0.org1.example.com:7051`],
    });
  }
  const i = address.lastIndexOf(':');
  return { host: address.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(address.slice(i + 1)) };
}
