import { Peer, Peers, Response } from '@hyperledger/fabric-protos/lib/discovery/protocol_pb';
import type { SigningIdentity } from '../../../../../core/msp';
import type { Logger } from '../../../../../core/node/logger';
import { ConformanceMsp } from '../../../../../core/policy/conformance-msp';
import type { Channel } from '../../../../../core/peer/channel/channel';
import { Membership } from '../../../../../core/peer/discovery/membership';
import { MembershipExchange } from '../../../../../core/peer/discovery/membership-exchange';

/**
 * What membership costs a peer on many channels: every interval, each peer announces itself on
 * every channel it shares with another. Work per announcement must not grow with the number of
 * channels, and the strict certificate check must not run again for an identity already checked.
 */
const INTERVAL = 1000;
const EXPIRY = 5000;
const ORGS = ['Org1MSP', 'Org2MSP'].map((mspId) => ({ mspId }));

/** An MSP manager's gossip check that counts its calls; identities in `refused` fail it. */
function countingManager(): { isWellFormed(serialized: Uint8Array): void; calls: number; refused: Set<string> } {
  const manager = {
    calls: 0,
    refused: new Set<string>(),
    isWellFormed(serialized: Uint8Array): void {
      manager.calls++;
      if (manager.refused.has(Buffer.from(serialized).toString('hex'))) throw new Error('the identity is not well formed');
    },
  };
  return manager;
}

/** A channel whose resources stay the same object until `reconfigure` (as a real channel's do until a config block). */
function stableChannel(id: string, msp: ConformanceMsp, msps: object): Channel & { reconfigure(next: object): void } {
  let resources = { deserializer: msp, msps, config: { applicationOrgs: ORGS } };
  return {
    id,
    height: () => 5,
    resources: () => resources,
    reconfigure: (next: object) => (resources = { deserializer: msp, msps: next, config: { applicationOrgs: ORGS } }),
  } as unknown as Channel & { reconfigure(next: object): void };
}

describe('Membership on many channels', () => {
  const msp = new ConformanceMsp();
  let now = 1_000_000;
  const member = (signer: SigningIdentity, endpoint: string): Membership =>
    new Membership({ signer, endpoint: () => endpoint, intervalMs: INTERVAL, expiryMs: EXPIRY, localState: () => ({ ledgerHeight: 5, chaincodes: [] }), now: () => now });
  const org1 = member(msp.createIdentity('Org1MSP', 'peer'), 'peer0.org1:7051');
  const org2 = member(msp.createIdentity('Org2MSP', 'peer'), 'peer0.org2:7051');

  it("checks an announced identity's form once per channel config, not once per message", () => {
    const manager = countingManager();
    const channel = stableChannel('ch', msp, manager);
    for (let round = 0; round < 10; round++) {
      now += INTERVAL;
      const m = org2.self(channel);
      expect(org1.accept(channel, m.identity, m.alive, m.stateInfo)).toBeUndefined();
    }
    expect(manager.calls).toBe(1);
    // A config block brings new MSPs: their judgement counts, once.
    const next = countingManager();
    channel.reconfigure(next);
    now += INTERVAL;
    const m = org2.self(channel);
    expect(org1.accept(channel, m.identity, m.alive, m.stateInfo)).toBeUndefined();
    expect(org1.accept(channel, m.identity, m.alive, m.stateInfo)).toBeUndefined();
    expect(next.calls).toBe(1);
  });

  it('checks an identity that failed again each time it comes: a failure is not remembered', () => {
    const manager = countingManager();
    const channel = stableChannel('ch', msp, manager);
    const odd = member(msp.createIdentity('Org2MSP', 'peer'), 'peer1.org2:7051');
    manager.refused.add(Buffer.from(odd.self(channel).identity).toString('hex'));
    for (let round = 0; round < 2; round++) {
      now += INTERVAL;
      const m = odd.self(channel);
      expect(org1.accept(channel, m.identity, m.alive, m.stateInfo)).toBe('not a valid identity on channel ch: the identity is not well formed');
    }
    expect(manager.calls).toBe(2);
  });

  it('finds the channels of an announcement in one pass over the joined channels, however many it names', () => {
    const manager = countingManager();
    const channels = Array.from({ length: 50 }, (_, i) => stableChannel(`ch${i}`, msp, manager));
    let listed = 0;
    const exchange = new MembershipExchange({
      membership: org1,
      channels: () => {
        listed++;
        return channels;
      },
      peers: () => [],
      intervalMs: INTERVAL,
      logger: { debug: () => undefined, warn: () => undefined } as unknown as Logger,
    });
    now += INTERVAL;
    const announcement = new Peers();
    for (const channel of channels) {
      const m = org2.self(channel);
      const p = new Peer();
      p.setIdentity(m.identity);
      p.setMembershipInfo(m.alive);
      p.setStateInfo(m.stateInfo);
      announcement.addPeers(p);
    }
    const answered = Response.deserializeBinary(exchange.answer(announcement.serializeBinary())).getResultsList();
    // Each entry is answered with the members of its own channel (org1 itself), none refused.
    expect(answered.map((r) => r.getError()?.getContent() ?? [...(r.getMembers()?.getPeersByOrgMap().keys() ?? [])])).toEqual(channels.map(() => ['Org1MSP']));
    expect(channels.map((c) => org1.others(c).map((m) => m.endpoint))).toEqual(channels.map(() => ['peer0.org2:7051']));
    expect(listed).toBe(1);
    // One identity on 50 channels sharing one MSP manager: checked once.
    expect(manager.calls).toBe(1);
  });
});
