import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { loadNodeConfig, type NodeConfig } from '../node/config';
import { DEFAULT_CONNECTION_TIMEOUT_MS } from '../node/grpc-connection-timeout';
import { ServerKeepalive } from '../node/grpc-keepalive';
import { formatZodIssues } from '../node/zod-issues';

const MiB = 1024 * 1024;
const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, "expected 'host:port', e.g. 127.0.0.1:7050");

/** A server's TLS material as files: its certificate and key, and the roots client certificates must chain to. */
const ServerTlsFiles = z
  .object({
    cert: z.string().min(1),
    key: z.string().min(1),
    /** Require client certificates chaining to `clientRootCAs` or to a TLS CA of an org of a channel this orderer serves (mutual TLS). */
    clientAuthRequired: z.boolean().default(false),
    clientRootCAs: z.array(z.string().min(1)).default([]),
  })
  .strict();

/**
 * The `orderer:` section of an orderer node's YAML config (beside the common node keys). File paths
 * are relative to the config file.
 */
export const OrdererSection = z
  .object({
    /** gRPC listener for AtomicBroadcast (Fabric `General.ListenAddress:ListenPort`). */
    listenAddress: hostPort.default('127.0.0.1:7050'),
    /** Server TLS is always on (Fabric `General.TLS`). */
    tls: ServerTlsFiles.refine((t) => !t.clientAuthRequired || t.clientRootCAs.length > 0, 'clientAuthRequired needs at least one clientRootCAs entry'),
    /** Channel participation API (Fabric `Admin`), always mutual TLS. Omit to disable it. */
    admin: z
      .object({
        listenAddress: hostPort.default('127.0.0.1:7053'),
        tls: z.object({ cert: z.string().min(1), key: z.string().min(1), clientRootCAs: z.array(z.string().min(1)).min(1) }).strict(),
        maxRequestBodyBytes: z.number().int().positive().default(MiB),
      })
      .strict()
      .optional(),
    /** Operations HTTP endpoint (Fabric `Operations.ListenAddress`): /healthz, /metrics, /version, /logspec. Omit to disable it. */
    operations: z
      .object({
        listenAddress: hostPort.default('127.0.0.1:8443'),
        /** Fabric `Operations.TLS`: HTTPS; /metrics and /logspec then need a client certificate chaining to `clientRootCAs`. */
        tls: ServerTlsFiles.extend({
          clientRootCAs: z.array(z.string().min(1)).min(1, 'needs at least one root: /metrics and /logspec accept only client certificates that chain to one'),
        }).optional(),
      })
      .strict()
      .optional(),
    /** How far a Deliver request's timestamp may be from the orderer's clock (Fabric `General.Authentication.TimeWindow`). */
    authTimeWindowMs: z.number().int().positive().default(15 * 60 * 1000),
    /**
     * Fabric `General.Authentication.NoExpirationChecks`: ignore the expiry of clients' certificates,
     * in the broadcast expiration rule and in Deliver, e.g. to recover a network whose certificates all
     * expired. TLS and the MSP are unaffected (the MSP never checks expiry).
     */
    noExpirationChecks: z.boolean().default(false),
    /** Fabric's `General.ConnectionTimeout`: an accepted connection must finish TLS and HTTP/2's preface within it, or is closed. */
    connectionTimeoutMs: z.number().int().positive().default(DEFAULT_CONNECTION_TIMEOUT_MS),
    /** Fabric's `General.Keepalive.ServerInterval` and `ServerTimeout` (ms): how often the orderer pings each client connection and how long it waits for the answer. */
    keepalive: ServerKeepalive.prefault({}),
    maxRecvMessageBytes: z.number().int().positive().default(100 * MiB),
    maxSendMessageBytes: z.number().int().positive().default(100 * MiB),
    broadcast: z
      .object({
        /** Envelopes answered out of one stream's pipeline before reading more. */
        maxInFlightPerStream: z.number().int().positive().default(1024),
        /** Recent transaction ids kept per channel, so an envelope broadcast again is not ordered twice: about 250 B of heap each (25 MB at the default). */
        replayWindow: z.number().int().positive().default(100_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type OrdererSection = z.infer<typeof OrdererSection>;

/** A validated orderer node config: the common node keys plus the `orderer` section with absolute paths. */
export type OrdererNodeConfig = NodeConfig & { readonly orderer: OrdererSection };

/** Validates the orderer section of an already-loaded node config. Throws `ConfigError` naming the path. */
export function toOrdererNodeConfig(config: NodeConfig, where = 'orderer config'): OrdererNodeConfig {
  if (config.kind !== 'orderer') {
    throw new ConfigError('CONFIG_INVALID', `${where}: kind must be "orderer", got "${config.kind}"`, { path: 'kind' });
  }
  const raw = (config as Record<string, unknown>).orderer;
  const parsed = OrdererSection.safeParse(raw ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ ...i, path: ['orderer', ...i.path] }));
    throw new ConfigError('CONFIG_INVALID', formatZodIssues(where, issues), {
      issues: issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  const o = parsed.data;
  const abs = (p: string) => path.resolve(config.baseDir, p);
  const absTls = <T extends { cert: string; key: string; clientRootCAs: string[] }>(t: T): T => ({ ...t, cert: abs(t.cert), key: abs(t.key), clientRootCAs: t.clientRootCAs.map(abs) });
  return {
    ...config,
    orderer: {
      ...o,
      tls: absTls(o.tls),
      admin: o.admin === undefined ? undefined : { ...o.admin, tls: absTls(o.admin.tls) },
      operations: o.operations?.tls === undefined ? o.operations : { ...o.operations, tls: absTls(o.operations.tls) },
    },
  };
}

/** Loads and validates an orderer node config file. */
export function loadOrdererConfig(file: string, env?: Readonly<Record<string, string | undefined>>): OrdererNodeConfig {
  return toOrdererNodeConfig(loadNodeConfig(file, { section: z.object({ orderer: OrdererSection }), env }), file);
}
