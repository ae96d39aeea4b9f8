import { describe, expect, it } from '@jest/globals';
import { deployVersion, nextVersion, packageVersion, type CommittedVersion } from '../../../../cli/services/chaincode/deploy-version';

const COMMITTED_PKG = `assets_2.0:${'a'.repeat(64)}`;
const CHANGED_PKG = `assets_2.0:${'b'.repeat(64)}`;
const committed = (approvedPackageIds: Record<string, string | undefined>): CommittedVersion => ({ version: '2.0', sequence: 3, approvedPackageIds });

/**
 * `weft chaincode deploy ./net ./my-assets --name assets` after editing the code, without
 * `--version`: the flag defaulted to 1.0 whatever was committed, so the changed code became a
 * second package labelled `assets_1.0` and the definition kept (or went back to) version 1.0.
 */
describe('the version of a deploy without --version', () => {
  it('is 1.0 for a chaincode with nothing committed, and --version whenever given', () => {
    expect(deployVersion({ name: 'assets' }, undefined, `assets_1.0:${'c'.repeat(64)}`)).toBe('1.0');
    expect(deployVersion({ name: 'assets', version: '7' }, committed({ Org1MSP: COMMITTED_PKG }), CHANGED_PKG)).toBe('7');
    expect(packageVersion(undefined, undefined)).toBe('1.0');
  });

  it('is the committed version for the package an org here approved for it (a re-deploy changing only the policy or collections)', () => {
    expect(packageVersion(undefined, committed({ Org1MSP: COMMITTED_PKG }))).toBe('2.0');
    expect(deployVersion({ name: 'assets' }, committed({ Org1MSP: COMMITTED_PKG, Org2MSP: COMMITTED_PKG }), COMMITTED_PKG)).toBe('2.0');
    // Orgs may run packages of their own: the one an org here approved counts.
    expect(deployVersion({ name: 'assets', sequence: 4 }, committed({ Org1MSP: CHANGED_PKG, Org2MSP: COMMITTED_PKG }), COMMITTED_PKG)).toBe('2.0');
  });

  it('is the committed version for an org that approved nothing at the committed sequence (it joined later and approves that definition)', () => {
    expect(deployVersion({ name: 'assets' }, committed({ Org3MSP: undefined }), CHANGED_PKG)).toBe('2.0');
    expect(deployVersion({ name: 'assets', sequence: 3 }, committed({ Org3MSP: undefined }), CHANGED_PKG)).toBe('2.0');
  });

  it('is refused with VERSION_REQUIRED for another package, naming the committed version, sequence and package and a next version', () => {
    expect(() => deployVersion({ name: 'assets' }, committed({ Org1MSP: COMMITTED_PKG, Org2MSP: COMMITTED_PKG }), CHANGED_PKG)).toThrow(
      expect.objectContaining({
        code: 'VERSION_REQUIRED',
        message:
          `no --version given, and assets's committed definition (version 2.0, sequence 3) was approved with package ${COMMITTED_PKG} by Org1MSP, ${COMMITTED_PKG} by Org2MSP; ` +
          `this deploy's package is ${CHANGED_PKG}: different code under version 2.0 again would make a second package and definition of that version`,
        details: {
          field: '--version',
          chaincode: 'assets',
          committedVersion: '2.0',
          committedSequence: 3,
          packageId: CHANGED_PKG,
          approvedPackageIds: { Org1MSP: COMMITTED_PKG, Org2MSP: COMMITTED_PKG },
          suggestedVersion: '2.1',
          suggestions: ['give the new code a version: --version 2.1'],
        },
      }),
    );
  });

  it('is the committed version for any package under --watch (a development loop: every round is new code under one version)', () => {
    expect(deployVersion({ name: 'assets', reuseCommittedVersion: true }, committed({ Org1MSP: COMMITTED_PKG }), CHANGED_PKG)).toBe('2.0');
  });

  it('is refused when a new sequence is asked for by orgs that approved nothing at the committed one: their package cannot be compared', () => {
    expect(() => deployVersion({ name: 'assets', sequence: 4 }, committed({ Org3MSP: undefined }), CHANGED_PKG)).toThrow(
      expect.objectContaining({ code: 'VERSION_REQUIRED', message: expect.stringContaining('no org here (Org3MSP) approved sequence 3'), details: expect.objectContaining({ field: '--version' }) }),
    );
  });
});

describe('nextVersion', () => {
  it.each([
    ['1.0', '1.1'],
    ['2', '3'],
    ['1.2.9', '1.2.10'],
    ['1.09', '1.10'],
    ['1.0-beta-2', '1.0-beta-3'],
    ['v1', 'v1-2'],
    ['2024.01.rc', '2024.01.rc-2'],
    ['99999999999999999999', '100000000000000000000'],
  ])('%s -> %s', (from, to) => expect(nextVersion(from)).toBe(to));
});
