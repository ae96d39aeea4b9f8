import { describe, expect, it } from '@jest/globals';
import { addOrgSequence, checkAcrossOptions, joiningOrg, withOrg } from '../../../../cli/services/network/add-org-across';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import type { NetworkSpec, PeerOrgSpec } from '../../../../cli/services/network/network-spec';

/** A 2-org network as `weft network init --base-port 7050` makes it: ports 7050–7056. */
const twoOrgs: NetworkSpec = specFromOptions({ ...DEFAULT_INIT_OPTIONS });
const org = (n: number, port: number): PeerOrgSpec => ({
  name: `Org${n}`,
  mspId: `Org${n}MSP`,
  domain: `org${n}.example.com`,
  peers: [{ name: 'peer0', host: '127.0.0.1', port, operationsPort: port + 1 }],
  users: ['Admin', 'User1'],
});

describe('checkAcrossOptions: the flags of weft network add-org across directories', () => {
  it('takes the single-directory form, --output with --org-dir and the new org, and --from-file with --org-dir alone', () => {
    expect(() => checkAcrossOptions('./net', { name: 'Org3', peers: 2 })).not.toThrow();
    expect(() => checkAcrossOptions('./org1', { name: 'Org3', output: 'u.pb', orgDir: './org3' })).not.toThrow();
    expect(() => checkAcrossOptions('./org2', { fromFile: 'u.pb', orgDir: './org3' })).not.toThrow();
  });

  it.each([
    [{ output: 'u.pb' }, 'ADD_ORG_OPTIONS_INVALID', '--output needs --org-dir'],
    [{ fromFile: 'u.pb' }, 'ADD_ORG_OPTIONS_INVALID', '--from-file needs --org-dir'],
    [{ orgDir: './org3' }, 'ADD_ORG_OPTIONS_INVALID', '--org-dir goes with --output'],
    [{ output: 'u.pb', fromFile: 'u.pb', orgDir: './org3' }, 'CONFLICTING_FLAGS', 'give one of them'],
    [{ fromFile: 'u.pb', orgDir: './org3', name: 'Org3', basePort: 9000 }, 'CONFLICTING_FLAGS', 'it takes no --name, --base-port'],
  ])('refuses %j: %s', (options, code, text) => {
    expect(() => checkAcrossOptions('./org1', options)).toThrow(expect.objectContaining({ code, message: expect.stringContaining(text) }));
  });

  it('names the whole sequence in its suggestions, with the values given', () => {
    const steps = addOrgSequence('./org1', 'Org3', './org3', 'u.pb');
    expect(steps).toEqual([
      expect.stringContaining('weft network add-org ./org1 --name Org3 --org-dir ./org3 --output u.pb'),
      expect.stringContaining('weft channel sign-update <their dir> u.pb --org <their org>'),
      expect.stringContaining('weft network add-org <that dir> --from-file u.pb --org-dir ./org3'),
      expect.stringContaining('weft network up ./org3'),
      expect.stringContaining('nothing is submitted again'),
    ]);
  });
});

describe('joiningOrg: the org --from-file records, from the new org\'s directory', () => {
  const withOrg3 = withOrg(twoOrgs, org(3, 7057));

  it("is the one org the new org's directory lists and this one does not", () => {
    expect(joiningOrg(twoOrgs, withOrg3, './org3').mspId).toBe('Org3MSP');
    // A member that recorded an org added after the new org's directory was made still finds it.
    expect(joiningOrg(withOrg(twoOrgs, org(5, 7070)), withOrg3, './org3').mspId).toBe('Org3MSP');
  });

  it.each([
    ['a directory this one already lists everything of', () => [withOrg3, withOrg3], 'in this directory'],
    ['two unknown orgs', () => [twoOrgs, withOrg(withOrg3, org(4, 7060))], 'it lists 2 orgs'],
    ["another network's", () => [twoOrgs, { ...withOrg3, channel: { ...withOrg3.channel, name: 'other' } }], "not this network's"],
  ])('refuses %s: ADD_ORG_DIR_MISMATCH', (_, specs, text) => {
    const [here, there] = specs();
    expect(() => joiningOrg(here!, there!, './org3')).toThrow(expect.objectContaining({ code: 'ADD_ORG_DIR_MISMATCH', message: expect.stringContaining(text) }));
  });
});
