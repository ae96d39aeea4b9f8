import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadCollectionsConfig, parseCollectionsConfig } from '../../../../cli/services/chaincode/collections-config';
import { ConfigError } from '../../../../core/errors';
import { parsePolicyExpression } from '../../../../core/policy/policy-expression';
import { collectionPackage } from '../../../support/lifecycle-collections';

const BOTH = "OR('Org1MSP.member','Org2MSP.member')";
const ORG1 = "OR('Org1MSP.member')";

/** The error `parseCollectionsConfig` throws for `json`. */
function failure(json: unknown): ConfigError {
  try {
    parseCollectionsConfig(json, 'cc.json');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected the collections config to be refused');
}

describe('parseCollectionsConfig', () => {
  it("turns Fabric's collections JSON into the package the peer CLI builds", () => {
    const pkg = parseCollectionsConfig(
      [
        {
          name: 'assetCollection',
          policy: BOTH,
          requiredPeerCount: 1,
          maxPeerCount: 3,
          blockToLive: 1000000,
          memberOnlyRead: true,
          memberOnlyWrite: true,
          endorsementPolicy: { signaturePolicy: "AND('Org1MSP.peer','Org2MSP.peer')" },
        },
        { name: 'Org1MSPPrivateCollection', policy: ORG1, endorsementPolicy: { channelConfigPolicy: '/Channel/Application/Org1MSP/Endorsement' } },
      ],
      'cc.json',
    );
    const [first, second] = pkg.getConfigList().map((c) => c.getStaticCollectionConfig()!);
    expect(first!.getName()).toBe('assetCollection');
    expect(first!.getMemberOrgsPolicy()!.getSignaturePolicy()!.serializeBinary()).toEqual(parsePolicyExpression(BOTH).serializeBinary());
    expect([first!.getRequiredPeerCount(), first!.getMaximumPeerCount(), first!.getBlockToLive()]).toEqual([1, 3, 1000000]);
    expect([first!.getMemberOnlyRead(), first!.getMemberOnlyWrite()]).toEqual([true, true]);
    expect(first!.getEndorsementPolicy()!.getSignaturePolicy()!.serializeBinary()).toEqual(parsePolicyExpression("AND('Org1MSP.peer','Org2MSP.peer')").serializeBinary());
    // Fabric's defaults for what the file leaves out: 0 required, 1 maximum, kept forever, not member-only.
    expect(second!.getName()).toBe('Org1MSPPrivateCollection');
    expect([second!.getRequiredPeerCount(), second!.getMaximumPeerCount(), second!.getBlockToLive()]).toEqual([0, 1, 0]);
    expect([second!.getMemberOnlyRead(), second!.getMemberOnlyWrite()]).toEqual([false, false]);
    expect(second!.getEndorsementPolicy()!.getChannelConfigPolicyReference()).toBe('/Channel/Application/Org1MSP/Endorsement');

    const expected = collectionPackage(
      { name: 'assetCollection', policy: BOTH, requiredPeerCount: 1, maximumPeerCount: 3, blockToLive: 1000000, memberOnlyRead: true, memberOnlyWrite: true, endorsement: "AND('Org1MSP.peer','Org2MSP.peer')" },
      { name: 'Org1MSPPrivateCollection', policy: ORG1, memberOnlyRead: false, endorsement: '/Channel/Application/Org1MSP/Endorsement' },
    );
    expect(pkg.serializeBinary()).toEqual(expected.serializeBinary());
  });

  it('reads keys as Go does: case-insensitively, null as absent, an empty endorsementPolicy as none', () => {
    const pkg = parseCollectionsConfig([{ Name: 'c', POLICY: ORG1, maxpeercount: 2, requiredPeerCount: null, blockToLive: null, endorsementPolicy: { signaturePolicy: '' } }], 'cc.json');
    expect(pkg.serializeBinary()).toEqual(collectionPackage({ name: 'c', policy: ORG1, maximumPeerCount: 2, memberOnlyRead: false }).serializeBinary());
    expect(parseCollectionsConfig([], 'cc.json').getConfigList()).toEqual([]);
  });

  it.each<[string, unknown, string]>([
    ['not an array', { name: 'c', policy: ORG1 }, 'collections must be a JSON array of collections, got {"name":"c","policy":"OR(\'Org1MSP.member\')"}'],
    ['an element not an object', ['c'], 'collections[0] must be an object with name, policy and optionally'],
    ['no name', [{ policy: ORG1 }], 'collections[0].name is required: a collection name'],
    ['a name Fabric refuses', [{ name: '_implicit_org_Org1MSP', policy: ORG1 }], `collections[0].name must be a collection name of letters, digits, '-' and '_', not starting with '_', got "_implicit_org_Org1MSP"`],
    ['a name given twice', [{ name: 'c', policy: ORG1 }, { name: 'c', policy: BOTH }], 'collections[1].name is "c", already the name of collections[0]'],
    ['no policy', [{ name: 'c' }], 'collections[0].policy is required: a signature policy expression'],
    ['an empty policy', [{ name: 'c', policy: '' }], 'collections[0].policy must be a signature policy expression such as'],
    ['a policy that does not parse', [{ name: 'c', policy: "OR('Org1MSP.member'" }], 'collections[0].policy is not a valid signature policy expression: expected'],
    ['a member policy that is not an OR', [{ name: 'c', policy: "AND('Org1MSP.member','Org2MSP.member')" }], 'collections[0].policy is refused by the peer: collection-name: c -- error in member org policy: signature policy is not an OR concatenation, NOutOf 2'],
    ['a negative requiredPeerCount', [{ name: 'c', policy: ORG1, requiredPeerCount: -1 }], 'collections[0].requiredPeerCount must be a non-negative integer (at most 2147483647), got -1'],
    ['a fractional maxPeerCount', [{ name: 'a', policy: ORG1 }, { name: 'c', policy: ORG1, maxPeerCount: 1.5 }], 'collections[1].maxPeerCount must be a non-negative integer (at most 2147483647), got 1.5'],
    ['a maxPeerCount in quotes', [{ name: 'c', policy: ORG1, maxPeerCount: '2' }], 'collections[0].maxPeerCount must be a non-negative integer (at most 2147483647), got "2"'],
    ['a maxPeerCount beyond int32', [{ name: 'c', policy: ORG1, maxPeerCount: 2 ** 31 }], 'collections[0].maxPeerCount must be a non-negative integer (at most 2147483647), got 2147483648'],
    ['maxPeerCount below requiredPeerCount', [{ name: 'c', policy: ORG1, requiredPeerCount: 2, maxPeerCount: 1 }], 'collections[0].maxPeerCount must be at least requiredPeerCount (2), got 1'],
    ['a negative blockToLive', [{ name: 'c', policy: ORG1, blockToLive: -5 }], 'collections[0].blockToLive must be a non-negative integer (0: keep forever), got -5'],
    ['a memberOnlyRead that is no boolean', [{ name: 'c', policy: ORG1, memberOnlyRead: 'yes' }], 'collections[0].memberOnlyRead must be true or false, got "yes"'],
    ['a memberOnlyWrite that is no boolean', [{ name: 'c', policy: ORG1, memberOnlyWrite: 1 }], 'collections[0].memberOnlyWrite must be true or false, got 1'],
    ['an endorsementPolicy that is no object', [{ name: 'c', policy: ORG1, endorsementPolicy: "OR('Org1MSP.peer')" }], 'collections[0].endorsementPolicy must be an object with signaturePolicy or channelConfigPolicy'],
    ['both endorsement policies', [{ name: 'c', policy: ORG1, endorsementPolicy: { signaturePolicy: ORG1, channelConfigPolicy: '/Channel/Application/Endorsement' } }], 'collections[0].endorsementPolicy must give signaturePolicy or channelConfigPolicy, not both'],
    ['an endorsement signature policy that does not parse', [{ name: 'c', policy: ORG1, endorsementPolicy: { signaturePolicy: 'X' } }], "collections[0].endorsementPolicy.signaturePolicy is not a valid signature policy expression: unknown gate 'X'"],
    ['an unknown field', [{ name: 'c', policy: ORG1, maxPeerCounts: 3 }], 'collections[0].maxPeerCounts is not a field Fabric reads (the fields: name, policy, requiredPeerCount, maxPeerCount'],
    ['an unknown endorsementPolicy field', [{ name: 'c', policy: ORG1, endorsementPolicy: { policy: ORG1 } }], 'collections[0].endorsementPolicy.policy is not a field Fabric reads (the fields: signaturePolicy, channelConfigPolicy)'],
  ])('refuses %s, naming the file and the field', (_what, json, line) => {
    const err = failure(json);
    expect(err.code).toBe('COLLECTIONS_CONFIG_INVALID');
    expect(err.message).toMatch(/^cc\.json is not a valid collections config:\n/);
    expect(err.message).toContain(`\n  ${line}`);
    expect(err.details).toEqual(expect.objectContaining({ file: 'cc.json', field: line.split(' ')[0], suggestions: [expect.stringContaining('--collections-config')] }));
  });

  it('lists every bad field at once', () => {
    const err = failure([{ name: 'c', policy: ORG1, maxPeerCount: -1, memberOnlyRead: 'no' }]);
    expect(err.details.problems).toEqual([
      { field: 'collections[0].maxPeerCount', message: 'must be a non-negative integer (at most 2147483647), got -1' },
      { field: 'collections[0].memberOnlyRead', message: 'must be true or false, got "no"' },
    ]);
  });
});

describe('loadCollectionsConfig', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-collections-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('is undefined without a file, and reads one', () => {
    expect(loadCollectionsConfig(undefined)).toBeUndefined();
    const file = path.join(dir, 'ok.json');
    fs.writeFileSync(file, JSON.stringify([{ name: 'c', policy: ORG1, maxPeerCount: 2 }]));
    expect(loadCollectionsConfig(file)!.serializeBinary()).toEqual(collectionPackage({ name: 'c', policy: ORG1, maximumPeerCount: 2, memberOnlyRead: false }).serializeBinary());
  });

  it('refuses a file that is not there', () => {
    const file = path.join(dir, 'missing.json');
    expect(() => loadCollectionsConfig(file)).toThrow(expect.objectContaining({ code: 'COLLECTIONS_CONFIG_NOT_FOUND', message: `cannot read the collections config ${file}: no such file` }));
  });

  it('refuses a file that is not JSON, and names it in field errors', () => {
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, '[{"name": "c",}]');
    expect(() => loadCollectionsConfig(file)).toThrow(expect.objectContaining({ code: 'COLLECTIONS_CONFIG_INVALID', message: expect.stringContaining(`${file} is not JSON: `) }));
    fs.writeFileSync(file, '[{"name": "c"}]');
    expect(() => loadCollectionsConfig(file)).toThrow(expect.objectContaining({ message: `${file} is not a valid collections config:\n  collections[0].policy is required: a signature policy expression such as "OR('Org1MSP.member','Org2MSP.member')"` }));
  });
});
