import { TransientStore } from '../../../../../core/peer/privdata/transient-store';

describe('TransientStore', () => {
  it('keeps an endorsement’s private rwset until its transaction commits', () => {
    const store = new TransientStore();
    store.persist('tx1', Uint8Array.of(1), 5);
    store.persist('tx2', Uint8Array.of(2), 5);
    store.purge(['tx1'], 6);
    expect(store.get('tx1')).toBeUndefined();
    expect(store.get('tx2')).toEqual(Uint8Array.of(2));
  });

  it('drops entries that outlive their retention in blocks', () => {
    const store = new TransientStore(10);
    store.persist('old', Uint8Array.of(1), 50);
    store.persist('recent', Uint8Array.of(2), 60);
    store.purge([], 64);
    expect(store.get('old')).toBeUndefined();
    expect(store.get('recent')).toEqual(Uint8Array.of(2));
    expect(store.size).toBe(1);
  });
});
