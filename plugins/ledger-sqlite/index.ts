import module from './ledger-sqlite-module';

export const manifest = {
  name: 'ledger-sqlite',
  version: '0.1.0',
  slots: ['ledger'],
  description: 'SQLite block store, world state, history and JSON rich queries; one database per channel',
} as const;

export { module };
/** The shape the plugin loader looks for (`module` alone is awkward as a CommonJS export name). */
export const plugin = { manifest, module };
export { splitLedgerSlotOptions } from './ledger-sqlite-module';
export { SqliteLedgerOptions } from './sqlite-ledger-options';
export { SqliteLedgerStoreProvider } from './sqlite-ledger-store-provider';
export { SqliteChannelStore } from './sqlite-channel-store';
export { SqliteChannelBlockStore } from './sqlite-channel-block-store';
export { SqliteStateStore } from './sqlite-state-store';
export { SqliteBlockStore } from './sqlite-block-store';
export { SqliteHistoryStore } from './sqlite-history-store';
export { chooseIndex, compileRichQuery } from './mango-query';
