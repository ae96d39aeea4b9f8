import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TransientStore } from '../../../../../core/peer/privdata/transient-store';

describe('TransientStore', () => {
  let dir: string;
  const open: TransientStore[] = [];
  const onFile = (retention?: number): TransientStore => {
    const store = TransientStore.open(path.join(dir, 'transient', 'ch1.sqlite'), retention);
    open.push(store);
    return store;
  };
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-transient-'));
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['in memory', (): TransientStore => TransientStore.inMemory()],
    ['on a file', (): TransientStore => onFile()],
  ])('keeps an endorsement’s private rwset until its transaction commits (%s)', (_, make) => {
    const store = make();
    store.persist('tx1', Uint8Array.of(1), 5);
    store.persist('tx2', Uint8Array.of(2), 5);
    store.persist('tx2', Uint8Array.of(3), 5);
    store.purge(['tx1'], 6);
    expect(store.get('tx1')).toBeUndefined();
    expect(store.get('tx2')).toEqual(Uint8Array.of(3));
  });

  it.each([
    ['in memory', (): TransientStore => TransientStore.inMemory(10)],
    ['on a file', (): TransientStore => onFile(10)],
  ])('drops entries that outlive their retention in blocks (%s)', (_, make) => {
    const store = make();
    store.persist('old', Uint8Array.of(1), 50);
    store.persist('recent', Uint8Array.of(2), 60);
    store.purge([], 64);
    expect(store.get('old')).toBeUndefined();
    expect(store.get('recent')).toEqual(Uint8Array.of(2));
    expect(store.size).toBe(1);
  });

  it('on a file, survives a reopen with what was neither committed nor expired, owner-only', () => {
    const first = onFile(10);
    first.persist('committed', Uint8Array.of(1), 50);
    first.persist('old', Uint8Array.of(2), 50);
    first.persist('pending', Uint8Array.of(3, 4), 60);
    first.purge(['committed'], 61);
    first.purge([], 64);
    first.close();
    open.splice(0);
    const reopened = onFile(10);
    expect([reopened.size, reopened.get('pending'), reopened.get('committed'), reopened.get('old')]).toEqual([1, Uint8Array.of(3, 4), undefined, undefined]);
    expect(fs.statSync(path.join(dir, 'transient', 'ch1.sqlite')).mode & 0o777).toBe(0o600);
  });

  it('refuses a file that is not a transient store, saying it may be deleted', () => {
    fs.mkdirSync(path.join(dir, 'transient'));
    fs.writeFileSync(path.join(dir, 'transient', 'ch1.sqlite'), 'not a database, but long enough to have a header of sorts........................................');
    expect(() => onFile()).toThrow(expect.objectContaining({ code: 'PEER_TRANSIENT_STORE', message: expect.stringContaining('a damaged file may be deleted') }));
  });
});
