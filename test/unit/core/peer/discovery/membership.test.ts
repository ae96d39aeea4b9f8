import { Envelope } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import type { SigningIdentity } from '../../../../../core/msp';
import { ConformanceMsp } from '../../../../../core/policy/conformance-msp';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { readAlive, readStateInfo } from '../../../../../core/peer/discovery/gossip-messages';
import { Membership } from '../../../../../core/peer/discovery/membership';

const INTERVAL = 1000;
const EXPIRY = 5000;

/** The parts of a channel membership reads: its id, height, MSPs and application orgs. */
function fakeChannel(id: string, msp: ConformanceMsp, orgs: readonly string[], height: () => number): Channel {
  return { id, height, resources: () => ({ deserializer: msp, config: { applicationOrgs: orgs.map((mspId) => ({ mspId })) } }) } as unknown as Channel;
}

describe('Membership (what discovery knows of the channel peers)', () => {
  const msp = new ConformanceMsp();
  let now = 1_000_000;
  let height = 5;
  const clock = (): number => now;
  const channel = fakeChannel('ch', msp, ['Org1MSP', 'Org2MSP'], () => height);
  const member = (signer: SigningIdentity, endpoint: string, chaincodes = [{ name: 'kv', version: '1' }]): Membership =>
    new Membership({ signer, endpoint: () => endpoint, intervalMs: INTERVAL, expiryMs: EXPIRY, localState: (c) => ({ ledgerHeight: c.height(), chaincodes }), now: clock });
  const org1 = member(msp.createIdentity('Org1MSP', 'peer'), 'peer0.org1:7051');
  const org2Signer = msp.createIdentity('Org2MSP', 'peer');
  const org2 = member(org2Signer, 'peer0.org2:7051');
  const relay = (from: Membership, to: Membership): (string | undefined)[] =>
    from.members(channel).map((m) => to.accept(channel, m.identity, m.alive, m.stateInfo));

  it('announces itself: endpoint, height and chaincodes, signed anew each interval or when the height changes', () => {
    const first = org1.self(channel);
    expect(readAlive(first.alive).endpoint).toBe('peer0.org1:7051');
    expect(readStateInfo(first.stateInfo)).toMatchObject({ ledgerHeight: 5, chaincodes: [{ name: 'kv', version: '1' }] });
    expect(org1.self(channel).stateInfo).toBe(first.stateInfo);
    height = 6;
    const grown = org1.self(channel);
    expect(readStateInfo(grown.stateInfo).ledgerHeight).toBe(6);
    expect(readStateInfo(grown.stateInfo).time.seqNum).toBeGreaterThan(readStateInfo(first.stateInfo).time.seqNum);
    now += INTERVAL;
    expect(readAlive(org1.self(channel).alive).time.seqNum).toBeGreaterThan(readAlive(first.alive).time.seqNum);
  });

  it('takes another peer\'s signed messages, and drops the peer when none newer comes before expiry', () => {
    expect(relay(org2, org1)).toEqual([undefined]);
    expect(org1.members(channel).map((m) => m.endpoint)).toEqual(['peer0.org1:7051', 'peer0.org2:7051']);
    // The same messages again (relayed by a third peer, say) do not keep the peer alive.
    const stale = org2.members(channel)[0];
    now += EXPIRY - 1;
    expect(org1.accept(channel, stale.identity, stale.alive, stale.stateInfo)).toBeUndefined();
    now += 2;
    expect(org1.members(channel).map((m) => m.endpoint)).toEqual(['peer0.org1:7051']);
    // Newer ones (signed at its next interval) bring it back.
    relay(org2, org1);
    expect(org1.members(channel).map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
    expect(org1.alivePeers().map((p) => p.mspId)).toEqual(['Org1MSP', 'Org2MSP']);
  });

  it('refuses messages that are not a channel peer\'s own', () => {
    const own = org2.members(channel)[0];
    const client = member(msp.createIdentity('Org2MSP', 'client'), 'client:1').members(channel)[0];
    const outsider = member(msp.createIdentity('Org3MSP', 'peer'), 'peer0.org3:7051').members(channel)[0];
    expect(org1.accept(channel, client.identity, client.alive, client.stateInfo)).toBe('not a peer of Org2MSP');
    expect(org1.accept(channel, outsider.identity, outsider.alive, outsider.stateInfo)).toBe('Org3MSP is not an application org of channel ch');
    expect(org1.accept(channel, own.identity, outsider.alive, own.stateInfo)).toBe('the alive message names another PKI-ID');
    const otherChannel = member(org2Signer, 'peer0.org2:7051').self(fakeChannel('other', msp, ['Org1MSP', 'Org2MSP'], () => 1));
    expect(org1.accept(channel, own.identity, own.alive, otherChannel.stateInfo)).toBe('the state info is not of this peer on channel ch');

    now += INTERVAL;
    const fresh = org2.members(channel)[0];
    const forged = new Envelope();
    forged.setPayload(fresh.alive.getPayload_asU8());
    forged.setSignature(msp.createIdentity('Org2MSP', 'peer').sign(fresh.alive.getPayload_asU8()));
    expect(org1.accept(channel, fresh.identity, forged, fresh.stateInfo)).toBe('the alive message signature does not verify');
    expect(org1.accept(channel, fresh.identity, undefined, fresh.stateInfo)).toBe('no alive message');
  });
});
