import { Config, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { MSPConfig, type FabricMSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConfigError } from '../../../core/errors';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { fetchBlock } from '../block/block-source';
import { adminOf } from './config-update-signatures';
import { type ChannelConfigState, submitConfigEdit } from './config-update-submit';
import type { Progress } from './network-access';
import { type NetworkLayout, orgNamed } from './network-layout';
import type { PeerOrgSpec } from './network-spec';
import { keyNotHere, signingKeyHere } from './org-keys';

/**
 * An org whose MSP value in the channel configs a command changes (`weft network revoke`, `renew
 * --ca`): a peer org (`/Channel/Application/<org>/MSP`) or the orderer org
 * (`/Channel/Orderer/<org>/MSP`, in every channel). Either way the value's mod_policy is the org's
 * own `Admins`, so the org's Admin signs alone.
 */
export interface MspOrg {
  readonly name: string;
  readonly mspId: string;
  readonly domain: string;
  /** Its cryptogen-layout folder. */
  readonly orgDir: string;
  /** The peer org; undefined for the orderer org. */
  readonly peerOrg: PeerOrgSpec | undefined;
}

/** `--org` (name, MSP ID or domain) to a peer org or the orderer org; the peer orgs' rules of {@link resolveOrg} otherwise. */
export function resolveMspOrg(network: NetworkLayout, ref: string): MspOrg {
  const o = network.spec.ordererOrg;
  if (orgNamed(o, ref)) return { name: o.name, mspId: o.mspId, domain: o.domain, orgDir: network.ordererOrgDir(), peerOrg: undefined };
  const org = network.findOrg(ref);
  if (org === undefined) {
    const known = [...network.spec.orgs.map((p) => `${p.name} (${p.mspId})`), `${o.name} (${o.mspId})`];
    throw new ConfigError('UNKNOWN_ORG', `--org ${ref}: no org of that name, MSP ID or domain in this network; it has ${known.join(', ')}`, { field: '--org', value: ref, suggestions: [`use --org ${network.spec.orgs[0]?.name ?? o.name}`] });
  }
  return mspOrgOf(network, org);
}

export function mspOrgOf(network: NetworkLayout, org: PeerOrgSpec): MspOrg {
  return { name: org.name, mspId: org.mspId, domain: org.domain, orgDir: network.peerOrgDir(org), peerOrg: org };
}

/** The org's Admin, whose key must be here to sign the org's MSP changes (`KEY_NOT_HERE` otherwise). */
export function assertOrgAdminHere(network: NetworkLayout, org: MspOrg): void {
  const admin = adminOf(network, org.mspId)!;
  if (!signingKeyHere(admin)) throw keyNotHere(admin, admin.keyPath);
}

/** One channel the org is a member of, as its config stands now. */
export interface OrgMspState extends ChannelConfigState {
  /** The org's MSP as the channel holds it. */
  readonly msp: FabricMSPConfig;
}

/** What one channel's config update did. */
export interface ChannelUpdated {
  readonly channel: string;
  readonly orderer: string;
  readonly configBlock?: number;
  /** This directory's peers of the channel not waited for, as they do not run or answer (see peersToWaitForUpdate); absent when none. */
  readonly notWaitedFor?: string[];
}

/** The config group key of the org in the channel (`Application/<key>` or `Orderer/<key>`), if it is a member. */
export function groupKeyOf(org: MspOrg, current: ParsedChannelConfig): string | undefined {
  const members = org.peerOrg === undefined ? current.ordererOrgs : current.applicationOrgs;
  return members.find((o) => o.mspId === org.mspId)?.name;
}

/** Every channel of the network the org is a member of, with its current config, read from this directory's nodes. */
export async function orgMspStates(network: NetworkLayout, org: MspOrg): Promise<OrgMspState[]> {
  const states: OrgMspState[] = [];
  for (const channel of network.channels()) {
    const layout = network.forChannel(channel.name);
    if (org.peerOrg !== undefined && !layout.spec.orgs.some((o) => o.mspId === org.mspId)) continue;
    const fetched = await fetchBlock(layout, 'config');
    const current = parseConfigBlock(fetched.bytes);
    const msp = current.msps.get(org.mspId);
    if (msp === undefined || groupKeyOf(org, current) === undefined) continue;
    states.push({ layout, current, block: fetched.number, msp });
  }
  return states;
}

/**
 * Submits the config update that sets the org's MSP value in one channel to `msp` (version and
 * mod_policy kept), signed by the org's Admin, and waits for this directory's peers of the channel
 * to hold the new config block. `what` says in progress what changed; `failCode` is the error
 * for a channel that took the update but whose peers did not show it (`rerun` says how to finish).
 */
export async function setOrgMsp(network: NetworkLayout, org: MspOrg, state: OrgMspState, msp: FabricMSPConfig, what: string, progress: Progress, failure: { code: string; rerun: string }): Promise<ChannelUpdated> {
  return submitConfigEdit(network, state, orgMspConfig(org, state.current, msp), `${org.mspId}'s ${what}`, progress, failure);
}

/** A copy of the channel's config with the org's MSP value set to `msp` (its version and mod_policy kept); the org must be a member. */
export function orgMspConfig(org: MspOrg, current: ParsedChannelConfig, msp: FabricMSPConfig): Config {
  const next = Config.deserializeBinary(current.config.serializeBinary());
  const section = org.peerOrg === undefined ? 'Orderer' : 'Application';
  const group = next.getChannelGroup()!.getGroupsMap().get(section)!.getGroupsMap().get(groupKeyOf(org, current)!)!;
  const old = group.getValuesMap().get('MSP')!;
  const outer = MSPConfig.deserializeBinary(old.getValue_asU8());
  outer.setConfig(msp.serializeBinary());
  const value = new ConfigValue();
  value.setVersion(old.getVersion());
  value.setModPolicy(old.getModPolicy());
  value.setValue(outer.serializeBinary());
  group.getValuesMap().set('MSP', value);
  return next;
}
