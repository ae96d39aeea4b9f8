import type { Socket } from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { NodeError } from '../errors';
import { ConnectWrappingCredentials, type SecureConnect } from './connect-wrapping-credentials';

/**
 * `credentials` whose every connection to `address` must be up within `timeoutMs` of TCP
 * connecting: TLS handshake done (when secure) and the server's first HTTP/2 frame read, or the
 * connection is destroyed and the attempt fails with a `DIAL_TIMEOUT` reason naming the address and
 * the bound. grpc-js bounds neither (its keepalive starts once HTTP/2 is up): a dial to something
 * that accepts TCP and never answers (a load balancer with no backend, a half-open connection, a
 * port another process holds) stayed CONNECTING on that socket for ever, each call failing at its
 * own deadline and no new attempt made, so the node never reached the real server when it came
 * back. Failed, the channel goes TRANSIENT_FAILURE (its calls fail UNAVAILABLE with the reason) and
 * grpc-js dials afresh after its backoff.
 *
 * Costs one timer per connection attempt, nothing per call. TCP's own connect (a host that drops
 * SYNs) is not covered: grpc-js does it before any hook, and the OS ends it (Linux: ~2 min).
 */
export function boundDial(credentials: grpc.ChannelCredentials, address: string, timeoutMs: number): grpc.ChannelCredentials {
  const secure = credentials._isSecure();
  return new ConnectWrappingCredentials(credentials, (connect) => (socket) => boundConnect(connect, socket, { address, timeoutMs, secure }));
}

function boundConnect(connect: SecureConnect, socket: Socket, dial: { readonly address: string; readonly timeoutMs: number; readonly secure: boolean }): ReturnType<SecureConnect> {
  return new Promise((resolve, reject) => {
    /** The socket HTTP/2 runs on, once TLS (if any) is up. */
    let secured: Socket | undefined;
    let due = Date.now() + dial.timeoutMs;
    const expire = (): void => {
      // A server's SETTINGS frame is the first thing it sends on HTTP/2: one byte read and it answered.
      if (secured !== undefined && secured.bytesRead > 0) return;
      // Fired well past its time, this process was not running (a stalled event loop, a starved CPU):
      // timers run before pending reads, so what the server sent meanwhile is unread yet. The bound
      // judges the server's silence, not ours: it gets the bound again, counted from now.
      if (Date.now() - due > dial.timeoutMs / 2) {
        due = Date.now() + dial.timeoutMs;
        timer = setTimeout(expire, dial.timeoutMs);
        timer.unref();
        return;
      }
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
    };
    let timer = setTimeout(expire, dial.timeoutMs);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    connect(socket).then(
      (result) => {
        secured = result.socket;
        resolve(result);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err as Error);
      },
    );
  });
}
