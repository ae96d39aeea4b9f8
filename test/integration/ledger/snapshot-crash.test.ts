/**
 * Kills a child process with SIGKILL at random points of a snapshot export and of a ledger's creation
 * from a snapshot, and checks after each kill: no half snapshot directory (absent, or complete and
 * verifying), no half ledger (no channel, or the whole one), and that a retry succeeds and leaves no
 * temp or staging files behind.
 */
import { runAndKillChild } from '../../support/kill-child';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LedgerManagerImpl } from '../../../core/ledger/ledger-manager-impl';
import { verifySnapshotFiles } from '../../../core/ledger/snapshot-metadata';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

const CHILD = path.join(__dirname, 'fixtures', 'snapshot-child.js');
const KILLS = Number(process.env.WEFT_CRASH_KILLS ?? 6);
const BLOCKS = 20;
const KEYS_PER_BLOCK = 1000;

const manager = (rootDir: string): LedgerManagerImpl => new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir }));

/** Runs the child and kills it `delayMs` after it starts its work; resolves with whether it had finished. */
async function runAndKill(mode: 'export' | 'import', rootDir: string, snapshotDir: string, delayMs: number): Promise<boolean> {
  return (await runAndKillChild(CHILD, [mode, rootDir, snapshotDir], 'started', () => delayMs)).includes('finished');
}

describe('snapshot export and import killed part way', () => {
  let work: string;
  let source: string;
  let snapshot: string;
  let stateSize: number;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-snapcrash-'));
    source = path.join(work, 'source');
    const m = manager(source);
    const ledger = m.create('snapch');
    const chain = new TestChain();
    for (let b = 0; b < BLOCKS; b++) {
      const sim = ledger.newTxSimulator(`tx${b}`);
      for (let k = 0; k < KEYS_PER_BLOCK; k++) sim.setState('cc', `key-${b}-${k}`, Buffer.from(`value ${b} ${k} `.repeat(8)));
      ledger.commit(chain.block([buildRwSetEnvelope({ txId: `tx${b}`, rwset: sim.getTxSimulationResults(), channelId: 'snapch' })]));
      sim.done();
    }
    snapshot = path.join(work, 'snapshot');
    await ledger.exportSnapshot(snapshot).done;
    stateSize = BLOCKS * KEYS_PER_BLOCK;
    m.close();
  }, 120_000);

  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('leaves no half snapshot directory, and the next export succeeds', async () => {
    let cut = 0;
    for (let i = 0; i < KILLS; i++) {
      const target = path.join(work, `export-${i}`);
      // Spread over the export (about 300 ms here, thread start included): early kills land in it, late ones after.
      const finished = await runAndKill('export', source, target, Math.floor((i * 400) / KILLS));
      if (!finished) cut++;
      if (fs.existsSync(target)) await verifySnapshotFiles(target);
      else expect(finished).toBe(false);
      const m = manager(source);
      try {
        const again = path.join(work, `export-${i}`);
        if (!fs.existsSync(again)) await m.open('snapch').exportSnapshot(again).done;
        expect((await verifySnapshotFiles(again)).lastBlockNumber).toBe(BLOCKS - 1);
      } finally {
        m.close();
      }
      expect(fs.readdirSync(work).filter((n) => n.includes('partial'))).toEqual([]);
    }
    expect(cut).toBeGreaterThan(0);
  }, 300_000);

  it('leaves no half ledger, and the next import succeeds', async () => {
    let cut = 0;
    for (let i = 0; i < KILLS; i++) {
      const root = path.join(work, `import-${i}`);
      const finished = await runAndKill('import', root, snapshot, Math.floor((i * 500) / KILLS));
      if (!finished) cut++;
      const m = manager(root);
      try {
        const channels = m.list();
        if (finished) expect(channels).toEqual(['snapch']);
        const ledger = channels.length === 0 ? await m.createFromSnapshot(snapshot) : m.open('snapch');
        expect(ledger.height()).toBe(BLOCKS);
        const q = ledger.newQueryExecutor();
        expect([...q.getStateRange('cc', '', '')].length).toBe(stateSize);
        q.done();
        expect(fs.readdirSync(root).sort()).toEqual(['snapch.sqlite', 'snapch_state.sqlite'].concat(fs.readdirSync(root).filter((n) => n.endsWith('-wal') || n.endsWith('-shm'))).sort());
      } finally {
        m.close();
      }
    }
    expect(cut).toBeGreaterThan(0);
  }, 300_000);
});
