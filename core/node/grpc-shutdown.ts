import type { Server } from '@grpc/grpc-js';

/**
 * Stops a gRPC server: lets in-flight calls finish, and forces the rest closed after `graceMs`
 * (a Deliver stream with no end would otherwise hold `tryShutdown` open forever).
 */
export function shutdownGrpcServer(server: Server, graceMs = 2000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
