import { Envelope } from '@hyperledger/fabric-protos/lib/gossip/message_pb';
import type { SigningIdentity } from '../../../../../core/msp';
import { ConformanceMsp } from '../../../../../core/policy/conformance-msp';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { readAlive, readStateInfo } from '../../../../../core/peer/discovery/gossip-messages';
import { Membership } from '../../../../../core/peer/discovery/membership';

const INTERVAL = 1000;
/** The MSP manager's gossip check; identities in `notWellFormed` fail it. */
const notWellFormed = new Set<string>();
const wellFormed = {
  isWellFormed: (serialized: Uint8Array): void => {
    if (notWellFormed.has(Buffer.from(serialized).toString('hex'))) throw new Error('the identity is not well formed');
  },
};
const EXPIRY = 5000;

/** The parts of a channel membership reads: its id, height, MSPs and application orgs. */
function fakeChannel(id: string, msp: ConformanceMsp, orgs: readonly string[], height: () => number): Channel {
  return { id, height, resources: () => ({ deserializer: msp, msps: wellFormed, config: { applicationOrgs: orgs.map((mspId) => ({ mspId })) } }) } as unknown as Channel;
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
    // Gossip's IsWellFormed: one certificate cannot stand for several members.
    const odd = member(msp.createIdentity('Org2MSP', 'peer'), 'peer9.org2:7051').self(channel);
    notWellFormed.add(Buffer.from(odd.identity).toString('hex'));
    expect(org1.accept(channel, odd.identity, odd.alive, odd.stateInfo)).toBe('not a valid identity on channel ch: the identity is not well formed');
    notWellFormed.clear();
  });

  it('keeps an expired peer out: its last messages relayed again are refused until it signs newer ones', () => {
    const org3 = member(msp.createIdentity('Org1MSP', 'peer'), 'peer1.org1:7051');
    const last = org3.self(channel);
    expect(org1.accept(channel, last.identity, last.alive, last.stateInfo)).toBeUndefined();
    now += EXPIRY + 1;
    expect(org1.others(channel).map((m) => m.endpoint)).not.toContain('peer1.org1:7051');
    // A peer one round behind (or one that kept them) passes the same messages on: Fabric's gossip keeps the peer dead.
    expect(org1.accept(channel, last.identity, last.alive, last.stateInfo)).toBe('an old alive message of a peer that expired');
    expect(org1.others(channel).map((m) => m.endpoint)).not.toContain('peer1.org1:7051');
    const back = org3.self(channel);
    expect(org1.accept(channel, back.identity, back.alive, back.stateInfo)).toBeUndefined();
    expect(org1.others(channel).map((m) => m.endpoint)).toContain('peer1.org1:7051');
  });

  it('passes on only the members whose messages were renewed lately', () => {
    const quiet = member(msp.createIdentity('Org2MSP', 'peer'), 'peer1.org2:7051');
    const q = quiet.self(channel);
    org1.accept(channel, q.identity, q.alive, q.stateInfo);
    expect(org1.relayable(channel).map((m) => m.endpoint)).toContain('peer1.org2:7051');
    now += 3 * INTERVAL + 1;
    // Still a member (not expired), but a dead peer's last messages are not handed on.
    expect(org1.others(channel).map((m) => m.endpoint)).toContain('peer1.org2:7051');
    const relayed = org1.relayable(channel).map((m) => m.endpoint);
    expect(relayed[0]).toBe('peer0.org1:7051');
    expect(relayed).not.toContain('peer1.org2:7051');
  });

  it('refuses an announced endpoint that is not host:port (every peer would dial it)', () => {
    for (const endpoint of ['dns://x/y:7051', 'peer0 org2:7051', 'peer0.org2', 'peer0.org2:99999', 'http://peer0.org2:7051']) {
      const odd = member(msp.createIdentity('Org2MSP', 'peer'), endpoint).self(channel);
      expect(org1.accept(channel, odd.identity, odd.alive, odd.stateInfo)).toBe(`the alive message announces endpoint ${JSON.stringify(endpoint)}, not host:port`);
    }
    for (const endpoint of ['peer0.org2:7051', '10.0.0.7:7051', '[::1]:7051', 'peer_0:1', '']) {
      const fine = member(msp.createIdentity('Org2MSP', 'peer'), endpoint).self(channel);
      expect(org1.accept(channel, fine.identity, fine.alive, fine.stateInfo)).toBeUndefined();
    }
  });

  it('as authentication of a sender, takes only its current messages: newer than those held, or the very ones held', () => {
    const sender = member(msp.createIdentity('Org2MSP', 'peer'), 'peer2.org2:7051');
    const old = sender.self(channel);
    now += INTERVAL;
    const current = sender.self(channel);
    expect(org1.accept(channel, current.identity, current.alive, current.stateInfo, { current: true })).toBeUndefined();
    expect(org1.accept(channel, current.identity, current.alive, current.stateInfo, { current: true })).toBeUndefined();
    expect(org1.accept(channel, old.identity, old.alive, old.stateInfo, { current: true })).toBe('an alive message older than the one held');
    expect(org1.accept(channel, old.identity, current.alive, old.stateInfo, { current: true })).toBe('a state info older than the one held');
    // Relayed, the same old messages are authentic, merely not kept.
    expect(org1.accept(channel, old.identity, old.alive, old.stateInfo)).toBeUndefined();
  });

  it('after a certificate reload, announces itself under the new identity at once and takes its old messages for its own', () => {
    // The signer object a node hands out keeps its identity in a field a reload replaces.
    const identity = { current: msp.createIdentity('Org2MSP', 'peer') };
    const switching = new Proxy({} as SigningIdentity, { get: (_t, p) => Reflect.get(identity.current, p, identity.current) as unknown });
    const reloading = member(switching, 'peer3.org2:7051');
    const before = reloading.self(channel);
    expect(org1.accept(channel, before.identity, before.alive, before.stateInfo)).toBeUndefined();
    identity.current = msp.createIdentity('Org2MSP', 'peer');
    // Within the same interval: signed anew, under the new PKI-ID, so other peers take it.
    const after = reloading.self(channel);
    expect(after.pkiId).not.toBe(before.pkiId);
    expect(after.identity).toEqual(identity.current.serialized);
    expect(readAlive(after.alive).pkiId).toEqual(reloading.pkiId);
    expect(org1.accept(channel, after.identity, after.alive, after.stateInfo)).toBeUndefined();
    // Its messages under the old identity, relayed back by a peer that still holds them, are not another peer.
    expect(reloading.accept(channel, before.identity, before.alive, before.stateInfo)).toBe('this peer itself');
    expect(reloading.members(channel).map((m) => m.endpoint)).toEqual(['peer3.org2:7051']);
  });
});
