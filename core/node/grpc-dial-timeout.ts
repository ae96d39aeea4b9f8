import { subscribe } from 'node:diagnostics_channel';
import { isIP, type Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { NodeError } from '../errors';
import { type ChannelTarget, ConnectWrappingCredentials, type SecureConnect } from './connect-wrapping-credentials';

/**
 * `credentials` whose every connection to `address` must be up within `timeoutMs` of its attempt
 * starting: TCP connected, TLS handshake done (when secure) and the server's first HTTP/2 frame
 * read, or the connection is destroyed and the attempt fails with a `DIAL_TIMEOUT` reason naming
 * the address, the bound and the stage it stopped at. grpc-js bounds none of these (its keepalive
 * starts once HTTP/2 is up): a dial to something that accepts TCP and never answers (a load
 * balancer with no backend, a half-open connection, a port another process holds) stayed
 * CONNECTING on that socket for ever, and one to a host that drops packets until the OS gave up
 * (Linux: ~2 min); each call failed at its own deadline and no new attempt was made, so the node
 * never reached the real server when it came back. Failed, the channel goes TRANSIENT_FAILURE (its
 * calls fail UNAVAILABLE with the reason) and grpc-js dials afresh after its backoff.
 *
 * Costs one timer per connection attempt, nothing per call. `address` names the node in messages;
 * the TCP connection bounded is the one grpc-js opens to the channel's own target.
 */
export function boundDial(credentials: grpc.ChannelCredentials, address: string, timeoutMs: number): grpc.ChannelCredentials {
  const secure = credentials._isSecure();
  watchTcpConnects();
  return new ConnectWrappingCredentials(
    credentials,
    (connect) => (socket) => boundConnect(connect, socket, { address, timeoutMs, secure }),
    (target) => expectTcpConnect(target, address, timeoutMs),
  );
}

/** A connection attempt whose TCP socket grpc-js is about to open. */
interface TcpDial {
  readonly address: string;
  readonly timeoutMs: number;
  /** The target's host when it is an IP address (the socket must dial that one); undefined for a name grpc-js resolves. */
  readonly ip: string | undefined;
  readonly port: number;
  readonly startedAt: number;
}

/** Attempts whose socket grpc-js has not opened yet: it does so in the same turn of the event loop as the attempt starts. */
const awaitingSocket: TcpDial[] = [];
/** When the attempt each bounded socket belongs to started: its TLS handshake and HTTP/2 get what is left of the bound. */
const attemptStarts = new WeakMap<Socket, number>();
let watching = false;

/**
 * grpc-js opens a connection's TCP socket itself (`net.connect`, before any hook of its
 * credentials), so the socket is caught as Node announces each client socket it creates
 * (`net.client.socket`), and told from others by the address it then connects to. Only sockets
 * created while an attempt awaits its own are looked at.
 */
function watchTcpConnects(): void {
  if (watching) return;
  watching = true;
  subscribe('net.client.socket', (message) => {
    if (awaitingSocket.length === 0) return;
    const socket = (message as { socket: Socket }).socket;
    socket.once('connectionAttempt', (ip: string, port: number) => {
      const i = awaitingSocket.findIndex((dial) => dial.port === port && (dial.ip === undefined || dial.ip === ip));
      if (i < 0) return;
      const [dial] = awaitingSocket.splice(i, 1);
      boundTcpConnect(socket, dial!);
    });
  });
}

function expectTcpConnect(target: ChannelTarget, address: string, timeoutMs: number): void {
  const { host, port } = hostPort(target.path);
  const dial: TcpDial = { address, timeoutMs, ip: isIP(host) === 0 ? undefined : host, port, startedAt: Date.now() };
  awaitingSocket.push(dial);
  // A socket not opened by then never will be for this attempt (it failed first, or went through a proxy).
  setImmediate(() => {
    const i = awaitingSocket.indexOf(dial);
    if (i >= 0) awaitingSocket.splice(i, 1);
  });
}

/** `host:port`, `[v6]:port` or a bare host (gRPC's default port, 443). */
function hostPort(path: string): { host: string; port: number } {
  const colon = path.lastIndexOf(':');
  const bracketed = path.startsWith('[');
  if (colon < 0 || (bracketed && colon < path.indexOf(']'))) return { host: bracketed ? path.slice(1, -1) : path, port: 443 };
  const host = path.slice(0, colon);
  return { host: bracketed ? host.slice(1, -1) : host, port: Number(path.slice(colon + 1)) };
}

function boundTcpConnect(socket: Socket, dial: TcpDial): void {
  attemptStarts.set(socket, dial.startedAt);
  const cancel = boundSilence(dial.startedAt + dial.timeoutMs, dial.timeoutMs, () => !socket.connecting, () => {
    // grpc-js listens for the socket's error while it connects and reports its message on the channel.
    socket.destroy(
      new NodeError(
        'DIAL_TIMEOUT',
        `no TCP connection to ${dial.address} within ${dial.timeoutMs} ms (the dial timeout): nothing answers there (the host is down or unreachable, or a firewall drops the packets); dialling again`,
        { address: dial.address, timeoutMs: dial.timeoutMs, stage: 'TCP connect' },
      ),
    );
  });
  socket.once('connect', cancel);
  socket.once('close', cancel);
}

/**
 * Calls `onSilence` at `due` unless `answered()` by then; returns the cancel. A timer that fired
 * well past its time means this process was not running (a stalled event loop, a starved CPU):
 * timers run before pending I/O, so what the other side did meanwhile is unseen yet. The bound
 * judges the other side's silence, not ours: it gets `timeoutMs` again, counted from then.
 */
function boundSilence(due: number, timeoutMs: number, answered: () => boolean, onSilence: () => void): () => void {
  let timer: NodeJS.Timeout;
  const expire = (): void => {
    if (answered()) return;
    if (Date.now() - due > timeoutMs / 2) {
      due = Date.now() + timeoutMs;
      arm();
      return;
    }
    onSilence();
  };
  const arm = (): void => {
    timer = setTimeout(expire, Math.max(0, due - Date.now()));
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

function boundConnect(connect: SecureConnect, socket: Socket, dial: { readonly address: string; readonly timeoutMs: number; readonly secure: boolean }): ReturnType<SecureConnect> {
  return new Promise((resolve, reject) => {
    /** The socket HTTP/2 runs on, once TLS (if any) is up. */
    let secured: Socket | undefined;
    // A server's SETTINGS frame is the first thing it sends on HTTP/2: one byte read and it answered.
    const answered = (): boolean => secured !== undefined && secured.bytesRead > 0;
    const cancel = boundSilence((attemptStarts.get(socket) ?? Date.now()) + dial.timeoutMs, dial.timeoutMs, answered, () => {
      const stage = secured === undefined && dial.secure ? 'TLS handshake' : 'HTTP/2 settings frame';
      const err = new NodeError(
        'DIAL_TIMEOUT',
        `no ${stage} from ${dial.address} within ${dial.timeoutMs} ms (the dial timeout): something accepts connections there but does not answer as a gRPC server; dialling again`,
        { address: dial.address, timeoutMs: dial.timeoutMs, stage },
      );
      if (secured === undefined) {
        reject(err);
        socket.destroy();
        return;
      }
      // grpc-js listens for the error while it waits for HTTP/2 and passes its message to the calls; an unheard 'error' would crash the process.
      if (secured.listenerCount('error') > 0) secured.destroy(err);
      else secured.destroy();
    });
    socket.once('close', cancel);
    connect(socket).then(
      (result) => {
        secured = result.socket;
        resolve(result);
      },
      (err: unknown) => {
        cancel();
        reject(err as Error);
      },
    );
  });
}
