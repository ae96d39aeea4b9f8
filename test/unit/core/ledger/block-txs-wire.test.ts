import { decodeKvRwSet, decodeTxRwSet } from '../../../../core/ledger/block-txs';
import { cat, len, varint, vint } from '../../../support/raw-protobuf';

const b = (s: string): Uint8Array => Buffer.from(s);

/** The ledger reads a rwset as protobuf-go does (Fabric's rwsetutil), so it agrees with Fabric's MVCC on every input. */
describe('read/write set decoding follows protobuf-go', () => {
  it('merges the occurrences of a read version, and keeps a present-but-empty version apart from none', () => {
    const kv = cat(
      len(1, cat(len(1, b('split')), len(2, vint(1, 5)), len(2, vint(2, 2)))),
      len(1, cat(len(1, b('zero')), len(2, new Uint8Array(0)))),
      len(1, len(1, b('absent'))),
    );
    expect(decodeKvRwSet('cc', kv).reads).toEqual([
      { key: 'split', version: { blockNum: 5, txNum: 2 } },
      { key: 'zero', version: { blockNum: 0, txNum: 0 } },
      { key: 'absent', version: undefined },
    ]);
  });

  it('merges a range query oneof into the same member and replaces it with the other', () => {
    const read = (key: string): Uint8Array => len(1, len(1, b(key)));
    const merkle = (degree: number | bigint, hash: string): Uint8Array => len(5, cat(vint(1, degree), len(3, b(hash))));
    const range = (...infos: Uint8Array[]): Uint8Array => len(2, cat(len(1, b('a')), len(2, b('z')), ...infos));
    const [rawTwice, rawThenMerkle, merkleTwice, merkleThenRaw] = decodeKvRwSet(
      'cc',
      cat(
        range(len(4, read('x')), len(4, read('y'))),
        range(len(4, read('x')), merkle(4, 'h')),
        range(merkle(4, 'h1'), merkle(2n ** 32n + 3n, 'h2')),
        range(merkle(4, 'h'), len(4, read('y'))),
      ),
    ).ranges;
    expect(rawTwice.rawReads.map((r) => r.key)).toEqual(['x', 'y']);
    expect(rawThenMerkle).toMatchObject({ rawReads: [], merkle: { maxDegree: 4 } });
    // uint32 max_degree takes the varint's low 32 bits, as protobuf-go's uint32(v).
    expect(merkleTwice.merkle).toEqual({ maxDegree: 3, maxLevel: 0, maxLevelHashes: [b('h1'), b('h2')] });
    expect(merkleThenRaw).toMatchObject({ rawReads: [{ key: 'y' }], merkle: undefined });
  });

  it('treats a field with the wrong wire type as unknown and does not check the data model', () => {
    const write = len(3, cat(len(1, b('k')), len(2, b('not a bool')), len(3, b('v')), vint(3, 9)));
    const [ns] = decodeTxRwSet(cat(vint(1, 7), len(2, cat(len(1, b('cc')), vint(2, 1), len(2, write)))));
    expect(ns.writes.map((w) => [w.key, w.isDelete, Buffer.from(w.value).toString()])).toEqual([['k', false, 'v']]);
  });

  it('keeps a leading U+FEFF in keys and namespaces, as Go does (a TextDecoder would drop it and commit another key)', () => {
    const bom = '\uFEFF';
    const kv = cat(len(1, cat(len(1, b(`${bom}r`)), len(2, vint(1, 1)))), len(3, cat(len(1, b(`${bom}k`)), len(3, b('v')))));
    const [ns] = decodeTxRwSet(cat(vint(1, 0), len(2, cat(len(1, b(`${bom}cc`)), len(2, kv)))));
    expect(ns.namespace).toBe(`${bom}cc`);
    expect(ns.reads.map((r) => r.key)).toEqual([`${bom}r`]);
    expect(ns.writes.map((w) => w.key)).toEqual([`${bom}k`]);
  });

  it('refuses what protobuf-go refuses: invalid UTF-8 in a key, a huge field number, an unclosed group', () => {
    expect(() => decodeKvRwSet('cc', len(3, len(1, new Uint8Array([0xff]))))).toThrow(/UTF-8/);
    expect(() => decodeKvRwSet('cc', len(3, vint(2 ** 29, 0)))).toThrow(/field number/);
    expect(() => decodeKvRwSet('cc', len(3, cat(varint((7 << 3) | 3))))).toThrow(/group/);
  });
});
