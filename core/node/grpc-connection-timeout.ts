import type { EventEmitter } from 'node:events';
import type { ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';
import type { Server } from '@grpc/grpc-js';
import { NodeError } from '../errors';

/** Fabric's `DefaultConnectionTimeout` (`internal/pkg/comm/config.go`), used when none is configured. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 5000;

/**
 * Fabric's connection timeout (grpc-go's `grpc.ConnectionTimeout`, from `peer.connectiontimeout`
 * or the orderer's `General.ConnectionTimeout`): a connection must finish its TLS handshake and
 * send HTTP/2's preface and settings within `timeoutMs` of being accepted, or it is closed. Without
 * it, a connection that never got that far held a file descriptor for 120 s (Node's TLS handshake
 * timeout) or, past TLS, with no limit but keepalive's (its first ping after two hours), so a
 * client could take the node's descriptors (and with them its ledger files and new connections) without a single call.
 *
 * Must be called after the server is bound. grpc-js has no such option and does not expose its
 * listeners; they are read from its `http2Servers` field, and a grpc-js that renames it makes this
 * throw, not silently leave the node unprotected.
 */
export function enforceConnectionTimeout(server: Server, timeoutMs: number): void {
  for (const listener of grpcListeners(server, 'cannot enforce the connection timeout')) watch(listener, timeoutMs);
}

/**
 * The bound `http2.Http2SecureServer`s (or plain ones) of a grpc-js server, read from its private
 * `http2Servers` field: grpc-js exposes no other way to reach the accepted sockets. A grpc-js that
 * renames the field makes this throw (`purpose` says what could not be done), never silently
 * return nothing.
 */
export function grpcListeners(server: Server, purpose: string): EventEmitter[] {
  const listeners = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(listeners instanceof Map)) {
    throw new NodeError('GRPC_LISTENERS_UNREADABLE', `${purpose}: this grpc-js keeps its listeners elsewhere than Server.http2Servers`, {
      field: 'http2Servers',
    });
  }
  return [...(listeners.keys() as Iterable<EventEmitter>)];
}

function watch(listener: EventEmitter, timeoutMs: number): void {
  // By remote address: a session hands out only a proxy of its socket, never the accepted one.
  const unestablished = new Map<string, { readonly timer: NodeJS.Timeout; outer: { destroy(): void } }>();
  const key = (socket: { remoteAddress?: string; remotePort?: number }): string => `${socket.remoteAddress}:${socket.remotePort}`;
  const settle = (k: string): void => {
    clearTimeout(unestablished.get(k)?.timer);
    unestablished.delete(k);
  };
  listener.on('connection', (socket: Socket) => {
    const k = key(socket);
    const entry = { timer: setTimeout(() => entry.outer.destroy(), timeoutMs), outer: socket as { destroy(): void } };
    unestablished.set(k, entry);
    socket.once('close', () => settle(k));
  });
  listener.on('session', (session: ServerHttp2Session) => {
    const k = key(session.socket);
    // Once there is a session, it is what closes the connection (its socket is not ours to destroy).
    const entry = unestablished.get(k);
    if (entry !== undefined) entry.outer = session;
    // The client's first SETTINGS frame comes right after its preface: the connection is established.
    session.once('remoteSettings', () => settle(k));
    session.once('close', () => settle(k));
  });
}
