import { describe, expect, it } from '@jest/globals';
import { expiryText } from '../../../../cli/services/network/expiry-text';

/**
 * A peer's certificate five days from its end showed in `weft network status` as "EXPIRES
 * 2026-12-01 (4 days: renew)": the operator had to find which renew command, and for a user which
 * flags. Each flagged line now names the command.
 */
describe('the expiry of a certificate in network status', () => {
  const cert = (state: 'valid' | 'expiring' | 'expired', daysLeft: number) => ({ notAfter: '2026-12-01T15:41:57.000Z', certPath: '/x.pem', daysLeft, state });
  const renew = 'weft network renew ./net --node peer0.org3.example.com';

  it('names the command that renews one about to end, and the one that recovers one ended', () => {
    expect(expiryText(cert('expiring', 4), renew)).toBe('EXPIRES 2026-12-01 (4 days left; renew: weft network renew ./net --node peer0.org3.example.com)');
    expect(expiryText(cert('expired', -2), renew)).toBe('EXPIRED 2026-12-01 (recover: weft network renew ./net --node peer0.org3.example.com)');
  });

  it('keeps a valid one short, and says when none is here', () => {
    expect(expiryText(cert('valid', 400), renew)).toBe('expires 2026-12-01');
    expect(expiryText(undefined, renew)).toBe('expires -');
  });
});
