import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { gatewayPeerFor } from '../../../../cli/services/client/gateway-session';
import { channelPeerIds, channelsOfPeer, channelWithMembers, peersNamedForChannel, withChannelPeers } from '../../../../cli/services/network/channel-peers';
import { channelPeer, openNetwork } from '../../../../cli/services/network/network-access';
import { addPeer } from '../../../../cli/services/network/network-add-peer';
import { renderNetworkFile } from '../../../../cli/services/network/network-channels';
import { DEFAULT_INIT_OPTIONS, initNetwork, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { loadNetworkSpec, NETWORK_FILE, parseNetworkSpec, type NetworkSpec } from '../../../../cli/services/network/network-spec';
import { planLeaving } from '../../../../cli/services/network/peer-left-channel';
import { removalTarget } from '../../../../cli/services/network/remove-peer-target';
import { refusal } from '../../../support/refusal';

const P0 = 'peer0.org1.example.com';
const P1 = 'peer1.org1.example.com';
const Q0 = 'peer0.org2.example.com';
const Q1 = 'peer1.org2.example.com';

/** Two orgs of two peers each, the default channel `mychannel` and `busy`, a channel of Org1 alone. */
function twoByTwo(): NetworkSpec {
  const base = specFromOptions({ ...DEFAULT_INIT_OPTIONS, peersPerOrg: 2, basePort: 41700 });
  return parseNetworkSpec({ ...base, otherChannels: [{ ...base.channel, name: 'busy', orgs: ['Org1'] }] }, 'test');
}

describe("network.yaml: a channel's peers", () => {
  const spec = twoByTwo();
  const withPeers = (channel: string[] | undefined, busy: string[] | undefined): unknown => ({
    ...spec,
    channel: { ...spec.channel, ...(channel && { peers: channel }) },
    otherChannels: [{ ...spec.otherChannels[0]!, ...(busy && { peers: busy }) }],
  });

  it('takes peers of the member orgs, each org keeping one, on the default channel and another', () => {
    const parsed = parseNetworkSpec(withPeers([P0, Q0, Q1], [P1]), 'test');
    expect(parsed.channel.peers).toEqual([P0, Q0, Q1]);
    expect(channelPeerIds(parsed, parsed.channel)).toEqual([P0, Q0, Q1]);
    expect(channelsOfPeer(parsed, P1)).toEqual(['busy']);
    expect(channelsOfPeer(parsed, Q1)).toEqual(['mychannel']);
    // Absent: every peer of the member orgs, as before `peers` existed.
    expect(channelPeerIds(spec, spec.otherChannels[0]!)).toEqual([P0, P1]);
  });

  it.each([
    [[P0, Q0], ['peer1.org1.exmple.com'], /otherChannels\.0\.peers\.0: no peer peer1\.org1\.exmple\.com in orgs .*did you mean peer1\.org1\.example\.com\?/],
    [[P0, Q0], [P1, Q0], /otherChannels\.0\.peers\.1: peer0\.org2\.example\.com is a peer of Org2, which is not a member of channel busy \(members: Org1\): remove it, or add Org2 to the channel first \(weft channel update --add-org Org2\)/],
    [[P0, P0, Q0], undefined, /channel\.peers\.1: peer peer0\.org1\.example\.com is listed twice on channel mychannel/],
    [[P0, P1], undefined, /channel\.peers: lists no peer of Org2, a member of channel mychannel: list at least one of peer0\.org2\.example\.com, peer1\.org2\.example\.com, or leave peers out/],
    [[], undefined, /channel\.peers: a channel needs at least one peer/],
  ])('refuses %j / %j, naming the field and the remedy', (channel, busy, message) => {
    const err = refusal(() => parseNetworkSpec(withPeers(channel, busy), 'network.yaml'));
    expect(err.code).toBe('NETWORK_SPEC_INVALID');
    expect(err.message).toMatch(message);
  });

  it('writes peers into network.yaml and reads them back', () => {
    const { text, spec: reread } = renderNetworkFile(parseNetworkSpec(withPeers([P0, Q0], [P1]), 'test'));
    expect(parseYaml(text)).toMatchObject({ channel: { peers: [P0, Q0] }, otherChannels: [{ name: 'busy', peers: [P1] }] });
    expect(reread.otherChannels[0]!.peers).toEqual([P1]);
  });

  it('adds and removes peers, writing the list out when it was absent and dropping it when it names every peer again', () => {
    const off = withChannelPeers(spec, 'mychannel', { remove: [P1] });
    expect(off.channel.peers).toEqual([P0, Q0, Q1]);
    const back = withChannelPeers(off, 'mychannel', { add: [P1] });
    expect(back.channel.peers).toBeUndefined();
    expect(withChannelPeers(spec, 'busy', { remove: [P0] }).otherChannels[0]!.peers).toEqual([P1]);
  });

  it('follows member changes: an org that leaves takes its peers off, one that comes puts all of its on', () => {
    const busy = { ...spec.otherChannels[0]!, peers: [P1] };
    expect(channelWithMembers(spec, busy, ['Org1', 'Org2'])).toMatchObject({ orgs: ['Org1', 'Org2'], peers: [P1, Q0, Q1] });
    const both = { ...busy, orgs: ['Org1', 'Org2'], peers: [P1, Q0] };
    expect(channelWithMembers(spec, both, ['Org1'])).toEqual({ ...busy, orgs: ['Org1'], peers: [P1] });
    // Without a list there is nothing to follow.
    expect(channelWithMembers(spec, spec.otherChannels[0]!, ['Org1', 'Org2']).peers).toBeUndefined();
  });

  it('--peer for a new listing: the named peers here, every peer of the orgs elsewhere; refuses an unknown peer and a member org here with none', () => {
    const [org1, org2] = spec.orgs;
    expect(peersNamedForChannel('audit', [org1!, org2!], [org1!], ['PEER1.org1.example.com'])).toEqual([P1, Q0, Q1]);
    expect(refusal(() => peersNamedForChannel('audit', [org1!, org2!], [org1!], ['peer2.org1.example.com']))).toMatchObject({ code: 'UNKNOWN_PEER', details: { field: '--peer' } });
    expect(refusal(() => peersNamedForChannel('audit', [org1!, org2!], [org1!, org2!], [P1]))).toMatchObject({
      code: 'CHANNEL_ORG_WITHOUT_PEER',
      message: expect.stringContaining('names no peer of Org2'),
    });
  });
});

describe('a channel seen from the CLI: only its peers', () => {
  const spec = parseNetworkSpec({ ...twoByTwo(), ...{} }, 'test');
  const listed: NetworkSpec = { ...spec, channel: { ...spec.channel, peers: [P1, Q0] }, otherChannels: [{ ...spec.otherChannels[0]!, peers: [P1] }] };
  const network = new NetworkLayout('/nowhere', listed);

  it("lists, as its gateway and --peer choice, only the channel's peers; the default channel included", () => {
    const mychannel = network.forChannel(undefined);
    expect(mychannel.peers().map((p) => p.id)).toEqual([P1, Q0]);
    expect(network.forChannel('mychannel').peers().map((p) => p.id)).toEqual([P1, Q0]);
    // peer0 of Org1 is its first peer, but not on the channel: never the gateway there.
    expect(gatewayPeerFor(mychannel, 'Org1MSP').id).toBe(P1);
    expect(gatewayPeerFor(network.forChannel('busy'), 'Org1MSP').id).toBe(P1);
    const err = refusal(() => channelPeer(mychannel, P0));
    expect(err).toMatchObject({ code: 'UNKNOWN_PEER', details: { field: '--peer' } });
    expect(err.message).toContain(`${P0} is not on channel mychannel`);
    expect(String((err.details as { suggestions?: string[] }).suggestions)).toContain(`--peer ${P0}`);
  });

  it('keeps the whole network unchanged, and a channel without a list as it was', () => {
    expect(network.peers().map((p) => p.id)).toEqual([P0, P1, Q0, Q1]);
    const plain = new NetworkLayout('/nowhere', spec);
    expect(plain.forChannel(undefined)).toBe(plain);
    expect(plain.forChannel('busy').peers().map((p) => p.id)).toEqual([P0, P1]);
  });
});

describe('weft peer unjoin and weft network add-peer record the channels a peer is on', () => {
  let tmp: string;
  let net: string;
  const write = (spec: NetworkSpec): void => fs.writeFileSync(path.join(net, NETWORK_FILE), renderNetworkFile(spec).text);

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-channel-peers-'));
    net = path.join(tmp, 'net');
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, orgs: 1, peersPerOrg: 2, basePort: 41800 });
    const spec = loadNetworkSpec(net);
    write({ ...spec, otherChannels: [{ ...spec.channel, name: 'busy' }] });
  }, 60_000);
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('unjoin takes the peer off the channel in network.yaml; the org keeps its last peer there, saying up joins it again', () => {
    const config = (id: string): string => path.join(net, 'nodes', id, 'peer.yaml');
    const leaving = planLeaving(config(P1), 'mychannel')!;
    // Nothing is written before the ledger is gone.
    expect(loadNetworkSpec(net).channel.peers).toBeUndefined();
    leaving.record!();
    expect(loadNetworkSpec(net).channel.peers).toEqual([P0]);
    expect(leaving.note).toContain('no longer listed on mychannel');
    const last = planLeaving(config(P0), 'mychannel')!;
    expect(last.record).toBeUndefined();
    expect(last.note).toContain("Org1's last peer on mychannel");
    // Not on the channel any more, or a config outside a network directory: nothing to record.
    expect(planLeaving(config(P1), 'mychannel')).toBeUndefined();
    expect(planLeaving(path.join(tmp, 'peer.yaml'), 'mychannel')).toBeUndefined();
    write({ ...loadNetworkSpec(net), channel: { ...loadNetworkSpec(net).channel, peers: undefined } });
  });

  it("remove-peer refuses the org's only peer on a channel that lists its peers, and takes a removed peer off the lists", () => {
    const spec = loadNetworkSpec(net);
    write({ ...spec, otherChannels: [{ ...spec.otherChannels[0]!, peers: [P1] }] });
    try {
      const network = openNetwork(net);
      expect(refusal(() => removalTarget(network, P1, undefined))).toMatchObject({ code: 'LAST_PEER_ON_CHANNEL', details: { field: '--peer' } });
      write({ ...spec, channel: { ...spec.channel, peers: [P0] }, otherChannels: [{ ...spec.otherChannels[0]!, peers: [P0, P1] }] });
      const { after } = removalTarget(openNetwork(net), P1, undefined);
      expect(after.spec.otherChannels[0]!.peers).toEqual([P0]);
      expect(() => renderNetworkFile(after.spec)).not.toThrow();
    } finally {
      write(spec);
    }
  });

  it('add-peer --channel lists the new peer on those channels and off the others; refuses an unknown channel', async () => {
    const quiet = (): void => {};
    await expect(addPeer(net, { org: 'Org1', start: false, channels: ['busyy'] }, quiet, () => Promise.resolve(true))).rejects.toMatchObject({ code: 'UNKNOWN_CHANNEL' });
    const result = await addPeer(net, { org: 'Org1', start: false, channels: ['busy'] }, quiet, () => Promise.resolve(true));
    const spec = loadNetworkSpec(net);
    expect(spec.channel.peers).toEqual([P0, P1]);
    expect(spec.otherChannels[0]!.peers).toBeUndefined();
    expect(channelsOfPeer(spec, result.peer.id)).toEqual(['busy']);
  }, 60_000);
});
