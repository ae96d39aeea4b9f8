/**
 * A Map keyed by exact bytes with a size bound. Eviction drops the oldest insertion: identities
 * churn slowly (a channel has few distinct creators), so FIFO is as good as LRU here and cheaper.
 */
export class BoundedCache<V> {
  private readonly map = new Map<string, V>();

  constructor(readonly maxEntries: number) {}

  /** The byte content as a string key (latin1 maps each byte to one UTF-16 unit: exact and cheap). */
  static keyOf(bytes: Uint8Array): string {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1');
  }

  get(key: string): V | undefined {
    return this.map.get(key);
  }

  set(key: string, value: V): void {
    if (this.map.size >= this.maxEntries && !this.map.has(key)) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(key, value);
  }

  get size(): number {
    return this.map.size;
  }
}
