/**
 * Pins `confighistory.data` / `confighistory.metadata` to bytes built by hand from Fabric's rules
 * (`core/ledger/confighistory/mgr.go` ExportConfigHistory: each database key and value as they are,
 * in leveldb's key order, then their count; `db_helper.go` encodeCompositeKey: "s" + ns + 0x00 +
 * key + (MaxUint64 - block) big-endian; `common/ledger/snapshot/file.go`: a format byte 0x01, then
 * uvarint-length-prefixed items), independently of the writer.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configHistoryFiles, configHistoryKey, parseConfigHistoryKey, readConfigHistoryFiles } from '../../../../core/ledger/snapshot-config-history';

const b = (...parts: (number | string | Uint8Array)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? Buffer.of(p) : typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

describe('collection config history snapshot files: Fabric bytes', () => {
  // A package's bytes stand for themselves: Fabric writes the stored value as it is.
  const entries = [
    { chaincode: 'p', blockNum: 5, collections: b(0x0a, 0x01, 0x50) },
    { chaincode: 'pd', blockNum: 3, collections: b(0x0a, 0x01, 0x33) },
    { chaincode: 'pd', blockNum: 300, collections: b(0x0a, 0x02, 0x33, 0x30) },
  ];

  it('writes each key and value in key order (a chaincode newest first, "pd~" before "p~"), and the count', () => {
    const [data, meta] = configHistoryFiles(entries);
    // "slscc" 0x00 <name> "~collection" then MaxUint64 - block, 8 bytes big-endian.
    const pd300 = b('slscc', 0, 'pd~collection', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xd3);
    const pd3 = b('slscc', 0, 'pd~collection', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfc);
    const p5 = b('slscc', 0, 'p~collection', 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfa);
    expect(pd300.length).toBe(27);
    expect(data.name).toBe('confighistory.data');
    expect(Buffer.from(data.bytes).toString('hex')).toBe(
      b(1, 27, pd300, 4, 0x0a, 0x02, 0x33, 0x30, 27, pd3, 3, 0x0a, 0x01, 0x33, 26, p5, 3, 0x0a, 0x01, 0x50).toString('hex'),
    );
    expect(meta.name).toBe('confighistory.metadata');
    expect(Buffer.from(meta.bytes).toString('hex')).toBe('0103');
  });

  it('writes no file for an empty history, as Fabric', () => {
    expect(configHistoryFiles([])).toEqual([]);
  });

  it('reads back what it writes, and the keys of block 0 and of large blocks', () => {
    for (const blockNum of [0, 1, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER]) {
      expect(parseConfigHistoryKey(configHistoryKey('cc', blockNum))).toEqual({ chaincode: 'cc', blockNum });
    }
    expect(Buffer.from(configHistoryKey('cc', 0)).subarray(-8).toString('hex')).toBe('ffffffffffffffff');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-confighistory-'));
    try {
      for (const f of configHistoryFiles(entries)) fs.writeFileSync(path.join(dir, f.name), f.bytes);
      const read = readConfigHistoryFiles(dir, new Set(['confighistory.data', 'confighistory.metadata']), 300);
      expect(read.map((e) => [e.chaincode, e.blockNum, Buffer.from(e.collections).toString('hex')])).toEqual([
        ['pd', 300, '0a023330'],
        ['pd', 3, '0a0133'],
        ['p', 5, '0a0150'],
      ]);
      expect(readConfigHistoryFiles(dir, new Set(), 300)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
