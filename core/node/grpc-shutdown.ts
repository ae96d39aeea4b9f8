import type { EventEmitter } from 'node:events';
import type { Server } from '@grpc/grpc-js';

/**
 * A server's open streams, each with how it ends when the server stops: a Deliver stream has no
 * end of its own, and one left open holds `tryShutdown` until the grace period runs out.
 */
export class OpenStreams {
  private readonly ends = new Map<EventEmitter, () => void>();

  /** Remembers `call` and how to end it, until it closes. */
  track(call: EventEmitter, end: () => void): void {
    this.ends.set(call, end);
    const forget = (): void => void this.ends.delete(call);
    for (const event of ['close', 'finish', 'cancelled', 'error']) call.once(event, forget);
  }

  endAll(): void {
    for (const end of [...this.ends.values()]) end();
  }
}

/**
 * Stops a gRPC server: takes no new calls, ends `streams`, lets in-flight calls finish, and forces
 * the rest closed after `graceMs`.
 */
export function shutdownGrpcServer(server: Server, streams?: OpenStreams, graceMs = 2000): Promise<void> {
  const stopped = new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
  streams?.endAll();
  return stopped;
}
