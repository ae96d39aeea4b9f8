import * as fs from 'node:fs';
import * as net from 'node:net';
import { WeftError } from '../../core/errors';

/** Linux's default `net.ipv4.ip_local_port_range`. */
const LINUX_EPHEMERAL: readonly [number, number] = [32768, 60999];
const LOWEST = 20_000;
const HIGHEST = 60_000;

/**
 * The range the kernel takes local ports from for outgoing connections (and for a listen on port
 * 0), read from /proc where there is one.
 */
export function ephemeralPortRange(file = '/proc/sys/net/ipv4/ip_local_port_range'): readonly [number, number] {
  try {
    const [low, high] = fs.readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low > 0 && low <= high) return [low, high];
  } catch {
    // not Linux: fall through
  }
  return LINUX_EPHEMERAL;
}

/**
 * Where {@link findFreePorts} looks: from 20000 up to the ephemeral range. A port the kernel may
 * hand to any outgoing connection can be taken between the check and the node's bind (seen as
 * EADDRINUSE while another network's clients were busy); when the ephemeral range leaves less
 * than 1,000 ports below it, all of 20000–60000 is used, as nothing else can be done.
 */
export function candidatePortRange(ephemeral: readonly [number, number] = ephemeralPortRange()): readonly [number, number] {
  return ephemeral[0] - LOWEST >= 1000 ? [LOWEST, ephemeral[0]] : [LOWEST, HIGHEST];
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive ports free on 127.0.0.1 now, from a random start in {@link candidatePortRange}. */
export async function findFreePorts(count: number): Promise<number> {
  const [low, high] = candidatePortRange();
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = low + Math.floor(Math.random() * (high - low - count));
    let ok = true;
    for (let p = base; p < base + count && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new WeftError('NO_FREE_PORTS', `could not find ${count} consecutive free ports between ${low} and ${high}`, { low, high, count });
}
