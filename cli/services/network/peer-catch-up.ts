import { WeftError } from '../../../core/errors';
import { peerChainInfo, type Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';

const REPORT_EVERY_MS = 2000;

/** The highest height of the channel's other peers that answer now (0 when none does). */
export async function otherPeersHeight(layout: NetworkLayout, peer: NodeLayout): Promise<number> {
  const channel = layout.spec.channel.name;
  const heights = await Promise.all(layout.peers().filter((o) => o.id !== peer.id).map((o) => peerChainInfo(layout, o, channel).then((i) => i.height, () => 0)));
  return Math.max(0, ...heights);
}

/**
 * Waits until `peer` serves the channel (qscc answers; a peer just started may not yet) at a
 * height of at least `height`, pulling what it lacks from the orderer, with a progress line every
 * 2 s. Returns its height; `PEER_CATCH_UP_TIMEOUT` after `timeoutMs`.
 */
export async function waitForHeight(layout: NetworkLayout, peer: NodeLayout, height: number, timeoutMs: number, progress: Progress): Promise<number> {
  const channel = layout.spec.channel.name;
  const started = Date.now();
  let reported = started;
  let last: string | undefined;
  for (;;) {
    const now = await peerChainInfo(layout, peer, channel).then(
      (i) => i.height,
      (err: unknown) => ((last = (err as Error).message), -1),
    );
    if (now >= height) {
      progress(`${peer.id}: serving ${channel} at height ${now} (the other peers: ${height})`);
      return now;
    }
    if (Date.now() - reported >= REPORT_EVERY_MS) {
      reported = Date.now();
      progress(now < 0 ? `${peer.id}: not answering on ${channel} yet` : `${peer.id} on ${channel}: height ${now} of ${height}`);
    }
    if (Date.now() - started > timeoutMs) {
      throw new WeftError('PEER_CATCH_UP_TIMEOUT', `${peer.id} ${now < 0 ? `did not answer on ${channel} (${last})` : `reached height ${now} on ${channel}`} in ${timeoutMs / 1000}s, the other peers ${height}`, {
        peer: peer.id,
        channel,
        suggestions: ['it keeps pulling blocks: check later with weft network status', `see its log: ${peer.logFile}`],
      });
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
