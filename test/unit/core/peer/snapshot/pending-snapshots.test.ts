import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PendingSnapshots } from '../../../../../core/peer/snapshot/pending-snapshots';

describe('pending snapshot requests on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pending-snapshots-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('keeps each channel’s requests ascending across reopening, with nothing left but the file', () => {
    const pending = PendingSnapshots.open(dir);
    expect(pending.list('ch')).toEqual([]);
    pending.add('ch', 12);
    pending.add('ch', 5);
    pending.add('other', 7);
    expect(pending.smallest('ch')).toBe(5);
    const reopened = PendingSnapshots.open(dir);
    expect(reopened.list('ch')).toEqual([5, 12]);
    expect(reopened.list('other')).toEqual([7]);
    expect(reopened.delete('ch', 5)).toBe(true);
    expect(reopened.delete('ch', 5)).toBe(false);
    reopened.deleteChannel('other');
    expect(PendingSnapshots.open(dir).list('ch')).toEqual([12]);
    expect(PendingSnapshots.open(dir).list('other')).toEqual([]);
    expect(fs.readdirSync(dir)).toEqual(['pending.json']);
  });

  it('refuses a file it cannot read back, naming it', () => {
    fs.writeFileSync(path.join(dir, 'pending.json'), '{"ch": [1, -2]}');
    expect(() => PendingSnapshots.open(dir)).toThrow(expect.objectContaining({ code: 'PEER_BAD_SNAPSHOT_REQUESTS', message: expect.stringContaining('pending.json') as string }));
    fs.writeFileSync(path.join(dir, 'pending.json'), 'not json');
    expect(() => PendingSnapshots.open(dir)).toThrow(/is not JSON/);
  });
});
