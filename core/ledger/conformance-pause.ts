/** Conformance: a channel's paused status (`LedgerStoreProvider.setPaused`), jest globals. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { makeFixture, type Fixture, type ProviderFactory } from './conformance-fixture';
import { LedgerManagerImpl } from './ledger-manager-impl';
import { TestChain } from './test-blocks';

export function pauseConformance(makeProvider: ProviderFactory): void {
  describe('paused channels', () => {
    let f: Fixture;
    beforeEach(() => {
      f = makeFixture(makeProvider);
      f.manager.create('other', new TestChain().block([]));
      f.manager.close();
    });
    afterEach(() => f.close());

    /** The plugin's pause methods; a plugin without them must offer neither. */
    function pauseOf(): { paused: (id: string) => boolean; setPaused: (id: string, paused: boolean) => void } | undefined {
      const provider = makeProvider(f.dir);
      if (provider.setPaused === undefined || provider.paused === undefined) {
        expect(provider.setPaused).toBeUndefined();
        return undefined;
      }
      return { paused: (id) => provider.paused!(id), setPaused: (id, p) => provider.setPaused!(id, p) };
    }

    it('keeps the status across providers, without hiding the channel from list() and exists()', () => {
      const p = pauseOf();
      if (p === undefined) return;
      expect(p.paused('ch1')).toBe(false);
      p.setPaused('ch1', true);
      const again = makeProvider(f.dir);
      expect(again.paused?.('ch1')).toBe(true);
      expect(again.paused?.('other')).toBe(false);
      expect(again.list()).toEqual(['ch1', 'other']);
      expect(again.exists('ch1')).toBe(true);
      // A paused store still opens (offline maintenance works on it) and keeps its status.
      again.open('ch1').close();
      expect(again.paused?.('ch1')).toBe(true);
      again.setPaused?.('ch1', false);
      expect(makeProvider(f.dir).paused?.('ch1')).toBe(false);
    });

    it('refuses an unknown channel and an open one', () => {
      const p = pauseOf();
      if (p === undefined) return;
      expect(p.paused('nope')).toBe(false);
      expect(() => p.setPaused('nope', true)).toThrow(expect.objectContaining({ code: 'LEDGER_UNKNOWN_CHANNEL' }));
      expect(makeProvider(f.dir).list()).toEqual(['ch1', 'other']);
      const provider = makeProvider(f.dir);
      const store = provider.open('ch1');
      try {
        expect(() => provider.setPaused?.('ch1', true)).toThrow(expect.objectContaining({ code: 'LEDGER_ALREADY_OPEN' }));
        expect(provider.paused?.('ch1')).toBe(false);
      } finally {
        store.close();
      }
    });

    it('names the pause when a paused channel is created again, and forgets it once removed', () => {
      const p = pauseOf();
      if (p === undefined) return;
      p.setPaused('other', true);
      const provider = makeProvider(f.dir);
      const manager = new LedgerManagerImpl(provider);
      try {
        expect(() => manager.create('other')).toThrow(expect.objectContaining({ code: 'LEDGER_CHANNEL_EXISTS', message: expect.stringContaining('paused') }));
        if (provider.remove === undefined) return;
        provider.remove('other');
        expect(provider.paused?.('other')).toBe(false);
        manager.create('other', new TestChain().block([])).close();
        expect(makeProvider(f.dir).paused?.('other')).toBe(false);
      } finally {
        manager.close();
      }
    });
  });
}
