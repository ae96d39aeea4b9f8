import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConformanceWorld } from '../../core/chaincode/conformance';
import type { Ledger } from '../../core/ledger/ledger';
import { LedgerManagerImpl } from '../../core/ledger/ledger-manager-impl';
import { buildRwSetEnvelope, TestChain } from '../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../plugins/ledger-sqlite';

/** A real SQLite channel ledger in a temporary folder: each commit is one block holding the transaction and its private data. */
export interface LedgerWorld extends ConformanceWorld {
  readonly ledger: Ledger;
}

/** Opens a throwaway channel ledger; `close()` deletes it. */
export function ledgerWorld(channelId = 'mychannel'): LedgerWorld {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-world-'));
  const manager = new LedgerManagerImpl(new SqliteLedgerStoreProvider({ rootDir: dir }));
  const ledger = manager.create(channelId);
  const chain = new TestChain();
  let seconds = 1_700_000_100;
  return {
    ledger,
    simulator: (txId) => ledger.newTxSimulator(txId),
    commit(simulator, rwset, txId) {
      const env = buildRwSetEnvelope({ txId, rwset, channelId, timestamp: { seconds: seconds++, nanos: 0 } });
      // As on a member peer that endorsed the transaction: its private values commit with the hashes.
      const pvt = simulator.getPrivateSimulationResults();
      const result = ledger.commit(chain.block([env]), undefined, pvt === undefined ? undefined : new Map([[0, pvt]]));
      if (result.validationCodes[0] !== 0) throw new Error(`transaction ${txId} was invalidated with code ${result.validationCodes[0]}`);
    },
    close() {
      manager.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
