import { loadPeerConfig } from '../../../core/peer/peer-config';
import { type ChannelStatus, PeerLedgerAdmin } from '../../../core/peer/peer-ledger-admin';

/** At most one progress line a second per channel, plus its last. */
const PROGRESS_EVERY_MS = 1000;

/**
 * Runs `work` on the ledgers of the stopped peer configured in `configFile`, holding its data
 * directory as `holder` (the command, named in the error a starting peer would get).
 */
export function withPeerLedgers<T>(configFile: string, holder: string, work: (admin: PeerLedgerAdmin) => T): T {
  const admin = PeerLedgerAdmin.open(loadPeerConfig(configFile), holder);
  try {
    return work(admin);
  } finally {
    admin.close();
  }
}

/** A replay-progress callback that reports `channel: applied/height blocks replayed` through `progress`, throttled. */
export function replayProgress(progress: (message: string) => void): (channelId: string, applied: number, height: number) => void {
  let last = 0;
  return (channelId, applied, height) => {
    const now = Date.now();
    if (applied < height && now - last < PROGRESS_EVERY_MS) return;
    last = now;
    progress(`${channelId}: ${applied}/${height} blocks replayed`);
  };
}

/** `active: a, b; paused: c` for the pause and resume commands' output. */
export function channelStatusLine(status: ChannelStatus): string {
  const list = (ids: readonly string[]): string => (ids.length === 0 ? 'none' : ids.join(', '));
  return `active: ${list(status.active)}; paused: ${list(status.paused)}`;
}
