import { announcedAddressProblem } from '../../../../../core/peer/discovery/peer-discovery';

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
