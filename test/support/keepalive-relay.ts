/**
 * A TCP relay between a gRPC client and a server that can turn into a black hole: its connections
 * stay open on both sides but no byte crosses any more (a host powered off, a NAT or firewall that
 * dropped the flow), so neither end sees a FIN or RST and only keepalive can tell. Connections made
 * after that are relayed again, as a new flow through a NAT would be.
 *
 * It also reads the HTTP/2 frames of plaintext connections, to count the PINGs a client sends and
 * the GOAWAYs a server answers.
 */
import * as net from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const PING = 0x6;
const GOAWAY = 0x7;
const ACK = 0x1;

export interface Http2FramesSeen {
  /** PINGs the client sent (not acknowledgements), with when each crossed. */
  readonly clientPings: number[];
  /** PINGs the server sent (not acknowledgements). */
  serverPings: number;
  /** GOAWAYs the server sent: their error code and debug data (`too_many_pings`). */
  readonly goaways: { readonly code: number; readonly debug: string }[];
}

export interface KeepaliveRelay {
  readonly address: string;
  /** Connections accepted so far. */
  connections(): number;
  /** What crossed the connections while they were relayed (plaintext HTTP/2 only). */
  readonly frames: Http2FramesSeen;
  /** From now on, every open connection drops what either side sends, and closes neither side. */
  blackHole(): void;
  close(): Promise<void>;
}

/** Reads HTTP/2 frames from a byte stream as it comes, after the client's preface when `client`. */
function frameReader(client: boolean, onFrame: (type: number, flags: number, payload: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let prefaceLeft = client ? PREFACE.length : 0;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    if (prefaceLeft > 0) {
      const skip = Math.min(prefaceLeft, pending.length);
      pending = pending.subarray(skip);
      prefaceLeft -= skip;
    }
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) return;
      onFrame(pending[3]!, pending[4]!, pending.subarray(9, 9 + length));
      pending = pending.subarray(9 + length);
    }
  };
}

/** Starts a relay on a free loopback port to `upstream` (`host:port`). */
export async function startKeepaliveRelay(upstream: string): Promise<KeepaliveRelay> {
  const [host, port] = [upstream.slice(0, upstream.lastIndexOf(':')), Number(upstream.slice(upstream.lastIndexOf(':') + 1))];
  const frames: Http2FramesSeen = { clientPings: [], serverPings: 0, goaways: [] };
  const open = new Set<{ holed: boolean; readonly sockets: readonly net.Socket[] }>();
  let connections = 0;
  const server = net.createServer((downstream) => {
    connections++;
    const up = net.connect(port, host);
    const pair = { holed: false, sockets: [downstream, up] };
    open.add(pair);
    const fromClient = frameReader(true, (type, flags) => {
      if (type === PING && (flags & ACK) === 0) frames.clientPings.push(Date.now());
    });
    const fromServer = frameReader(false, (type, flags, payload) => {
      if (type === PING && (flags & ACK) === 0) frames.serverPings++;
      if (type === GOAWAY) frames.goaways.push({ code: payload.readUInt32BE(4), debug: payload.subarray(8).toString('latin1') });
    });
    // Read and dropped, not paused: a paused socket would fill TCP's buffers and stall the sender visibly.
    downstream.on('data', (chunk: Buffer) => {
      if (pair.holed) return;
      fromClient(chunk);
      up.write(chunk);
    });
    up.on('data', (chunk: Buffer) => {
      if (pair.holed) return;
      fromServer(chunk);
      downstream.write(chunk);
    });
    // A relayed close is passed on; once holed, nothing is (the far side would learn of it otherwise).
    const closeBoth = (): void => {
      if (pair.holed) return;
      open.delete(pair);
      downstream.destroy();
      up.destroy();
    };
    for (const s of pair.sockets) {
      s.on('error', () => undefined);
      s.on('close', closeBoth);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    connections: () => connections,
    frames,
    blackHole: () => {
      for (const pair of open) pair.holed = true;
    },
    close: async () => {
      for (const pair of open) for (const s of pair.sockets) s.destroy();
      open.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
