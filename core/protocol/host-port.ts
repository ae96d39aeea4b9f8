/**
 * `host:port` as nodes announce and dial each other: a DNS name or IPv4 address, or an IPv6
 * address in brackets, then a port from 1 to 65535. Anything else (a URI scheme, a path, spaces)
 * is refused before it reaches a gRPC client, some of which throw on construction.
 */
const HOST_PORT = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,252})|\[[0-9A-Fa-f:.]{2,45}\]):(\d{1,5})$/;

export function isHostPort(address: string): boolean {
  const m = HOST_PORT.exec(address);
  if (m === null) return false;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535;
}
