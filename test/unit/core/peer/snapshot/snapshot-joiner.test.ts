import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Logger } from '../../../../../core/node/logger';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { SnapshotJoiner } from '../../../../../core/peer/snapshot/snapshot-joiner';

describe('joining from a snapshot, one at a time in the background (Fabric ledgermgmt)', () => {
  let dir: string;
  const errors: unknown[] = [];
  const logger = { info: () => undefined, error: (obj: { err: unknown }) => errors.push(obj.err) } as unknown as Logger;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-snapshot-joiner-'));
    errors.length = 0;
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reports the join while it runs and refuses another ledger creation meanwhile, with Fabric’s text', async () => {
    const snapshot = path.join(dir, 'snap');
    fs.mkdirSync(snapshot);
    fs.writeFileSync(path.join(snapshot, 'f'), 'x');
    let finish!: () => void;
    const joiner = new SnapshotJoiner(
      () => new Promise<Channel>((resolve) => (finish = () => resolve({ id: 'ch', height: () => 8 } as Channel))),
      () => undefined,
      logger,
    );
    expect(joiner.status()).toEqual({ inProgress: false, bootstrappingSnapshotDir: '' });
    joiner.start(snapshot);
    expect(joiner.status()).toEqual({ inProgress: true, bootstrappingSnapshotDir: snapshot });
    expect(() => joiner.start(snapshot)).toThrow(`cannot create ledger from snapshot ${snapshot}: a ledger is being created from a snapshot at ${snapshot}. Call ledger creation again after it is done.`);
    expect(() => joiner.refuseWhileJoining()).toThrow(expect.objectContaining({ code: 'PEER_JOIN_IN_PROGRESS' }));
    finish();
    await joiner.idle();
    expect(joiner.status()).toEqual({ inProgress: false, bootstrappingSnapshotDir: '' });
    expect(() => joiner.refuseWhileJoining()).not.toThrow();
  });

  it('refuses a missing or empty directory and a failed precheck before starting; a failed import is logged', async () => {
    const joiner = new SnapshotJoiner(() => Promise.reject(new Error('bad file')), (d) => {
      if (d.endsWith('taken')) throw new Error('ledger [ch] already exists with state [ACTIVE]');
    }, logger);
    // Fabric 2.5.6's answer to `peer channel joinbysnapshot --snapshotpath /nonexistent`, as the lab saw it.
    const missing = path.join(dir, 'missing');
    expect(() => joiner.start(missing)).toThrow(`cannot create ledger from snapshot ${missing}: error opening dir [${missing}]: open ${missing}: no such file or directory`);
    const file = path.join(dir, 'a-file');
    fs.writeFileSync(file, 'x');
    expect(() => joiner.start(file)).toThrow(`cannot create ledger from snapshot ${file}: error checking if dir [${file}] is empty: readdirent ${file}: not a directory`);
    fs.rmSync(file);
    expect(() => joiner.start(dir)).toThrow(`cannot create ledger from snapshot ${dir}: snapshot dir ${dir} is empty`);
    const taken = path.join(dir, 'taken');
    fs.mkdirSync(taken);
    fs.writeFileSync(path.join(taken, 'f'), 'x');
    expect(() => joiner.start(taken)).toThrow(`cannot create ledger from snapshot ${taken}: ledger [ch] already exists with state [ACTIVE]`);
    expect(joiner.status().inProgress).toBe(false);
    const other = path.join(dir, 'other');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'f'), 'x');
    joiner.start(other);
    await joiner.idle();
    expect(errors).toEqual([new Error('bad file')]);
    expect(joiner.status().inProgress).toBe(false);
  });
});
