import { hashedNamespace, pvtNamespace, sha256 } from '../../../../core/ledger/private-data';
import type { KeyModification, KV, QueryPage, SimulationFootprint, TxSimulator } from '../../../../core/ledger/tx-simulator';

/**
 * A tiny in-memory TxSimulator for runtime unit tests: committed state in a sorted map, writes
 * recorded (never visible to reads), results as JSON. Private data lives in derived namespaces as
 * the real ledger lays it out (`<ns>$$p<collection>` values, `<ns>$$h<collection>` metadata), and a
 * commit applies it as on a peer that is a member of every collection. The real ledger is used in
 * integration tests.
 */
export class MemoryWorld {
  readonly state = new Map<string, Uint8Array>();
  readonly metadata = new Map<string, Record<string, Uint8Array>>();
  readonly history = new Map<string, KeyModification[]>();

  simulator(txId = 'tx'): MemorySimulator {
    return new MemorySimulator(this, txId);
  }

  commit(sim: MemorySimulator, seconds = 0): void {
    for (const [k, v] of sim.writes) {
      if (v === undefined) this.state.delete(k);
      else this.state.set(k, v);
      const h = this.history.get(k) ?? [];
      h.unshift({ txId: sim.txId, value: v ?? new Uint8Array(0), isDelete: v === undefined, timestamp: { seconds, nanos: 0 } });
      this.history.set(k, h);
    }
    for (const [k, m] of sim.metaWrites) this.metadata.set(k, m);
  }
}

const SEP = '\u0000\u0000';
const pvtNs = pvtNamespace;
const hashedNs = hashedNamespace;
const isPvt = (nsAndKey: string): boolean => nsAndKey.slice(0, nsAndKey.indexOf(SEP)).includes('$$p');
const nsKey = (ns: string, key: string): string => `${ns}${SEP}${key}`;
const cmp = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

export class MemorySimulator implements TxSimulator {
  readonly writes = new Map<string, Uint8Array | undefined>();
  readonly metaWrites = new Map<string, Record<string, Uint8Array>>();
  readonly reads: string[] = [];
  readonly purges: string[] = [];

  constructor(
    private readonly world: MemoryWorld,
    readonly txId: string,
  ) {}

