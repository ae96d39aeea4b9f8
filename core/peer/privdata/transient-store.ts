/**
 * Fabric's transient store: the private rwsets this peer produced as an endorser, kept by txid
 * until the transaction commits (the committer takes its own collections' data from here) or falls
 * out of retention. In memory: a peer restarted between endorsing and committing misses that data,
 * as a Fabric peer does that lost its transient store.
 */
export class TransientStore {
  private readonly entries = new Map<string, { readonly pvt: Uint8Array; readonly height: number }>();

  /**
   * @param maxBlockRetention Fabric's `peer.gossip.pvtData.transientstoreMaxBlockRetention`: an entry
   * endorsed at height h is dropped once the channel's height passes h + this.
   */
  constructor(private readonly maxBlockRetention = 1000) {}

  /** Keeps the private rwset of an endorsement; a second endorsement of one txid keeps the newest. */
  persist(txId: string, pvt: Uint8Array, height: number): void {
    this.entries.set(txId, { pvt, height });
  }

  get(txId: string): Uint8Array | undefined {
    return this.entries.get(txId)?.pvt;
  }

  get size(): number {
    return this.entries.size;
  }

  /** After a block commits: drops its transactions' entries and every entry past retention. */
  purge(txIds: Iterable<string>, height: number): void {
    for (const txId of txIds) this.entries.delete(txId);
    if (height % 64 !== 0) return;
    for (const [txId, e] of this.entries) if (e.height + this.maxBlockRetention < height) this.entries.delete(txId);
  }
}
