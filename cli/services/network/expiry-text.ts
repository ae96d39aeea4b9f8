import type { CertificateExpiry } from './certificate-expiry-report';

/**
 * `expires 2036-11-21` in `weft network status`, flagged when within `EXPIRY_SOON_DAYS` days or
 * past, with the command that renews (or, past, recovers) it: an operator who sees a certificate
 * about to end gets the line to run, not only the word "renew".
 */
export function expiryText(c: CertificateExpiry | undefined, renewCommand: string): string {
  if (c === undefined) return 'expires -';
  const date = c.notAfter.slice(0, 10);
  if (c.state === 'expired') return `EXPIRED ${date} (recover: ${renewCommand})`;
  return c.state === 'expiring' ? `EXPIRES ${date} (${c.daysLeft} days left; renew: ${renewCommand})` : `expires ${date}`;
}
