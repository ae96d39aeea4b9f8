import { createHash } from 'node:crypto';
import { TxIdFilter } from '../../../../plugins/ledger-sqlite/txid-filter';

const txId = (n: number): string => createHash('sha256').update(`tx ${n}`).digest('hex');

describe('TxIdFilter', () => {
  it('never misses a txid it was built from or given, also after growing past its first size', () => {
    const existing = Array.from({ length: 5_000 }, (_, i) => txId(i));
    const filter = new TxIdFilter(existing.length, existing);
    // 200k more: the first filter holds 65,536, so this adds two larger ones.
    for (let i = 5_000; i < 205_000; i++) filter.add(txId(i));
    for (let i = 0; i < 205_000; i++) if (!filter.mightContain(txId(i))) throw new Error(`lost txid #${i}`);
    for (const odd of ['', 'config-tx', 'ä-non-ascii-ü', 'x'.repeat(300)]) {
      filter.add(odd);
      expect(filter.mightContain(odd)).toBe(true);
    }
  });

  it('answers "no" for nearly every txid it was never given', () => {
    const filter = new TxIdFilter(0, []);
    for (let i = 0; i < 100_000; i++) filter.add(txId(i));
    let falsePositives = 0;
    for (let i = 1_000_000; i < 1_100_000; i++) if (filter.mightContain(txId(i))) falsePositives++;
    // ~0.8% per filter at 10 bits and 7 probes; two filters are in play here.
    expect(falsePositives / 100_000).toBeLessThan(0.03);
  });
});
