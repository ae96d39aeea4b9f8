/** PEM armour helpers shared by the generator (RFC 7468: base64 wrapped at 64 columns). */
export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER inside the first PEM block with `label`, or undefined when there is none. */
export function fromPem(label: string, pem: string): Uint8Array | undefined {
  const match = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]+)-----END ${label}-----`).exec(pem);
  if (!match) return undefined;
  return new Uint8Array(Buffer.from(match[1].replace(/\s+/g, ''), 'base64'));
}
