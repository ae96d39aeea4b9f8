import { modPolicyPath } from '../../../../core/orderer/config-update';
import { isCanonicalLowS } from '../../../../core/orderer/signature-precheck';

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

describe('isCanonicalLowS', () => {
  const der = (r: string, s: string) => {
    const int = (hex: string) => Buffer.concat([Buffer.from([0x02, hex.length / 2]), Buffer.from(hex, 'hex')]);
    const body = Buffer.concat([int(r), int(s)]);
    return Buffer.concat([Buffer.from([0x30, body.length]), body]);
  };
  it('accepts a minimal low-S signature', () => {
    expect(isCanonicalLowS(der('01', '01'))).toBe(true);
  });
  it('rejects high S, negative or padded integers, and trailing bytes', () => {
    expect(isCanonicalLowS(der('01', '7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a9'))).toBe(false);
    expect(isCanonicalLowS(der('01', '80'))).toBe(false);
    expect(isCanonicalLowS(der('0001', '01'))).toBe(false);
    expect(isCanonicalLowS(Buffer.concat([der('01', '01'), Buffer.from([0])]))).toBe(false);
  });
});
