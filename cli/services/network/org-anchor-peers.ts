import { Config, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { anchorPeersOf } from '../../../core/protocol/config-block';
import { WeftError } from '../../../core/errors';
import type { AnchorPeerAddress } from '../../../core/protocol/config-parse';
import { submitConfigEdit } from './config-update-submit';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { MspOrg, OrgMspState } from './org-msp-channels';

/** One channel whose `AnchorPeers` of the org named a retired peer, and what it names now. */
export interface AnchorPeerReplaced {
  readonly channel: string;
  /** `host:port` of the peer taken out. */
  readonly removed: string;
  /** The org's anchor peers on the channel after the update. */
  readonly now: string[];
  readonly orderer: string;
  readonly configBlock?: number;
  /** This directory's peers of the channel not waited for, as they do not run or answer; absent when none. */
  readonly notWaitedFor?: string[];
}

/** A channel where the peer is one of the org's anchor peers, with the list it is to have instead. */
export interface AnchorEdit {
  readonly state: OrgMspState;
  readonly anchors: readonly AnchorPeerAddress[];
}

const addressOf = (a: AnchorPeerAddress): string => `${a.host}:${a.port}`;

/**
 * The channels (of `states`, the org's) whose config names `removed` among the org's anchor
 * peers, each with that list as it is to be: `removed` replaced by `replacement` in its place, or
 * only dropped when `replacement` is listed already. Other orgs reach an org's peers through its
 * anchor peers (their Gateways, and Fabric's gossip), so the org must keep one that runs.
 */
export function anchorEdits(states: readonly OrgMspState[], mspId: string, removed: NodeLayout, replacement: NodeLayout): AnchorEdit[] {
  const edits: AnchorEdit[] = [];
  for (const state of states) {
    const anchors = state.current.anchorPeers.get(mspId) ?? [];
    if (!anchors.some((a) => addressOf(a) === removed.address)) continue;
    const taken = anchors.some((a) => addressOf(a) === replacement.address);
    const i = replacement.address.lastIndexOf(':');
    const instead = { host: replacement.address.slice(0, i), port: Number(replacement.address.slice(i + 1)) };
    const next = anchors.flatMap((a) => (addressOf(a) !== removed.address ? [a] : taken ? [] : [instead]));
    edits.push({ state, anchors: next });
  }
  return edits;
}

/**
 * Sets the org's `AnchorPeers` value on the edit's channel (version and mod_policy kept: the org's
 * `Admins`, so its Admin signs alone, as Fabric's operator does with `peer channel update` of an
 * anchor peer update) and waits until this directory's peers of `network` hold the config block.
 */
export async function setAnchorPeers(network: NetworkLayout, org: MspOrg, edit: AnchorEdit, removed: NodeLayout, progress: Progress, rerun: string): Promise<AnchorPeerReplaced> {
  const { current } = edit.state;
  const key = current.applicationOrgs.find((o) => o.mspId === org.mspId)!.name;
  const next = Config.deserializeBinary(current.config.serializeBinary());
  const group = next.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get(key)!;
  const old = group.getValuesMap().get('AnchorPeers');
  if (old === undefined) {
    throw new WeftError('CHANNEL_CONFIG_INCOMPLETE', `channel ${edit.state.layout.spec.channel.name}'s config has no /Channel/Application/${key}/AnchorPeers value to change`, { channel: edit.state.layout.spec.channel.name });
  }
  const value = new ConfigValue();
  value.setVersion(old.getVersion());
  value.setModPolicy(old.getModPolicy());
  value.setValue(anchorPeersOf(edit.anchors).serializeBinary());
  group.getValuesMap().set('AnchorPeers', value);
  const now = edit.anchors.map(addressOf);
  const done = await submitConfigEdit(network, edit.state, next, `${org.mspId}'s anchor peers ${now.join(', ')} (was ${removed.address})`, progress, { code: 'ANCHOR_PEERS_UNCONFIRMED', rerun });
  return { channel: done.channel, removed: removed.address, now, orderer: done.orderer, ...(done.configBlock !== undefined && { configBlock: done.configBlock }), ...(done.notWaitedFor !== undefined && { notWaitedFor: done.notWaitedFor }) };
}
