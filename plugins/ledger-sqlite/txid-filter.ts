const BITS_PER_KEY = 10;
const PROBES = 7; // ~0.8% false positives at 10 bits per key
const MIN_CAPACITY = 1 << 16;

/** FNV-1a over the UTF-16 code units. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finalizer: the second probe hash, derived from the first (odd, so it steps over every bit). */
function fmix(h1: number): number {
  let h = h1 ^ (h1 >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h | 1) >>> 0;
}

/** One fixed-size Bloom filter. */
class Bloom {
  private readonly bits: Uint32Array;
  count = 0;

  constructor(readonly capacity: number) {
    this.bits = new Uint32Array(Math.ceil((capacity * BITS_PER_KEY) / 32));
  }

  /** Sets (`set`) or tests the probes of one txid's hashes; the answer only means something for a test. */
  probe(h1: number, h2: number, set: boolean): boolean {
    const size = this.bits.length * 32;
    for (let i = 0; i < PROBES; i++) {
      const at = ((h1 + Math.imul(i, h2)) >>> 0) % size;
      const mask = 1 << (at & 31);
      if (set) this.bits[at >>> 5] |= mask;
      else if ((this.bits[at >>> 5] & mask) === 0) return false;
    }
    if (set) this.count++;
    return true;
  }
}

/**
 * A Bloom filter over every txid in the ledger's txid index. Nearly every txid lookup is a miss
 * (the duplicate checks of the endorser, the validator and the ledger, and CommitStatus before its
 * transaction commits), and a miss in SQLite walks cold B-tree pages: 10–20 µs on the peer. The
 * filter answers most misses from memory; "maybe" still goes to SQLite, so answers never change.
 *
 * It never forgets a txid it was given (no false negatives), so a txid is added as soon as its row
 * is written, before the transaction commits: a rollback only leaves a false positive behind. It is
 * built from the index at open, sized for twice what is there, and grows by adding a filter twice
 * the size of the last (a scalable Bloom filter), so a commit never rescans the index.
 */
export class TxIdFilter {
  private readonly filters: Bloom[];

  constructor(existing: number, txIds: Iterable<string>) {
    const first = new Bloom(Math.max(MIN_CAPACITY, existing * 2));
    this.filters = [first];
    for (const id of txIds) {
      const h1 = fnv1a(id);
      first.probe(h1, fmix(h1), true);
    }
  }

  /** False only when `txId` was never added. */
  mightContain(txId: string): boolean {
    const h1 = fnv1a(txId);
    const h2 = fmix(h1);
    for (const f of this.filters) if (f.probe(h1, h2, false)) return true;
    return false;
  }

  add(txId: string): void {
    let last = this.filters[this.filters.length - 1];
    if (last.count >= last.capacity) {
      last = new Bloom(last.capacity * 2);
      this.filters.push(last);
    }
    const h1 = fnv1a(txId);
    last.probe(h1, fmix(h1), true);
  }
}
