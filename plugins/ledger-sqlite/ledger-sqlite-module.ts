import * as path from 'node:path';
import { ContainerModule } from '../../core/di';
import { LedgerError } from '../../core/errors';
import { LedgerManager } from '../../core/ledger/ledger-manager';
import { LedgerManagerImpl } from '../../core/ledger/ledger-manager-impl';
import { LedgerOptions } from '../../core/ledger/ledger-options';
import { LedgerStoreProvider } from '../../core/ledger/ledger-store-provider';
import { NodeConfigToken, slotOptions, type NodeConfig } from '../../core/node/config';
import { NodeLoggingToken, type NodeLogging } from '../../core/node/logger';
import { SqliteLedgerOptions } from './sqlite-ledger-options';
import { SqliteLedgerStoreProvider } from './sqlite-ledger-store-provider';

/**
 * Splits the `ledger` slot's options between the store (rootDir, synchronous, cacheSizeMiB) and
 * the core ledger limits (maxKeySize, maxValueSize, totalQueryLimit, historyEnabled); an unknown
 * key is refused by name. `rootDir` defaults to `<dataDir>/ledgers`.
 */
export function splitLedgerSlotOptions(config: NodeConfig): { store: SqliteLedgerOptions; ledger: Partial<LedgerOptions> } {
  const raw = slotOptions(config, 'ledger');
  const storeKeys = Object.keys(SqliteLedgerOptions.shape);
  const ledgerKeys = Object.keys(LedgerOptions.shape);
  const store: Record<string, unknown> = { rootDir: path.join(config.dataDir, 'ledgers') };
  const ledger: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (storeKeys.includes(k)) store[k] = k === 'rootDir' && typeof v === 'string' ? path.resolve(config.baseDir, v) : v;
    else if (ledgerKeys.includes(k)) ledger[k] = v;
    else {
      throw new LedgerError('LEDGER_BAD_OPTIONS', `plugins.ledger.options.${k} is not a ledger-sqlite option; expected one of ${[...storeKeys, ...ledgerKeys].join(', ')}`, {
        option: k,
      });
    }
  }
  return { store: store as SqliteLedgerOptions, ledger: ledger as Partial<LedgerOptions> };
}

function nodeConfig(ctx: { get<T>(id: symbol, options: { optional: true }): T | undefined }): NodeConfig {
  const config = ctx.get<NodeConfig>(NodeConfigToken, { optional: true });
  if (config === undefined) {
    throw new LedgerError('LEDGER_BAD_OPTIONS', 'ledger-sqlite needs the node config (NodeConfigToken) for its dataDir; bind it before resolving the ledger', {});
  }
  return config;
}

/** Fills the `ledger` slot: SQLite stores (a block file and a state file per channel) under the core ledger manager. */
export default new ContainerModule(({ bind }) => {
  bind(LedgerStoreProvider)
    .toDynamicValue((ctx) => new SqliteLedgerStoreProvider(splitLedgerSlotOptions(nodeConfig(ctx)).store, ctx.get<NodeLogging>(NodeLoggingToken, { optional: true })))
    .inSingletonScope();
  bind(LedgerManager)
    .toDynamicValue((ctx) => new LedgerManagerImpl(ctx.get<LedgerStoreProvider>(LedgerStoreProvider), splitLedgerSlotOptions(nodeConfig(ctx)).ledger))
    .inSingletonScope()
    .onDeactivation((m) => (m as LedgerManager).close());
});
