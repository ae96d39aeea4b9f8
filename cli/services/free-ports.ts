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
 * `WEFT_PORT_RANGE=low-high` overrides both, so processes that start networks side by side (test
 * workers, CI jobs on one host) can each be given ports of their own.
 */
export function candidatePortRange(
  ephemeral: readonly [number, number] = ephemeralPortRange(),
  configured: string | undefined = process.env.WEFT_PORT_RANGE,
): readonly [number, number] {
  if (configured !== undefined && configured !== '') return parsePortRange(configured);
  return ephemeral[0] - LOWEST >= 1000 ? [LOWEST, ephemeral[0]] : [LOWEST, HIGHEST];
}

function parsePortRange(text: string): readonly [number, number] {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const [low, high] = match === null ? [NaN, NaN] : [Number(match[1]), Number(match[2])];
  if (!(low >= 1024 && high <= 65535 && high - low >= 16)) {
    throw new WeftError('BAD_PORT_RANGE', `WEFT_PORT_RANGE must be "low-high" with 1024 <= low, high <= 65535 and at least 16 ports; got ${JSON.stringify(text)}`, {
      field: 'WEFT_PORT_RANGE',
      value: text,
    });
  }
  return [low, high];
}

/**
 * Ports this process has handed out. A port is only checked, not held, until the node binds it, so
 * without this two calls before that bind could return the same one.
 */
const handedOut = new Set<number>();

/** Whether something could listen on `port` on loopback now (nothing else does). */
export function portListenable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * The first of `count` consecutive ports free on 127.0.0.1 now, from a random start in
 * {@link candidatePortRange}, none of them handed out before by this process.
 */
export async function findFreePorts(count: number): Promise<number> {
  const [low, high] = candidatePortRange();
  const bases = high - low - count + 1;
  const first = Math.floor(Math.random() * bases);
  // From a random start, then every base after it in turn, so a nearly full range is still searched whole.
  for (let i = 0; i < bases; i++) {
    const base = low + ((first + i) % bases);
    const ports = Array.from({ length: count }, (_, k) => base + k);
    if (ports.some((p) => handedOut.has(p))) continue;
    let ok = true;
    for (const p of ports) if (!(ok = await portListenable(p))) break;
    if (!ok) continue;
    for (const p of ports) handedOut.add(p);
    return base;
  }
  throw new WeftError('NO_FREE_PORTS', `could not find ${count} consecutive free ports between ${low} and ${high}`, { low, high, count });
}
