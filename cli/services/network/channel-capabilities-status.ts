import type { CapabilityNames } from '../../../core/protocol/capabilities';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { fetchBlock } from '../block/block-source';
import { capabilitiesOf } from './channel-capabilities';
import { CAPABILITY_LEVELS } from './channel-config-flags';
import { readingPeer } from './network-access';
import type { NetworkLayout } from './network-layout';

/** A channel's capabilities as `weft network status` reports them, and where they were read. */
export interface ChannelCapabilitiesStatus {
  readonly channel: string;
  /** Each level's capability names, as `weft channel info` shows its config's `capabilities`. */
  readonly capabilities: CapabilityNames;
  /**
   * `peer`: the channel's latest config block on `node`, read as `weft channel info` reads it;
   * `orderer`: the same block from orderer `node`'s Deliver, the peers' ACL refusing the CLI's qscc
   * reads; `network.yaml`: no running peer of the channel answered, so what the network file records,
   * which lags behind a `weft channel update` made from another org's directory.
   */
  readonly source: 'peer' | 'orderer' | 'network.yaml';
  readonly node?: string;
}

/**
 * Each channel's capabilities: asked of the channel's peers that `running` names (the default
 * reading peer first, then the others in turn, so a peer that left the channel or holds no config
 * block since a snapshot does not hide the figure), else network.yaml's record. Peers that are
 * down are not dialled: status already knows they would not answer.
 */
export async function channelCapabilitiesStatus(layout: NetworkLayout, running: ReadonlySet<string>): Promise<ChannelCapabilitiesStatus[]> {
  return Promise.all(
    layout.channels().map(async (spec): Promise<ChannelCapabilitiesStatus> => {
      const channelLayout = layout.forChannel(spec.name);
      const peers = channelLayout.peers();
      const first = peers.length === 0 ? undefined : readingPeer(channelLayout);
      const candidates = [...(first === undefined ? [] : [first]), ...peers.filter((p) => p.id !== first?.id)].filter((p) => running.has(p.id));
      for (const peer of candidates) {
        try {
          const block = await fetchBlock(channelLayout, 'config', peer);
          const { capabilities } = parseConfigBlock(block.bytes);
          return block.fromOrderer === undefined
            ? { channel: spec.name, capabilities, source: 'peer', node: peer.id }
            : { channel: spec.name, capabilities, source: 'orderer', node: block.fromOrderer.orderer };
        } catch {
          // not joined, paused, below a snapshot or gone since: the next peer, or network.yaml
        }
      }
      const recorded = capabilitiesOf(spec.capabilities);
      return { channel: spec.name, capabilities: { channel: [recorded.channel], orderer: [recorded.orderer], application: [recorded.application] }, source: 'network.yaml' };
    }),
  );
}

/** `channel V2_0, orderer V2_0, application V2_5 (config block on peer0.org1.example.com)`: one status line's worth. */
export function capabilitiesText(c: ChannelCapabilitiesStatus): string {
  const levels = CAPABILITY_LEVELS.map((level) => `${level} ${c.capabilities[level].length === 0 ? '-' : c.capabilities[level].join('+')}`).join(', ');
  const from = c.source === 'network.yaml' ? "network.yaml's record: no peer of it answered" : `config block on ${c.node!}`;
  return `${levels} (${from})`;
}
