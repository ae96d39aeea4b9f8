import type { Channel } from '../../../../../core/peer/channel/channel';
import { announcedAddressProblem, announcedState } from '../../../../../core/peer/discovery/peer-discovery';

describe('the address a peer announces to discovery', () => {
  it('is a problem only when the peer listens on every interface and names no external address', () => {
    expect(announcedAddressProblem(undefined, '0.0.0.0:7051')).toMatch(/^peer.listenAddress 0.0.0.0:7051 listens on every interface .* set peer.externalAddress$/);
    expect(announcedAddressProblem(undefined, '[::]:7051')).toBeDefined();
    expect(announcedAddressProblem(undefined, ':7051')).toBeDefined();
    expect(announcedAddressProblem('peer0.org1.example.com:7051', '0.0.0.0:7051')).toBeUndefined();
    expect(announcedAddressProblem(undefined, '127.0.0.1:7051')).toBeUndefined();
    expect(announcedAddressProblem(undefined, 'peer0.org1.example.com:7051')).toBeUndefined();
  });
});

describe('what a peer announces on a channel', () => {
  it('reads the lifecycle state again only when the height or the installed packages change, not every interval', () => {
    let reads = 0;
    let height = 7;
    const ledger = {
      newQueryExecutor: () => {
        reads++;
        return { getStateRange: () => [], getState: () => undefined, getPrivateData: () => undefined, getPrivateDataHash: () => undefined, done: () => undefined };
      },
    };
    const channel = { id: 'ch', height: () => height, ledger } as unknown as Channel;
    const installed = [{ packageId: 'kv_1:aa', label: 'kv_1' }];
    const state = announcedState({ list: () => installed }, 'Org1MSP');
    for (let round = 0; round < 10; round++) expect(state(channel)).toEqual({ ledgerHeight: 7, chaincodes: [{ name: '_lifecycle', version: '1' }] });
    expect(reads).toBe(1);
    height = 8;
    expect(state(channel).ledgerHeight).toBe(8);
    expect(reads).toBe(2);
    installed.push({ packageId: 'kv_2:bb', label: 'kv_2' });
    state(channel);
    expect(reads).toBe(3);
  });
});
