import { describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { renderNetworkFile } from '../../../../cli/services/network/network-channels';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';

describe('network.yaml rendering', () => {
  it('writes every string so that it reads back as itself, whatever characters YAML gives a meaning to', () => {
    const spec = specFromOptions({ ...DEFAULT_INIT_OPTIONS, orgs: 3, basePort: 30000 });
    // MSP IDs are free text (Fabric puts no rule on them), and reach network.yaml from init --from and channel join.
    const tricky = ['Org1MSP # a comment', 'Org2MSP\n  - name: phantom', `Org3: "MSP" 'x' \\ [a, b] {c}`];
    const meant = { ...spec, orgs: spec.orgs.map((org, i) => ({ ...org, mspId: tricky[i]! })) };
    const { text, spec: reread } = renderNetworkFile(meant);
    expect(reread.orgs.map((o) => o.mspId)).toEqual(tricky);
    expect(reread).toEqual(meant);
    expect((parseYaml(text) as { orgs: unknown[] }).orgs).toHaveLength(3);
    // Values that read back as themselves stay as a person would write them.
    expect(text).toContain('  name: mychannel\n');
    expect(text).toContain('host: 127.0.0.1\n');
    expect(text).toContain('users: [Admin, User1]\n');
    expect(text).toContain('mspId: "Org1MSP # a comment"\n');
  });

  it('quotes a string YAML would read as another type', () => {
    const spec = specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 30000 });
    const meant = { ...spec, ordererOrg: { ...spec.ordererOrg, mspId: 'true' }, orgs: spec.orgs.map((org, i) => ({ ...org, mspId: ['null', '1e3'][i]! })) };
    const { text, spec: reread } = renderNetworkFile(meant);
    expect([reread.ordererOrg.mspId, ...reread.orgs.map((o) => o.mspId)]).toEqual(['true', 'null', '1e3']);
    expect(text).toContain('mspId: "1e3"\n');
  });

  it("records a channel's BatchSize byte limits only when they are not the defaults, and refuses preferred above absolute", () => {
    const spec = specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 30000 });
    const plain = renderNetworkFile(spec);
    expect(plain.text).not.toMatch(/^\s+(absolute|preferred)MaxBytes:/m);
    const audit = { name: 'audit', batchTimeout: '1s', maxMessageCount: 10, absoluteMaxBytes: 4 * 1024 * 1024, preferredMaxBytes: 512 * 1024, orgs: ['Org1'] };
    const { text, spec: reread } = renderNetworkFile({ ...spec, channel: { ...spec.channel, preferredMaxBytes: 1024 * 1024 }, otherChannels: [audit] });
    expect(reread.otherChannels).toEqual([audit]);
    expect(reread.channel.preferredMaxBytes).toBe(1024 * 1024);
    expect(reread.channel.absoluteMaxBytes).toBeUndefined();
    expect(text).toContain('    absoluteMaxBytes: 4194304\n    preferredMaxBytes: 524288\n');
    expect(() => renderNetworkFile({ ...spec, otherChannels: [{ ...audit, preferredMaxBytes: 8 * 1024 * 1024 }] })).toThrow(/preferredMaxBytes must not exceed absoluteMaxBytes/);
    // Above the default absolute limit (10 MiB) without an absolute limit of its own.
    expect(() => renderNetworkFile({ ...spec, channel: { ...spec.channel, preferredMaxBytes: 11 * 1024 * 1024 } })).toThrow(/preferredMaxBytes must not exceed/);
  });

  it('writes and reads back a remote org whose peers share a port number across hosts and have no operations port', () => {
    const spec = specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 7051 });
    const peers = [
      { name: 'peer0', host: 'peer0.org3.example.com', port: 7051 },
      { name: 'peer1', host: 'peer1.org3.example.com', port: 7051 },
    ];
    const { spec: reread } = renderNetworkFile({ ...spec, orgs: [...spec.orgs, { name: 'Org3', mspId: 'Org3MSP', domain: 'org3.example.com', peers, users: ['Admin'] }] });
    expect(reread.orgs[2]!.peers).toEqual(peers);
    expect(reread.orgs[2]!.peers.map((p) => p.operationsPort)).toEqual([undefined, undefined]);
  });
});
