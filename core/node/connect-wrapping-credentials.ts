import type { Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';

/** What grpc-js's `ChannelCredentials._createSecureConnector` returns (its `SecureConnector`, not exported by name). */
type SecureConnector = ReturnType<grpc.ChannelCredentials['_createSecureConnector']>;

/**
 * How grpc-js secures one connection: called once per connection attempt, right after TCP
 * connects, with that socket; resolves with the socket HTTP/2 then runs on (the TLS socket, or the
 * same one in plaintext).
 */
export type SecureConnect = SecureConnector['connect'];

/** The target a channel was made for (grpc-js's `GrpcUri`: `path` is the `host:port` dialled). */
export type ChannelTarget = Parameters<grpc.ChannelCredentials['_createSecureConnector']>[0];

/**
 * Credentials that behave as `inner`, each connection's set-up going through `wrap`. grpc-js hands
 * no socket out and has no hook per connection: this wraps the connector it builds per subchannel
 * (`_createSecureConnector`, grpc-js 1.14), which is the one place a connection's socket passes.
 * `beforeTcpConnect`, when given, is called as each connection attempt starts: grpc-js waits for
 * the connector to be ready, then opens the TCP connection in the same turn of the event loop.
 */
export class ConnectWrappingCredentials extends grpc.ChannelCredentials {
  constructor(
    private readonly inner: grpc.ChannelCredentials,
    private readonly wrap: (connect: SecureConnect) => SecureConnect,
    private readonly beforeTcpConnect?: (target: ChannelTarget) => void,
  ) {
    super();
  }

  override _isSecure(): boolean {
    return this.inner._isSecure();
  }

  // Each wrapper is its own: grpc-js shares a subchannel only between clients given equal credentials.
  override _equals(other: grpc.ChannelCredentials): boolean {
    return other === this;
  }

  override _createSecureConnector(...args: Parameters<grpc.ChannelCredentials['_createSecureConnector']>): SecureConnector {
    const connector = this.inner._createSecureConnector(...args);
    const beforeTcpConnect = this.beforeTcpConnect;
    const [target] = args;
    return {
      connect: this.wrap((socket: Socket) => connector.connect(socket)),
      waitForReady: beforeTcpConnect === undefined ? () => connector.waitForReady() : () => connector.waitForReady().then(() => beforeTcpConnect(target)),
      getCallCredentials: () => connector.getCallCredentials(),
      destroy: () => connector.destroy(),
    };
  }
}
