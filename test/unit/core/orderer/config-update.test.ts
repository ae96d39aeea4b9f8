import { modPolicyPath } from '../../../../core/orderer/config-update';

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
