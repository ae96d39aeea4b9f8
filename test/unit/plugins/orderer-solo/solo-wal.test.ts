import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SoloWal } from '../../../../plugins/orderer-solo';

describe('SoloWal', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-solo-wal-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const record = (index: number, kind: 'normal' | 'config' = 'normal') => ({ index, kind, configSeq: 3, envelope: Buffer.from(`env-${index}`) });

  it('returns what was appended after a reopen, in order', async () => {
    const { wal } = SoloWal.open(dir, true);
    await Promise.all([wal.append(record(1)), wal.append(record(2, 'config')), wal.append(record(3))]);
    await wal.close();
    const { wal: again, records } = SoloWal.open(dir, true);
    expect(records.map((r) => [r.index, r.kind, r.configSeq, Buffer.from(r.envelope).toString()])).toEqual([
      [1, 'normal', 3, 'env-1'],
      [2, 'config', 3, 'env-2'],
      [3, 'normal', 3, 'env-3'],
    ]);
    await again.close();
  });

  it('cuts a torn or corrupt tail and keeps appending after the last good record', async () => {
    const { wal } = SoloWal.open(dir, false);
    await wal.append(record(1));
    await wal.append(record(2));
    await wal.close();
    const file = path.join(dir, 'solo.wal');
    const good = fs.statSync(file).size;
    fs.appendFileSync(file, Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 9, 9])); // a frame cut short by a crash
    const reopened = SoloWal.open(dir, false);
    expect(reopened.records.map((r) => r.index)).toEqual([1, 2]);
    expect(fs.statSync(file).size).toBe(good);
    await reopened.wal.append(record(3));
    await reopened.wal.close();
    // A flipped byte inside the last record fails its CRC: that record is dropped.
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 2] ^= 0xff;
    fs.writeFileSync(file, bytes);
    const last = SoloWal.open(dir, false);
    expect(last.records.map((r) => r.index)).toEqual([1, 2]);
    await last.wal.close();
  });

  it('empties itself only when every durable record is applied', async () => {
    const { wal } = SoloWal.open(dir, false);
    await wal.append(record(1));
    await wal.append(record(2));
    wal.requestTruncate(1); // record 2 is not in a block yet: nothing may go
    await wal.append(record(3));
    expect(wal.bytes).toBeGreaterThan(0);
    wal.requestTruncate(3);
    await wal.append(record(4)); // runs after the truncation: only record 4 remains
    await wal.close();
    const reopened = SoloWal.open(dir, false);
    await reopened.wal.close();
    expect(reopened.records.map((r) => r.index)).toEqual([4]);
  });

  it('group-commits appends that arrive within its window: they become durable together', async () => {
    const { wal } = SoloWal.open(dir, true, 1000); // a window wide enough that a loaded host still fits the next two appends in it
    const settled = new Set<number>();
    const append = (i: number) => wal.append(record(i)).then(() => settled.add(i));
    const first = append(1);
    await new Promise((r) => setTimeout(r, 5));
    const rest = [append(2), append(3)];
    await first;
    expect([...settled].sort()).toEqual([1, 2, 3]);
    await Promise.all(rest);
    await wal.close();
    const reopened = SoloWal.open(dir, true);
    expect(reopened.records.map((r) => r.index)).toEqual([1, 2, 3]);
    await reopened.wal.close();
  });

  it("discards another chain's log unread, and keeps a log from before headers with its records", async () => {
    const chain = Buffer.alloc(32, 1);
    const { wal } = SoloWal.open(dir, true, 0, chain);
    await wal.append(record(1));
    await wal.append(record(2));
    await wal.close();
    const other = SoloWal.open(dir, true, 0, Buffer.alloc(32, 2));
    expect(other.records).toEqual([]);
    expect(other.discarded).toMatch(/names chain 0101.*this chain is 0202/);
    await other.wal.append(record(7));
    await other.wal.close();
    // A log as written before headers: the same frames from byte 0.
    const file = path.join(dir, 'solo.wal');
    const headerBytes = 8 + 1 + 32;
    fs.writeFileSync(file, fs.readFileSync(file).subarray(headerBytes));
    const upgraded = SoloWal.open(dir, true, 0, Buffer.alloc(32, 2));
    expect(upgraded.discarded).toBeUndefined();
    expect(upgraded.records.map((r) => [r.index, Buffer.from(r.envelope).toString()])).toEqual([[7, 'env-7']]);
    await upgraded.wal.close();
    expect(fs.readFileSync(file).subarray(0, 8).toString()).toBe('WEFTWAL1');
    const again = SoloWal.open(dir, true, 0, Buffer.alloc(32, 2));
    expect(again.records.map((r) => r.index)).toEqual([7]);
    await again.wal.close();
  });

  it('rejects appends after close', async () => {
    const { wal } = SoloWal.open(dir, false);
    await wal.close();
    await expect(wal.append(record(1))).rejects.toThrow(/closed/);
  });
});
