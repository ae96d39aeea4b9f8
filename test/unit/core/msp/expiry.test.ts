import type { MSPPrincipal } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { MspError } from '../../../../core/errors';
import { MspErrorCode, assertNotExpired, type Identity } from '../../../../core/msp';

function identityExpiring(expiresAt: Date): Identity {
  return {
    mspId: 'Org1MSP',
    serialized: new Uint8Array([1]),
    idBytes: new Uint8Array([2]),
    id: 'ab'.repeat(32),
    expiresAt,
    organizationalUnits: ['client'],
    validate: () => undefined,
    verify: () => false,
    verifyAsync: () => Promise.resolve(false),
    satisfiesPrincipal: (_p: MSPPrincipal) => false,
  };
}

describe('assertNotExpired', () => {
  const now = new Date('2026-06-01T12:00:00Z');

  it('accepts an identity that expires after now', () => {
    expect(() => assertNotExpired(identityExpiring(new Date('2026-06-01T12:00:01Z')), now)).not.toThrow();
  });

  it('rejects an identity expired at or before now with MSP_EXPIRED naming the dates', () => {
    for (const at of ['2026-06-01T12:00:00Z', '2020-01-01T00:00:00Z']) {
      let err: unknown;
      try {
        assertNotExpired(identityExpiring(new Date(at)), now);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(MspError);
      expect((err as MspError).code).toBe(MspErrorCode.Expired);
      expect((err as MspError).details).toMatchObject({ mspId: 'Org1MSP', expiresAt: new Date(at).toISOString(), now: now.toISOString() });
    }
  });
});
