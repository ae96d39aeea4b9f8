import { z } from 'zod';

/**
 * gRPC keepalive: HTTP/2 PINGs that find a connection that died without a FIN or RST (a host
 * powered off, a NAT or firewall that dropped the flow). Without them an idle event stream waits
 * forever on a client, and on a server holds its handler, buffers and open-stream metrics, until
 * TCP's own keepalive gives up after two hours.
 *
 * grpc-js pings every `intervalMs` whatever the traffic, and a PING not acknowledged within
 * `timeoutMs` drops the connection: a client's calls end with UNAVAILABLE ("Connection dropped"),
 * a server's streams are cancelled. So a dead connection is found at most `intervalMs + timeoutMs`
 * after the last answered ping.
 */
export interface Keepalive {
  readonly intervalMs: number;
  readonly timeoutMs: number;
}

/**
 * What the CLI's clients send: found dead within 50 s. The timeout is Fabric's and gRPC's default
 * client timeout (a PING is answered by the peer's HTTP/2 layer, not its busy handlers). Weft's
 * servers (grpc-js) answer pings at any rate; a Fabric peer (grpc-go, `peer.keepalive.minInterval`
 * 60 s) answers a third 30 s ping on an idle stream with GOAWAY `too_many_pings`, after which grpc-js
 * pings every 60 s and a watcher resumes from its checkpoint.
 */
export const CLI_CLIENT_KEEPALIVE: Keepalive = { intervalMs: 30_000, timeoutMs: 20_000 };

/**
 * What a peer sends the orderers and peers it dials: Fabric's `DefaultKeepaliveOptions` client
 * interval and timeout (`internal/pkg/comm/config.go`), also while no call is open, as Fabric's
 * `PermitWithoutStream`; a Fabric orderer or peer (grpc-go, minimum 60 s) accepts it.
 */
export const NODE_CLIENT_KEEPALIVE: Keepalive = { intervalMs: 60_000, timeoutMs: 20_000 };

/**
 * What a peer's or orderer's server sends its clients unless configured: Fabric's timeout
 * (`DefaultKeepaliveOptions.ServerTimeout`, `internal/pkg/comm/config.go`), but a 60 s interval
 * where Fabric keeps gRPC's two hours, so a Deliver stream whose client vanished is released
 * within 80 s. Clients never refuse a server's pings, so this costs one small frame a minute.
 */
export const DEFAULT_SERVER_KEEPALIVE: Keepalive = { intervalMs: 60_000, timeoutMs: 20_000 };

/**
 * A server's keepalive in a node config: the peer's `peer.keepalive` (Fabric `peer.keepalive.interval`
 * and `timeout`), the orderer's `orderer.keepalive` (Fabric `General.Keepalive.ServerInterval` and
 * `ServerTimeout`). Fabric's `minInterval` / `ServerMinInterval` has no counterpart: grpc-js servers
 * enforce no minimum between a client's pings.
 */
export const ServerKeepalive = z
  .object({
    intervalMs: z.number().int().positive().default(DEFAULT_SERVER_KEEPALIVE.intervalMs),
    timeoutMs: z.number().int().positive().default(DEFAULT_SERVER_KEEPALIVE.timeoutMs),
  })
  .strict();
export type ServerKeepalive = z.infer<typeof ServerKeepalive>;

/** grpc-js channel options of a client that pings, also while no call is open (Fabric's `PermitWithoutStream`). */
export function clientKeepaliveOptions(k: Keepalive = CLI_CLIENT_KEEPALIVE): Record<string, number> {
  return { 'grpc.keepalive_time_ms': k.intervalMs, 'grpc.keepalive_timeout_ms': k.timeoutMs, 'grpc.keepalive_permit_without_calls': 1 };
}

/** grpc-js server options of a server that pings each client connection. */
export function serverKeepaliveOptions(k: Keepalive = DEFAULT_SERVER_KEEPALIVE): Record<string, number> {
  return { 'grpc.keepalive_time_ms': k.intervalMs, 'grpc.keepalive_timeout_ms': k.timeoutMs };
}
