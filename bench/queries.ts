/**
 * Rich query suite: CouchDB Mango queries on the SQLite ledger over 100,000 JSON documents of one
 * chaincode, as an asset application keeps them (`docType`, one of 100 owners, an integer size, a
 * colour, tags). Measures what a chaincode's queries cost a peer: a page of 10 through a declared
 * index (Fabric's marbles index on docType and owner), a sorted page, a key range on `_id`, the
 * scans an unindexed selector and `$elemMatch` need, and building an index. Rates are per second
 * of this process's CPU.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl, RwSetBuilder, type Ledger } from '../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../plugins/ledger-sqlite';
import { measure, round, type BenchMetric } from './harness';
import { seededRandom } from '../test/support/seeded-random';

const DOCS = 100_000;
const PER_BLOCK = 5_000;
const NS = 'assets';
const COLORS = ['red', 'blue', 'green', 'black', 'white'];

function docOf(i: number, random: () => number): object {
  const tags = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `t${Math.floor(random() * 50)}`);
  return { docType: 'asset', owner: `o${i % 100}`, size: Math.floor(random() * 1_000_000), color: COLORS[i % COLORS.length], tags };
}

/** One block of `PER_BLOCK` documents, in one transaction: bulk-loading is not what this suite measures. */
function seed(ledger: Ledger, chain: TestChain): void {
  const random = seededRandom(7);
  for (let first = 0; first < DOCS; first += PER_BLOCK) {
    const b = new RwSetBuilder();
    for (let i = first; i < first + PER_BLOCK; i++) b.addWrite(NS, `a${String(i).padStart(6, '0')}`, Buffer.from(JSON.stringify(docOf(i, random))));
    ledger.commit(chain.block([buildRwSetEnvelope({ txId: `seed-${first}`, rwset: b.build().serializeBinary(), channelId: 'bench' })]));
  }
}

function index(name: string, fields: unknown[]): { name: string; content: string } {
  return { name: `${name}.json`, content: JSON.stringify({ index: { fields }, ddoc: `${name}Doc`, name, type: 'json' }) };
}

export default async function run(): Promise<BenchMetric[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-bench-queries-'));
  const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
  try {
    const chain = new TestChain();
    const ledger = manager.create('bench', chain.block([]));
    seed(ledger, chain);
    const cpu0 = process.cpuUsage();
    ledger.declareIndexes(NS, [index('indexOwner', ['docType', 'owner']), index('bySize', ['size'])]);
    const buildCpu = process.cpuUsage(cpu0);
    /** A first page of 10, for owner after owner. */
    const page = (query: (owner: string) => object): (() => void) => {
      let n = 0;
      return () => void ledger.newQueryExecutor().executeQueryWithPagination(NS, JSON.stringify(query(`o${n++ % 100}`)), 10, '');
    };
    const scan = (query: object): (() => void) => () => {
      for (const kv of ledger.newQueryExecutor().executeQuery(NS, JSON.stringify(query))) void kv;
    };
    const indexed = measure(page((owner) => ({ selector: { docType: 'asset', owner }, use_index: ['_design/indexOwnerDoc', 'indexOwner'] })));
    let below = 0;
    const sorted = measure(() => {
      const query = { selector: { size: { $lt: (below = (below + 104_729) % 1_000_000) } }, sort: [{ size: 'desc' }] };
      ledger.newQueryExecutor().executeQueryWithPagination(NS, JSON.stringify(query), 10, '');
    });
    let start = 0;
    const idRange = measure(() => {
      const from = `a${String((start = (start + 7919) % (DOCS - 10))).padStart(6, '0')}`;
      ledger.newQueryExecutor().executeQueryWithPagination(NS, JSON.stringify({ selector: { _id: { $gte: from } } }), 10, '');
    });
    // No declared index has these fields first, so every document of the chaincode is compared.
    const unindexed = measure(scan({ selector: { color: 'red', owner: 'o7' } }), { seconds: 3, warmupSeconds: 0.5 });
    const elemMatch = measure(scan({ selector: { tags: { $elemMatch: { $eq: 't7' } }, color: 'blue' } }), { seconds: 3, warmupSeconds: 0.5 });
    return [
      { name: 'query_indexed_page_per_s', value: round(indexed.perCpuSecond), unit: 'pages of 10/s (docType+owner through the declared index, per CPU second)' },
      { name: 'query_sorted_page_per_s', value: round(sorted.perCpuSecond), unit: 'pages of 10/s (the 10 largest below a size, down the size index, per CPU second)' },
      { name: 'query_id_range_page_per_s', value: round(idRange.perCpuSecond), unit: 'pages of 10/s (_id range, on the primary key, per CPU second)' },
      { name: 'query_scan_docs_per_s', value: Math.round(unindexed.perCpuSecond * DOCS), unit: 'documents/s (no usable index: every document compared, per CPU second)' },
      { name: 'query_elem_match_scan_docs_per_s', value: Math.round(elemMatch.perCpuSecond * DOCS), unit: 'documents/s ($elemMatch over each tags array, per CPU second)' },
      {
        name: 'index_build_docs_per_s',
        value: Math.round((2 * DOCS * 1_000_000) / (buildCpu.user + buildCpu.system)),
        unit: 'documents/s (two declared indexes built over 100k documents, per CPU second)',
      },
    ];
  } finally {
    manager.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
