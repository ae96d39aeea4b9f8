/** The SQLite ledger store plugin with its state store wrapped to report how many rows each read returned. */
import type { ChannelLedgerStore, LedgerStoreProvider } from '../../core/ledger/ledger-store-provider';
import type { VersionedStateStore } from '../../core/ledger/versioned-state-store';
import { SqliteLedgerStoreProvider } from '../../plugins/ledger-sqlite';

function bound(target: object, name: string | symbol): unknown {
  const value: unknown = Reflect.get(target, name, target);
  return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
}

function counting(state: VersionedStateStore, fetched: (rows: number) => void): VersionedStateStore {
  return new Proxy(state, {
    get(target, name) {
      if (name === 'getRange') {
        return (...args: Parameters<VersionedStateStore['getRange']>) => {
          const rows = target.getRange(...args);
          fetched(rows.length);
          return rows;
        };
      }
      if (name === 'executeQuery') {
        return (...args: Parameters<VersionedStateStore['executeQuery']>) => {
          const result = target.executeQuery(...args);
          fetched(result.rows.length);
          return result;
        };
      }
      return bound(target, name);
    },
  });
}

/** A {@link SqliteLedgerStoreProvider} under `dir` whose state store calls `fetched` with the row count of every range and rich query read. */
export function countingProvider(dir: string, fetched: (rows: number) => void): LedgerStoreProvider {
  const real = new SqliteLedgerStoreProvider({ rootDir: dir });
  const wrap = (store: ChannelLedgerStore): ChannelLedgerStore => {
    const state = counting(store.state, fetched);
    return new Proxy(store, { get: (target, name) => (name === 'state' ? state : bound(target, name)) });
  };
  return new Proxy(real, { get: (target, name) => (name === 'open' ? (id: string) => wrap(target.open(id)) : bound(target, name)) });
}