  getState(namespace: string, key: string): Uint8Array | undefined {
    this.reads.push(key);
    return this.world.state.get(nsKey(namespace, key));
  }
  getStateMultiple(namespace: string, keys: readonly string[]): (Uint8Array | undefined)[] {
    return keys.map((k) => this.getState(namespace, k));
  }
  private range(namespace: string, startKey: string, endKey: string): KV[] {
    const out: KV[] = [];
    for (const [k, value] of this.world.state) {
      if (!k.startsWith(namespace + SEP)) continue;
      const key = k.slice(namespace.length + SEP.length);
      if (cmp(key, startKey) >= 0 && (endKey === '' || cmp(key, endKey) < 0)) out.push({ namespace, key, value });
    }
    return out.sort((a, b) => cmp(a.key, b.key));
  }
  getStateRange(namespace: string, startKey: string, endKey: string): Iterable<KV> {
    return this.range(namespace, startKey, endKey);
  }
  getStateRangeWithPagination(namespace: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    const all = this.range(namespace, bookmark || startKey, endKey);
    const results = all.slice(0, pageSize);
    return { results, rows: () => results, fetchedRecordsCount: results.length, bookmark: all.length > pageSize ? all[pageSize].key : '' };
  }
  executeQuery(namespace: string, query: string): Iterable<KV> {
    const selector = (JSON.parse(query) as { selector: Record<string, unknown> }).selector;
    return this.range(namespace, '', '').filter((kv) => {
      try {
        const doc = JSON.parse(Buffer.from(kv.value).toString()) as Record<string, unknown>;
        return Object.entries(selector).every(([f, v]) => doc[f] === v);
      } catch {
        return false;
      }
    });
  }
  executeQueryWithPagination(namespace: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    const all = [...this.executeQuery(namespace, query)].filter((kv) => bookmark === '' || cmp(kv.key, bookmark) >= 0);
    const results = all.slice(0, pageSize);
    return { results, rows: () => results, fetchedRecordsCount: results.length, bookmark: all.length > pageSize ? all[pageSize].key : '' };
  }
  getStateMetadata(namespace: string, key: string): Record<string, Uint8Array> | undefined {
    return this.world.metadata.get(nsKey(namespace, key));
  }
  getHistoryForKey(namespace: string, key: string): Iterable<KeyModification> {
    return this.world.history.get(nsKey(namespace, key)) ?? [];
  }
  done(): void {}
  setState(namespace: string, key: string, value: Uint8Array): void {
    this.writes.set(nsKey(namespace, key), value);
  }
  deleteState(namespace: string, key: string): void {
    this.writes.set(nsKey(namespace, key), undefined);
  }
  setStateMetadata(namespace: string, key: string, metadata: Record<string, Uint8Array>): void {
    this.metaWrites.set(nsKey(namespace, key), metadata);
  }
  getPrivateData(namespace: string, collection: string, key: string): Uint8Array | undefined {
    this.reads.push(`${collection}/${key}`);
    return this.world.state.get(nsKey(pvtNs(namespace, collection), key));
  }
  getPrivateDataHash(namespace: string, collection: string, key: string): Uint8Array | undefined {
    const value = this.getPrivateData(namespace, collection, key);
    return value === undefined ? undefined : Buffer.from(sha256(value));
  }
  getPrivateDataMetadata(namespace: string, collection: string, key: string): Record<string, Uint8Array> | undefined {
    return this.world.metadata.get(nsKey(hashedNs(namespace, collection), key));
  }
  getPrivateDataRange(namespace: string, collection: string, startKey: string, endKey: string): Iterable<KV> {
    return this.range(pvtNs(namespace, collection), startKey, endKey).map((kv) => ({ ...kv, namespace }));
  }
  executeQueryOnPrivateData(namespace: string, collection: string, query: string): Iterable<KV> {
    return [...this.executeQuery(pvtNs(namespace, collection), query)].map((kv) => ({ ...kv, namespace }));
  }
  getPrivateDataRangeWithPagination(namespace: string, collection: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    return privatePage(this.getStateRangeWithPagination(pvtNs(namespace, collection), startKey, endKey, pageSize, bookmark), namespace);
  }
  executeQueryOnPrivateDataWithPagination(namespace: string, collection: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    return privatePage(this.executeQueryWithPagination(pvtNs(namespace, collection), query, pageSize, bookmark), namespace);
  }
  setPrivateData(namespace: string, collection: string, key: string, value: Uint8Array): void {
    this.writes.set(nsKey(pvtNs(namespace, collection), key), value.length === 0 ? undefined : value);
  }
  deletePrivateData(namespace: string, collection: string, key: string): void {
    this.writes.set(nsKey(pvtNs(namespace, collection), key), undefined);
  }
  purgePrivateData(namespace: string, collection: string, key: string): void {
    this.deletePrivateData(namespace, collection, key);
    this.purges.push(`${collection}/${key}`);
  }
  setPrivateDataMetadata(namespace: string, collection: string, key: string, metadata: Record<string, Uint8Array>): void {
    this.metaWrites.set(nsKey(hashedNs(namespace, collection), key), metadata);
  }
  getTxSimulationResults(): Uint8Array {
    return this.results(false);
  }
  getPrivateSimulationResults(): Uint8Array | undefined {
    return [...this.writes.keys()].some(isPvt) ? this.results(true) : undefined;
  }
  getSimulationFootprint(): SimulationFootprint {
    return { namespaces: [], writes: [], privateReads: [] };
  }
  private results(pvt: boolean): Uint8Array {
    const writes = [...this.writes.entries()]
      .filter(([k]) => isPvt(k) === pvt)
      .sort(([a], [b]) => cmp(a, b))
      .map(([k, v]) => [k, v === undefined ? null : Buffer.from(v).toString('base64')]);
    return Buffer.from(JSON.stringify(pvt ? { writes, purges: this.purges } : { reads: [...new Set(this.reads)].sort(), writes }));
  }
}

/** A page of the private namespace, its rows named by the chaincode's namespace. */
function privatePage(page: QueryPage<KV>, namespace: string): QueryPage<KV> {
  const results = page.results.map((kv) => ({ ...kv, namespace }));
  return { ...page, results, rows: () => results };
}
