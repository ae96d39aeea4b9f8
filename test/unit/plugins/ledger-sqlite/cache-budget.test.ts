import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import { Container } from '../../../../core/di';
import { LedgerStoreProvider } from '../../../../core/ledger/ledger-store-provider';
import { NodeConfigToken, parseNodeConfig } from '../../../../core/node/config';
import { NodeLogging, NodeLoggingToken } from '../../../../core/node/logger';
import { module, SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';
import type { SqliteChannelBlockStore, SqliteChannelStore } from '../../../../plugins/ledger-sqlite';
import { CACHE_FLOOR_MIB, divideCacheBudget } from '../../../../plugins/ledger-sqlite/sqlite-cache-budget';

const MiB = 1024 * 1024;
/** Small sizes, so that a few channels already need a division (with the 8 MiB floor). */
const SMALL = { cacheSizeMiB: 64, blockCacheSizeMiB: 16 };

function errorOf(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code: string };
  }
  return {};
}

describe('ledger-sqlite cache budget', () => {
  let dir: string;
  let warnings: Record<string, unknown>[];
  let logging: NodeLogging;
  const stores: (SqliteChannelStore | SqliteChannelBlockStore)[] = [];

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-cache-budget-'));
    warnings = [];
    const capture = { write: (line: string): void => void warnings.push(JSON.parse(line) as Record<string, unknown>) };
    logging = new NodeLogging('warn', {}, pino({ level: 'trace' }, capture));
  });
  afterEach(() => {
    for (const s of stores.splice(0)) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function provider(options: Record<string, unknown>): SqliteLedgerStoreProvider {
    return new SqliteLedgerStoreProvider({ rootDir: dir, ...options }, logging);
  }
  function openChannels(p: SqliteLedgerStoreProvider, n: number, from = 0): SqliteChannelStore[] {
    const opened = Array.from({ length: n }, (_, i) => p.open(`ch${from + i}`));
    stores.push(...opened);
    return opened;
  }
  /** Each open connection's `cache_size` read back from SQLite, MiB, keyed `<channel>/<db>`. */
  function limitsMiB(p: SqliteLedgerStoreProvider): Record<string, number> {
    return Object.fromEntries(p.cacheLimits().map((l) => [`${l.channelId}/${l.db}`, l.bytes / MiB]));
  }
  function uniform(channels: number[], blocks: number, state: number): Record<string, number> {
    return Object.fromEntries(channels.flatMap((i) => [[`ch${i}/blocks`, blocks], [`ch${i}/state`, state]]));
  }
  const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const totalMiB = (p: SqliteLedgerStoreProvider): number => p.cacheLimits().reduce((sum, l) => sum + l.bytes, 0) / MiB;

  it('divides a budget over 1, 3 and 8 channels: blocks keep theirs while the states can have the floor, then shrink', () => {
    const p = provider({ ...SMALL, cacheBudgetMiB: 168 });
    openChannels(p, 1);
    // 80 MiB fits: the configured sizes.
    expect(limitsMiB(p)).toEqual(uniform([0], 16, 64));
    openChannels(p, 2, 1);
    // 3 × 16 for blocks, the other 120 MiB shared by the states.
    expect(limitsMiB(p)).toEqual(uniform(range(3), 16, 40));
    openChannels(p, 5, 3);
    // States at the floor (64), blocks share the other 104.
    expect(limitsMiB(p)).toEqual(uniform(range(8), 13, CACHE_FLOOR_MIB));
    expect(totalMiB(p)).toBe(168);
    expect(warnings).toEqual([]);
  });

  it('gives a closed channel’s share back to the others', () => {
    const p = provider({ ...SMALL, cacheBudgetMiB: 168 });
    const opened = openChannels(p, 8);
    for (const s of opened.slice(3)) s.close();
    expect(limitsMiB(p)).toEqual(uniform(range(3), 16, 40));
    opened[1]!.close();
    opened[2]!.close();
    expect(limitsMiB(p)).toEqual(uniform([0], 16, 64));
    // Closed again: nothing left to divide, and nothing changes.
    opened[1]!.close();
    expect(limitsMiB(p)).toEqual(uniform([0], 16, 64));
  });

  it('with budget 0 every connection keeps its configured size', () => {
    const p = provider({ ...SMALL, cacheBudgetMiB: 0 });
    openChannels(p, 8);
    expect(limitsMiB(p)).toEqual(uniform(range(8), 16, 64));
    expect(totalMiB(p)).toBe(8 * 80);
  });

  it('by default (512 MiB) leaves one channel today’s 256 + 32 MiB, and caps four', () => {
    const p = provider({});
    expect(p.cacheBudgetBytes).toBe(512 * MiB);
    openChannels(p, 1);
    expect(limitsMiB(p)).toEqual(uniform([0], 32, 256));
    openChannels(p, 3, 1);
    expect(limitsMiB(p)).toEqual(uniform(range(4), 32, 96));
  });

  it('a budget below cacheSizeMiB caps a single channel’s state cache', () => {
    const p = provider({ cacheBudgetMiB: 100 });
    openChannels(p, 1);
    expect(limitsMiB(p)).toEqual(uniform([0], 32, 68));
  });

  it('counts an orderer’s block-only ledgers', () => {
    const p = provider({ ...SMALL, cacheBudgetMiB: 36 });
    stores.push(p.openBlocks('ch0'));
    expect(limitsMiB(p)).toEqual({ 'ch0/blocks': 16 });
    stores.push(p.openBlocks('ch1'), p.openBlocks('ch2'));
    expect(limitsMiB(p)).toEqual({ 'ch0/blocks': 12, 'ch1/blocks': 12, 'ch2/blocks': 12 });
  });

  it('exceeds the budget at the floor rather than starve a ledger, and warns once while it does', () => {
    const p = provider({ ...SMALL, cacheBudgetMiB: 40 });
    const opened = openChannels(p, 3);
    expect(limitsMiB(p)).toEqual(uniform(range(3), CACHE_FLOOR_MIB, CACHE_FLOOR_MIB));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 40,
      component: 'kvledger',
      cacheBudgetMiB: 40,
      totalMiB: 48,
      floorMiB: CACHE_FLOOR_MIB,
      channels: 3,
      caches: range(3).flatMap((i) => [
        { channel: `ch${i}`, db: 'blocks', cacheMiB: 8 },
        { channel: `ch${i}`, db: 'state', cacheMiB: 8 },
      ]),
    });
    expect(warnings[0]!.msg).toContain('cacheBudgetMiB 40');

    // Still over: no second warning for each channel opened.
    openChannels(p, 1, 3);
    expect(warnings).toHaveLength(1);
    // Back within the budget (one channel: 16 + 24), then over it again: a new warning.
    opened[0]!.close();
    opened[1]!.close();
    stores.pop()!.close();
    expect(limitsMiB(p)).toEqual(uniform([2], 16, 24));
    stores.push(p.open('ch0'));
    // Two channels: 32 MiB of floors, the blocks take the other 8.
    expect(limitsMiB(p)).toEqual(uniform([0, 2], 12, CACHE_FLOOR_MIB));
    expect(warnings).toHaveLength(1);
    stores.push(p.open('ch1'));
    expect(warnings).toHaveLength(2);
    expect(warnings[1]).toMatchObject({ channels: 3, totalMiB: 48 });
  });

  it('takes cacheBudgetMiB from a node config’s ledger slot', async () => {
    const options = { cacheBudgetMiB: 100, blockCacheSizeMiB: 16 };
    const config = parseNodeConfig({ id: 'peer0', kind: 'peer', dataDir: dir, msp: { id: 'Org1MSP', dir: 'msp' }, plugins: { ledger: { plugin: 'ledger-sqlite', options } } }, dir);
    const container = new Container();
    container.bind(NodeConfigToken).toConstantValue(config);
    await container.load(module);
    const p = container.get<SqliteLedgerStoreProvider>(LedgerStoreProvider);
    expect(p.cacheBudgetBytes).toBe(100 * MiB);
    stores.push(p.open('ch0'));
    // 16 MiB of floors, the block cache +8, the state the other 76.
    expect(limitsMiB(p)).toEqual(uniform([0], 16, 84));
  });

  it('warns through the node’s logging when the module builds the provider', async () => {
    const options = { cacheBudgetMiB: 8 };
    const config = parseNodeConfig({ id: 'peer0', kind: 'peer', dataDir: dir, msp: { id: 'Org1MSP', dir: 'msp' }, plugins: { ledger: { plugin: 'ledger-sqlite', options } } }, dir);
    const container = new Container();
    container.bind(NodeConfigToken).toConstantValue(config);
    container.bind(NodeLoggingToken).toConstantValue(logging);
    await container.load(module);
    stores.push(container.get<SqliteLedgerStoreProvider>(LedgerStoreProvider).open('ch0'));
    expect(warnings).toMatchObject([{ component: 'kvledger', cacheBudgetMiB: 8, channels: 1, totalMiB: 16 }]);
  });

  it.each([
    [-1, 'must be 0 (no budget) or more MiB'],
    [1.5, 'must be a whole number of MiB'],
    ['512', 'expected number'],
  ])('refuses cacheBudgetMiB %p by name with LEDGER_BAD_OPTIONS', (value, message) => {
    const err = errorOf(() => new SqliteLedgerStoreProvider({ rootDir: dir, cacheBudgetMiB: value as number }));
    expect(err).toMatchObject({ code: 'LEDGER_BAD_OPTIONS' });
    expect(err.message).toContain('cacheBudgetMiB: ');
    expect(err.message).toContain(message);
  });
});

describe('divideCacheBudget', () => {
  const f = CACHE_FLOOR_MIB * 1024;
  it('meets small wants whole and shares the rest evenly among the larger ones', () => {
    // Two states of unequal wants: the 10 MiB one is met, the other takes the rest.
    expect(divideCacheBudget(100 * 1024, [{ db: 'blocks', kiB: 20 * 1024 }, { db: 'state', kiB: 10 * 1024 }, { db: 'state', kiB: 256 * 1024 }])).toEqual([20 * 1024, 10 * 1024, 70 * 1024]);
  });
  it('never gives a connection more than it wants, nor less than the floor unless it wants less', () => {
    expect(divideCacheBudget(1024 * 1024, [{ db: 'blocks', kiB: 4 * 1024 }, { db: 'state', kiB: 64 * 1024 }])).toEqual([4 * 1024, 64 * 1024]);
    expect(divideCacheBudget(1, [{ db: 'blocks', kiB: 4 * 1024 }, { db: 'state', kiB: 64 * 1024 }])).toEqual([4 * 1024, f]);
  });
});
