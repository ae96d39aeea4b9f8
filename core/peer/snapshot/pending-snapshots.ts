import * as fs from 'node:fs';
import * as path from 'node:path';
import { PeerError } from '../peer-error';
import { fsyncPath } from '../../node/durable-files';

/**
 * The snapshot requests still to be generated, per channel, kept in one small JSON file under the
 * snapshots root (Fabric keeps them in a leveldb beside the ledger, `snapshotRequestBookkeeper`). Each
 * change is written to a temporary file, synced and renamed over the old one, so a crash leaves
 * either the old list or the new one; requests survive a restart of the peer.
 */
export class PendingSnapshots {
  private readonly byChannel = new Map<string, number[]>();

  private constructor(private readonly file: string) {}

  /** Loads `<rootDir>/pending.json`, or starts empty when there is none. Throws `PEER_BAD_SNAPSHOT_REQUESTS` for a file it cannot read back. */
  static open(rootDir: string): PendingSnapshots {
    const pending = new PendingSnapshots(path.join(rootDir, 'pending.json'));
    let text: string;
    try {
      text = fs.readFileSync(pending.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return pending;
      throw err;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new PeerError('PEER_BAD_SNAPSHOT_REQUESTS', `${pending.file} is not JSON (${(err as Error).message}); remove it to drop the pending snapshot requests`, { path: pending.file });
    }
    const entries = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.entries(parsed) : undefined;
    for (const [channelId, blocks] of entries ?? [['', undefined]]) {
      if (!Array.isArray(blocks) || !blocks.every((b) => Number.isSafeInteger(b) && (b as number) >= 0)) {
        throw new PeerError('PEER_BAD_SNAPSHOT_REQUESTS', `${pending.file}: expected {"<channel>": [block numbers]}, got ${JSON.stringify(parsed).slice(0, 200)}`, {
          path: pending.file,
          channelId,
        });
      }
      pending.byChannel.set(channelId, [...new Set(blocks as number[])].sort((a, b) => a - b));
    }
    return pending;
  }

  /** The channel's requested block numbers, ascending (Fabric's `PendingSnapshotRequests`). */
  list(channelId: string): number[] {
    return [...(this.byChannel.get(channelId) ?? [])];
  }

  has(channelId: string, blockNumber: number): boolean {
    return this.byChannel.get(channelId)?.includes(blockNumber) ?? false;
  }

  /** The lowest requested block of the channel: the next one to generate. */
  smallest(channelId: string): number | undefined {
    return this.byChannel.get(channelId)?.[0];
  }

  add(channelId: string, blockNumber: number): void {
    const blocks = [...this.list(channelId), blockNumber].sort((a, b) => a - b);
    this.write(channelId, blocks);
  }

  /** Returns false when the request was not pending. */
  delete(channelId: string, blockNumber: number): boolean {
    const blocks = this.list(channelId);
    if (!blocks.includes(blockNumber)) return false;
    this.write(
      channelId,
      blocks.filter((b) => b !== blockNumber),
    );
    return true;
  }

  /** The channels with requests. */
  channels(): string[] {
    return [...this.byChannel.keys()];
  }

  /** Drops every request of a channel (it was removed from the peer). */
  deleteChannel(channelId: string): void {
    if (this.byChannel.has(channelId)) this.write(channelId, []);
  }

  private write(channelId: string, blocks: number[]): void {
    const next = new Map(this.byChannel);
    if (blocks.length === 0) next.delete(channelId);
    else next.set(channelId, blocks);
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeFileSync(fd, JSON.stringify(Object.fromEntries([...next].sort(([a], [b]) => (a < b ? -1 : 1)))));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, this.file);
    fsyncPath(path.dirname(this.file));
    this.byChannel.clear();
    for (const [k, v] of next) this.byChannel.set(k, v);
  }
}
