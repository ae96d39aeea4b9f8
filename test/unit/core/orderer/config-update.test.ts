import { modPolicyPath, modPolicyProblem } from '../../../../core/orderer/config-update';

describe('modPolicyPath (Fabric policyForItem)', () => {
  it.each([
    [{ kind: 'Value', parent: ['Channel', 'Orderer'], name: 'BatchSize', modPolicy: 'Admins' }, '/Channel/Orderer/Admins'],
    [{ kind: 'Group', parent: ['Channel', 'Application'], name: 'Org1MSP', modPolicy: 'Admins' }, '/Channel/Application/Org1MSP/Admins'],
    [{ kind: 'Group', parent: [], name: 'Channel', modPolicy: 'Admins' }, '/Channel/Admins'],
    [{ kind: 'Policy', parent: ['Channel', 'Application', 'Org1MSP'], name: 'Writers', modPolicy: 'Admins' }, '/Channel/Application/Org1MSP/Admins'],
    [{ kind: 'Value', parent: ['Channel', 'Orderer'], name: 'BatchSize', modPolicy: '/Channel/Application/Admins' }, '/Channel/Application/Admins'],
  ] as const)('%o → %s', (element, expected) => {
    expect(modPolicyPath(element)).toBe(expected);
  });
});

describe('modPolicyProblem (Fabric validateModPolicy)', () => {
  it.each(['Admins', '/Channel/Orderer/Admins', 'Org1.example-com/Admins', `${'a'.repeat(249)}/Admins`])('accepts %s', (modPolicy) => {
    expect(modPolicyProblem(modPolicy)).toBeUndefined();
  });

  it.each([
    ['', /mod_policy is not set/],
    ['/', /path element 0 \(""\) is invalid/],
    ['No Such/Policy!', /path element 0 \("No Such"\) is invalid/],
    ['/Channel/../Admins', /path element 1 \("\.\."\) is invalid/],
    ['./Admins', /path element 0 \("\."\) is invalid/],
    ['Admins/', /path element 1 \(""\) is invalid/],
    ['//Channel/Admins', /path element 0 \(""\) is invalid/],
    [`${'a'.repeat(250)}`, /path element 0 .* is invalid/],
  ])('refuses %j', (modPolicy, why) => {
    expect(modPolicyProblem(modPolicy)).toMatch(why);
  });
});
