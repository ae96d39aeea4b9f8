import { Peer, Peers, Response } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import type { SigningIdentity } from '../../../../../core/msp';
import type { Logger } from '../../../../../core/node/logger';
import { ConformanceMsp } from '../../../../../core/policy/conformance-msp';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { type ChannelMember, Membership } from '../../../../../core/peer/discovery/membership';
import { MembershipExchange, type MembershipPeer } from '../../../../../core/peer/discovery/membership-exchange';

const INTERVAL = 1000;
/** The MSP manager's gossip check; identities in `notWellFormed` fail it. */
const notWellFormed = new Set<string>();
const wellFormed = {
  isWellFormed: (serialized: Uint8Array): void => {
    if (notWellFormed.has(Buffer.from(serialized).toString('hex'))) throw new Error('the identity is not well formed');
  },
};
const EXPIRY = 5000;

function fakeChannel(id: string, msp: ConformanceMsp): Channel {
  return { id, height: () => 5, resources: () => ({ deserializer: msp, msps: wellFormed, config: { applicationOrgs: ['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => ({ mspId })) } }) } as unknown as Channel;
}

const entry = (m: ChannelMember): Peer => {
  const p = new Peer();
  p.setIdentity(m.identity);
  p.setMembershipInfo(m.alive);
  p.setStateInfo(m.stateInfo);
  return p;
};

/** Each result of an answer: the members' endpoints, or the error. */
function results(bytes: Uint8Array): (string[] | string)[] {
  return Response.deserializeBinary(bytes)
    .getResultsList()
    .map((r) => r.getError()?.getContent() ?? [...(r.getMembers()?.getPeersByOrgMap().entries() ?? [])].flatMap(([org, ps]) => ps.getPeersList().map(() => org)).sort());
}

describe('MembershipExchange (how peers learn each other without gossip)', () => {
  const msp = new ConformanceMsp();
  let now = 1_000_000;
  const channel = fakeChannel('ch', msp);
  const other = fakeChannel('other', msp);
  const warnings: unknown[] = [];
  const logger = { debug: () => undefined, warn: (o: unknown) => warnings.push(o) } as unknown as Logger;
  const member = (signer: SigningIdentity, endpoint: string): Membership =>
    new Membership({ signer, endpoint: () => endpoint, intervalMs: INTERVAL, expiryMs: EXPIRY, localState: () => ({ ledgerHeight: 5, chaincodes: [] }), now: () => now });
  const target = member(msp.createIdentity('Org1MSP', 'peer'), 'peer0.org1:7051');
  const exchange = new MembershipExchange({ membership: target, channels: () => [channel, other], peers: () => [], intervalMs: INTERVAL, logger });
  const org2 = member(msp.createIdentity('Org2MSP', 'peer'), 'peer0.org2:7051');
  const org3 = member(msp.createIdentity('Org3MSP', 'peer'), 'peer0.org3:7051');
  const announce = (...members: ChannelMember[]): Uint8Array => {
    const req = new Peers();
    for (const m of members) req.addPeers(entry(m));
    return req.serializeBinary();
  };

  it("answers a peer's announcement with the members it knows, and learns the sender", () => {
    expect(results(exchange.answer(announce(org3.self(channel))))).toEqual([['Org1MSP']]);
    expect(results(exchange.answer(announce(org2.self(channel), org2.self(other))))).toEqual([['Org1MSP', 'Org3MSP'], ['Org1MSP']]);
  });

  it('refuses a replayed announcement: messages older than those held say nothing of who sends them', () => {
    const captured = org2.self(channel);
    now += INTERVAL;
    exchange.answer(announce(org2.self(channel)));
    expect(results(exchange.answer(announce(captured)))).toEqual(['access denied']);
    // Once the peer expired, its last messages do not bring it back either.
    now += INTERVAL;
    const last = org2.self(channel);
    exchange.answer(announce(last));
    now += EXPIRY + 1;
    expect(results(exchange.answer(announce(org3.self(channel))))).toEqual([['Org1MSP']]);
    expect(results(exchange.answer(announce(last)))).toEqual(['access denied']);
  });

  it("takes one peer's own entries, each channel once", () => {
    now += INTERVAL;
    // An entry of another peer, or the same channel again, gets nothing (and costs no signature check).
    expect(results(exchange.answer(announce(org2.self(channel), org3.self(other), org2.self(channel))))).toEqual([['Org1MSP', 'Org3MSP'], 'access denied', 'access denied']);
    const many = new Peers();
    for (let i = 0; i < 1001; i++) many.addPeers(entry(org2.self(channel)));
    expect(() => exchange.answer(many.serializeBinary())).toThrow('peers: 1001 entries, at most 1000 taken');
  });

  it('does not pass on the last messages of a peer that went quiet', () => {
    now += INTERVAL;
    exchange.answer(announce(org3.self(channel)));
    now += 3 * INTERVAL + 1;
    // org3 is still a member for discovery, but not handed to org2.
    expect(target.others(channel).map((m) => m.mspId)).toContain('Org3MSP');
    expect(results(exchange.answer(announce(org2.self(channel))))).toEqual([['Org1MSP']]);
  });

  it('carries on when listing the peers of a channel fails, and says so', async () => {
    const reached: string[] = [];
    const peer: MembershipPeer = {
      address: 'peer0.org2:7051',
      exchangeMembership: async () => {
        reached.push('peer0.org2:7051');
        return new Response().serializeBinary();
      },
    };
    const failing = new MembershipExchange({
      membership: target,
      channels: () => [channel, other],
      peers: (c) => {
        if (c === channel) throw new TypeError('Invalid IP address: x');
        return [peer];
      },
      intervalMs: INTERVAL,
      logger,
    });
    warnings.length = 0;
    await expect(failing.exchangeOnce()).resolves.toBeUndefined();
    expect(reached).toEqual(['peer0.org2:7051']);
    expect(warnings).toEqual([expect.objectContaining({ channel: 'ch', err: 'Invalid IP address: x' })]);
  });
});
