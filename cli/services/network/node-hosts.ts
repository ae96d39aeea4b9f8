import { promises as dns } from 'node:dns';
import * as net from 'node:net';
import * as os from 'node:os';
import { z } from 'zod';

const DNS_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * Where a node is reached: a DNS name or an IPv4 address. IPv6 literals are refused because
 * `host:port` addresses, as Fabric writes orderer endpoints and anchor peers, cannot carry them.
 */
export const NodeHost = z
  .string()
  .refine((h) => net.isIPv4(h) || (!net.isIP(h) && DNS_NAME.test(h) && h.length <= 253), 'a DNS name or an IPv4 address (for IPv6, use a DNS name)');

/** A host name or address that always means this machine. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || (net.isIPv4(host) && host.startsWith('127.'));
}

/**
 * What a node listens on for a service advertised at `address` (`host:port`): the address itself
 * on a loopback host (a development network stays unreachable from outside), otherwise every
 * interface, as Fabric's `0.0.0.0:7051` defaults: behind NAT or in a container, the advertised
 * host name or address is often not one of the machine's own.
 */
export function listenAddressFor(address: string): string {
  const i = address.lastIndexOf(':');
  return isLoopbackHost(address.slice(0, i)) ? address : `0.0.0.0:${address.slice(i + 1)}`;
}

/**
 * Whether `host` is this machine: loopback, the machine's host name, one of its interfaces'
 * addresses, or a name that resolves to one of them.
 */
export async function isThisMachine(host: string): Promise<boolean> {
  if (isLoopbackHost(host)) return true;
  if (host.toLowerCase() === os.hostname().toLowerCase()) return true;
  const own = new Set(
    Object.values(os.networkInterfaces())
      .flat()
      .map((a) => a?.address),
  );
  if (own.has(host)) return true;
  if (net.isIP(host)) return false;
  try {
    const resolved = await dns.lookup(host, { all: true });
    return resolved.some((a) => own.has(a.address) || isLoopbackHost(a.address));
  } catch {
    return false;
  }
}
