import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type CollectionPvtRwSet, decodeTxPvtRwSet, encodeTxPvtRwSet } from '../../../../../core/ledger/private-data';
import { MAX_VERSIONS_PER_COLLECTION, TransientStore } from '../../../../../core/peer/privdata/transient-store';
import { transientSender } from '../../../../../core/peer/privdata/transient-senders';

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

  it('purges at least every retention when that is under 64 blocks, as Fabric purges every retention', () => {
    const store = TransientStore.inMemory(10);
    store.persist('old', Uint8Array.of(1), 50);
    store.persist('recent', Uint8Array.of(2), 61);
    store.purge([], 70);
    expect([store.get('old'), store.get('recent')]).toEqual([undefined, Uint8Array.of(2)]);
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

describe('TransientStore versions of a collection', () => {
  const version = (collection: string, rwset: string): CollectionPvtRwSet => ({ namespace: 'cc', collection, rwset: Buffer.from(rwset) });
  const held = (store: TransientStore, txId: string): string[] =>
    decodeTxPvtRwSet(store.get(txId) ?? new Uint8Array(0)).map((c) => `${c.collection}=${Buffer.from(c.rwset).toString()}`);

  it('keeps every version pushed behind those held, and this peer’s own endorsement ahead of them', () => {
    const store = TransientStore.inMemory();
    expect(store.add('tx1', [version('a', 'forged')], 5)).toBe(1);
    expect(store.add('tx1', [version('a', 'pushed'), version('a', 'forged'), version('b', 'other')], 5)).toBe(2);
    store.persist('tx1', encodeTxPvtRwSet([version('a', 'own')]), 6);
    expect(held(store, 'tx1')).toEqual(['a=own', 'a=forged', 'a=pushed', 'b=other']);
  });

  it('holds a collection to a bounded number of versions, whatever a peer pushes', () => {
    const store = TransientStore.inMemory();
    for (let i = 0; i < 3 * MAX_VERSIONS_PER_COLLECTION; i++) store.add('tx1', [version('a', `v${i}`)], 5);
    expect(held(store, 'tx1')).toHaveLength(MAX_VERSIONS_PER_COLLECTION);
    expect(store.add('tx1', [version('a', 'late')], 5)).toBe(0);
  });
});

describe('TransientStore bound in bytes', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-transient-bound-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const push = (rwset: string): CollectionPvtRwSet[] => [{ namespace: 'cc', collection: 'a', rwset: Buffer.alloc(100, rwset) }];
  const own = (rwset: string): Uint8Array => encodeTxPvtRwSet(push(rwset));

  it('evicts the oldest pushed entries to stay within its bound, then the oldest endorsements for a new one; a push never evicts an endorsement', () => {
    const file = path.join(dir, 'ch1.sqlite');
    const store = TransientStore.open(file, 20_000, 370);
    store.persist('endorsed', own('e'), 5);
    store.add('pushed1', push('1'), 5);
    store.add('pushed2', push('2'), 5);
    store.add('pushed3', push('3'), 6);
    expect([store.get('endorsed'), store.get('pushed1'), store.get('pushed2'), store.get('pushed3')].map((b) => b !== undefined)).toEqual([true, false, true, true]);
    // An endorsement is kept at the cost of every pushed entry first.
    store.persist('endorsed2', own('f'), 6);
    store.persist('endorsed3', own('g'), 6);
    expect(store.size).toBe(3);
    expect(() => store.add('pushed4', push('4'), 6)).toThrow(expect.objectContaining({ code: 'PEER_TRANSIENT_STORE_FULL', message: expect.stringContaining('would pass its bound of 370') }));
    // Endorsements never submitted must not stop the peer endorsing: the oldest goes (a commit pulls it).
    store.persist('endorsed4', own('h'), 6);
    expect(['endorsed', 'endorsed2', 'endorsed3', 'endorsed4'].map((t) => store.get(t) !== undefined)).toEqual([false, true, true, true]);
    // Only an entry larger than the whole bound is refused.
    const huge = encodeTxPvtRwSet([{ namespace: 'cc', collection: 'a', rwset: Buffer.alloc(400, 'x') }]);
    expect(() => store.persist('endorsed5', huge, 6)).toThrow(expect.objectContaining({ code: 'PEER_TRANSIENT_STORE_FULL' }));
    expect(store.get('endorsed5')).toBeUndefined();
    expect(store.size).toBe(3);
    store.close();

    // Reopened, which entries are pushed is still known.
    const reopened = TransientStore.open(file, 20_000, 250);
    try {
      expect(reopened.size).toBe(3);
      expect(() => reopened.add('pushed5', push('5'), 7)).toThrow(expect.objectContaining({ code: 'PEER_TRANSIENT_STORE_FULL' }));
    } finally {
      reopened.close();
    }
  });

  it('opens a store written before pushed entries were told apart, counting them as endorsed', () => {
    const file = path.join(dir, 'old.sqlite');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
    const old = new Sqlite(file);
    old.exec('CREATE TABLE transient (txid TEXT PRIMARY KEY, height INTEGER NOT NULL, pvt BLOB NOT NULL) WITHOUT ROWID');
    old.prepare('INSERT INTO transient VALUES (?, ?, ?)').run('legacy', 3, Buffer.from(own('l')));
    old.close();
    const store = TransientStore.open(file, 20_000, 150);
    try {
      expect(store.get('legacy')).toEqual(own('l'));
      expect(() => store.add('pushed', push('p'), 4)).toThrow(expect.objectContaining({ code: 'PEER_TRANSIENT_STORE_FULL' }));
    } finally {
      store.close();
    }
  });
});

describe('TransientStore fairness between senders', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-transient-fair-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  const collections = (fill: string): CollectionPvtRwSet[] => [{ namespace: 'cc', collection: 'a', rwset: Buffer.alloc(100, fill) }];
  const own = (fill: string): Uint8Array => encodeTxPvtRwSet(collections(fill));
  /** What one entry of these tests counts for: its rwset and a txid of 2 characters. */
  const ENTRY = own('x').byteLength + 2;
  const held = (store: TransientStore, txIds: string[]): string[] => txIds.filter((t) => store.get(t) !== undefined);
  const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it('evicts the oldest endorsements of the client holding the most, so a flood evicts only its own; the attribution survives a reopen', () => {
    const file = path.join(dir, 'ch1.sqlite');
    const store = TransientStore.open(file, 20_000, 10 * ENTRY);
    // B endorsed first: under a globally-oldest eviction its entries would be the first to go (by height, after a reopen).
    for (const t of names('b', 3)) store.persist(t, own('b'), 4, 'Org2MSP:b');
    for (const t of names('a', 10)) store.persist(t, own('a'), 5, 'Org1MSP:a');
    expect(held(store, names('b', 3))).toEqual(names('b', 3));
    expect(held(store, names('a', 10))).toEqual(names('a', 10).slice(3));
    store.close();

    const reopened = TransientStore.open(file, 20_000, 10 * ENTRY);
    try {
      for (const t of names('c', 5)) reopened.persist(t, own('a'), 6, 'Org1MSP:a');
      expect(held(reopened, names('b', 3))).toEqual(names('b', 3));
      expect(held(reopened, [...names('a', 10), ...names('c', 5)])).toEqual([...names('a', 10).slice(8), ...names('c', 5)]);
    } finally {
      reopened.close();
    }
  });

  it('attributes an entry to the MSP and the identity id (a hash of the certificate), not to the certificate itself', () => {
    const sender = transientSender({ mspId: 'Org1MSP', id: '6e0f6639ffdfbf404eb942ad2e391653a3fee700410633e765983e1e1b337ed8' });
    expect(sender).toBe('Org1MSP:6e0f6639ffdfbf404eb942ad2e391653a3fee700410633e765983e1e1b337ed8');
  });

  it('evicts the pushes of the peer pushing the most, never an endorsement', () => {
    const store = TransientStore.inMemory(20_000, 10 * ENTRY);
    for (const t of names('e', 4)) store.persist(t, own('e'), 5, 'Org1MSP:client');
    for (const t of names('q', 2)) store.add(t, collections('q'), 5, 'Org2MSP:honest-peer');
    for (const t of names('p', 10)) store.add(t, collections('p'), 5, 'Org3MSP:junk-peer');
    expect(held(store, [...names('e', 4), ...names('q', 2)])).toEqual([...names('e', 4), ...names('q', 2)]);
    expect(held(store, names('p', 10))).toEqual(names('p', 10).slice(6));
  });

  it('holds each sender to its quota by evicting its own oldest entries; one entry larger than the quota is kept alone', () => {
    const store = TransientStore.inMemory(20_000, 100 * ENTRY);
    store.configure({ maxBytesPerSender: 3 * ENTRY });
    store.persist('b0', own('b'), 5, 'B');
    for (const t of names('a', 5)) store.persist(t, own('a'), 5, 'A');
    expect(held(store, ['b0', ...names('a', 5)])).toEqual(['b0', 'a2', 'a3', 'a4']);
    const large = encodeTxPvtRwSet([{ namespace: 'cc', collection: 'a', rwset: Buffer.alloc(5 * ENTRY, 'l') }]);
    store.persist('aL', large, 5, 'A');
    expect(held(store, ['b0', ...names('a', 5), 'aL'])).toEqual(['b0', 'aL']);
    // Versions pushed onto a client's endorsement count toward the client, but a push evicts no endorsement.
    store.persist('b1', own('b'), 5, 'B');
    store.persist('b2', own('b'), 5, 'B');
    store.add('b2', [{ namespace: 'cc', collection: 'a', rwset: Buffer.alloc(100, 'v') }], 5, 'peer');
    expect(held(store, ['b0', 'b1', 'b2'])).toEqual(['b0', 'b1', 'b2']);
  });

  it('reports the bytes held and the entries evicted by kind of sender', () => {
    const seen = { endorsed: 0, pushed: 0, evictedEndorsed: 0, evictedPushed: 0 };
    const store = TransientStore.inMemory(20_000, 4 * ENTRY);
    store.configure({
      metrics: {
        held: (kind, bytes) => (seen[kind] = bytes),
        evicted: (kind, n) => (kind === 'pushed' ? (seen.evictedPushed += n) : (seen.evictedEndorsed += n)),
      },
    });
    store.persist('e0', own('e'), 5, 'A');
    store.add('p0', collections('p'), 5, 'P');
    expect(seen).toEqual({ endorsed: ENTRY, pushed: ENTRY, evictedEndorsed: 0, evictedPushed: 0 });
    for (const t of names('e', 4).slice(1)) store.persist(t, own('e'), 5, 'A');
    store.persist('f0', own('f'), 5, 'B');
    expect(seen).toEqual({ endorsed: 4 * ENTRY, pushed: 0, evictedEndorsed: 1, evictedPushed: 1 });
    store.purge(['e1', 'e2'], 6);
    expect(seen.endorsed).toBe(2 * ENTRY);
  });

  it('opens a store written before entries were attributed, counting them toward no one sender', () => {
    const file = path.join(dir, 'unattributed.sqlite');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
    const old = new Sqlite(file);
    old.exec('CREATE TABLE transient (txid TEXT PRIMARY KEY, height INTEGER NOT NULL, pvt BLOB NOT NULL, pushed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID');
    old.prepare('INSERT INTO transient VALUES (?, ?, ?, 0)').run('l0', 3, Buffer.from(own('l')));
    old.close();
    const store = TransientStore.open(file, 20_000, 4 * ENTRY);
    try {
      expect(store.get('l0')).toEqual(own('l'));
      // The oldest entry, but a client now holding more than it evicts its own.
      for (const t of names('n', 4)) store.persist(t, own('n'), 4, 'New');
      expect(held(store, ['l0', ...names('n', 4)])).toEqual(['l0', 'n1', 'n2', 'n3']);
    } finally {
      store.close();
    }
  });
});
