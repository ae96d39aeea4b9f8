import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { candidatePortRange, ephemeralPortRange, findFreePorts } from '../../../../cli/services/free-ports';

describe('free ports', () => {
  it('reads the kernel ephemeral range, falling back to Linux defaults', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ports-'));
    try {
      const file = path.join(dir, 'range');
      fs.writeFileSync(file, '40000\t50000\n');
      expect(ephemeralPortRange(file)).toEqual([40000, 50000]);
      fs.writeFileSync(file, 'garbage');
      expect(ephemeralPortRange(file)).toEqual([32768, 60999]);
      expect(ephemeralPortRange(path.join(dir, 'missing'))).toEqual([32768, 60999]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('looks below the ephemeral range, or anywhere when there is too little room below it', () => {
    expect(candidatePortRange([32768, 60999], '')).toEqual([20000, 32768]);
    expect(candidatePortRange([20500, 65535], '')).toEqual([20000, 60000]);
  });

  it('takes WEFT_PORT_RANGE over both, and names it when it is malformed', () => {
    expect(candidatePortRange([32768, 60999], '41000-42000')).toEqual([41000, 42000]);
    expect(candidatePortRange([32768, 60999], ' 41000 - 42000 ')).toEqual([41000, 42000]);
    for (const bad of ['41000', '42000-41000', '80-2000', '41000-41005', 'a-b', '60000-70000']) {
      expect(() => candidatePortRange([32768, 60999], bad)).toThrow(expect.objectContaining({ code: 'BAD_PORT_RANGE', details: { field: 'WEFT_PORT_RANGE', value: bad } }));
    }
  });

  it('gives each jest worker a range of its own, so workers starting networks at once never pick the same port', () => {
    const [low, high] = candidatePortRange(undefined, process.env.WEFT_PORT_RANGE_PARENT ?? '');
    const [mine, mineEnd] = candidatePortRange();
    expect(mine).toBeGreaterThanOrEqual(low);
    expect(mineEnd).toBeLessThanOrEqual(high);
    expect(mineEnd - mine).toBeLessThan((high - low) / 2);
  });

  it('never hands out a port twice, though nothing has bound it yet', async () => {
    const range = process.env.WEFT_PORT_RANGE;
    process.env.WEFT_PORT_RANGE = '41000-41020';
    try {
      const seen = new Set<number>();
      for (let i = 0; i < 6; i++) {
        const base = await findFreePorts(2);
        expect(seen.has(base) || seen.has(base + 1)).toBe(false);
        seen.add(base).add(base + 1);
      }
      expect(Math.min(...seen)).toBeGreaterThanOrEqual(41000);
      expect(Math.max(...seen)).toBeLessThanOrEqual(41020);
    } finally {
      process.env.WEFT_PORT_RANGE = range;
    }
  });

  it('finds consecutive ports a listener can bind, outside the ephemeral range', async () => {
    const [low, high] = candidatePortRange();
    const base = await findFreePorts(4);
    expect(base).toBeGreaterThanOrEqual(low);
    expect(base + 4).toBeLessThanOrEqual(high);
    const servers = await Promise.all(
      [0, 1, 2, 3].map(
        (i) =>
          new Promise<net.Server>((resolve, reject) => {
            const s = net.createServer();
            s.once('error', reject);
            s.listen(base + i, '127.0.0.1', () => resolve(s));
          }),
      ),
    );
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  });
});
