import * as path from 'node:path';
import { defaultLedgerOptions, KvLedger, type PrivateDataPolicy } from '../../../core/ledger';
import type { ChannelLedgerStore } from '../../../core/ledger/ledger-store-provider';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';

/** What the commit-hash test and its child process share: the channel, the collection policy, how a ledger is opened. */
export const CHANNEL = 'ch1';
export const CC = 'cc';
/** `short` data lives one block, so the test's blocks carry expiries; `secrets` forever. */
export const POLICY: PrivateDataPolicy = { blockToLive: (_ns, coll) => (coll === 'short' ? 1 : 0) };

/** The SQLite ledger under `dir`, with its store for the tests that look under it. */
export function openCommitHashLedger(dir: string, onStore?: (store: ChannelLedgerStore) => void): { ledger: KvLedger; store: ChannelLedgerStore } {
  const store = new SqliteLedgerStoreProvider({ rootDir: path.resolve(dir) }).open(CHANNEL);
  onStore?.(store);
  return { ledger: new KvLedger(CHANNEL, store, defaultLedgerOptions, undefined, POLICY), store };
}
