import { ledgerConformance } from '../../../../core/ledger/conformance';
import { dumpState } from '../../../../core/ledger/conformance-blocks';
import { makeFixture, utf8 } from '../../../../core/ledger/conformance-fixture';
import type { ChannelLedgerStore, LedgerStoreProvider } from '../../../../core/ledger/ledger-store-provider';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

ledgerConformance('ledger-sqlite', (dir) => new SqliteLedgerStoreProvider({ rootDir: dir }));

/** The stock store, as a plugin would be that cannot delete blocks (no `truncateBlocks`). */
function withoutTruncate(dir: string): LedgerStoreProvider {
  const provider = new SqliteLedgerStoreProvider({ rootDir: dir });
  const hide = (store: ChannelLedgerStore): ChannelLedgerStore =>
    new Proxy(store, {
      get(target, key) {
        if (key === 'truncateBlocks') return undefined;
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  return new Proxy(provider, {
    get(target, key) {
      if (key === 'open') return (id: string) => hide(target.open(id));
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

describe('rollback on a ledger plugin that cannot delete blocks', () => {
  it('is refused with LEDGER_ROLLBACK_UNSUPPORTED and changes nothing', () => {
    const f = makeFixture(withoutTruncate);
    try {
      for (let i = 0; i < 3; i++) f.commit([f.tx(`t${i}`, (s) => s.setState('cc', `k${i}`, utf8('v')))]);
      const [height, state] = [f.ledger.height(), dumpState(f)];
      expect(() => f.ledger.rollback(height - 2)).toThrow(expect.objectContaining({ code: 'LEDGER_ROLLBACK_UNSUPPORTED' }));
      expect(f.ledger.height()).toBe(height);
      expect(dumpState(f)).toEqual(state);
      expect(f.ledger.getTransactionById('t2')?.blockNum).toBe(height - 1);
    } finally {
      f.close();
    }
  });
});
