import * as os from 'node:os';
import * as path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors';
import { LedgerOptions } from '../ledger/ledger-options';
import { loadNodeConfig, type NodeConfig, slotOptions } from '../node/config';
import { DEFAULT_CONNECTION_TIMEOUT_MS } from '../node/grpc-connection-timeout';
import { DEFAULT_PEER_DIAL_TIMEOUT_MS } from '../node/dial-timeouts';
import { ServerKeepalive } from '../node/grpc-keepalive';
import { formatZodIssues } from '../node/zod-issues';
import { parseGoDurationNanos } from '../protocol/go-time-duration';
import { DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS, DEFAULT_DELIVERY_TIMINGS, type DeliveryTimings } from './orderer/delivery-timings';

/** TLS material of a gRPC server or client, as files (PEM). */
export const TlsFiles = z
  .object({
    enabled: z.boolean().default(false),
    certFile: z.string().optional(),
    keyFile: z.string().optional(),
    /** Roots that client certificates must chain to (server; under `clientAuthRequired`, besides the TLS CAs of the joined channels' application orgs) or the server must chain to (client). */
    rootCertFiles: z.array(z.string()).default([]),
    /** Mutual TLS: the server demands a client certificate. */
    clientAuthRequired: z.boolean().default(false),
  })
  .strict();
export type TlsFiles = z.infer<typeof TlsFiles>;

/**
 * A peer of the channel known to the Gateway, until discovery exists: where it listens, its org
 * and the TLS root its certificate chains to. Fabric learns these from gossip membership.
 */
export const KnownPeer = z
  .object({
    address: z.string().min(1),
    mspId: z.string().min(1),
    tlsRootCertFile: z.string().optional(),
    /** TLS server name override (the cert's SAN), when the address is an IP. */
    serverNameOverride: z.string().optional(),
  })
  .strict();
export type KnownPeer = z.infer<typeof KnownPeer>;

/**
 * A duration written as Fabric writes it (a Go duration string: "3s", "500ms", "1h"), in ms; zero
 * ("0", "0s") or absent means Fabric's default, as viper's zero value does there. A negative or
 * unparsable value is refused (Fabric would silently take the default for the latter).
 */
function goDurationMs(defaultMs: number) {
  return z
    .string({ error: 'expected a Go duration string such as "3s" (a bare number has no unit)' })
    .optional()
    .transform((text, ctx) => {
      if (text === undefined) return defaultMs;
      let nanos: bigint;
      try {
        nanos = parseGoDurationNanos(text);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `${(err as Error).message}: expected a Go duration such as "3s", "500ms" or "1h"` });
        return z.NEVER;
      }
      if (nanos < 0n) {
        ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is negative: expected a positive Go duration such as "3s", or 0 for the default` });
        return z.NEVER;
      }
      return nanos === 0n ? defaultMs : Math.max(1, Math.round(Number(nanos) / 1e6));
    });
}

/** The `peer:` section of a peer node's YAML config (Fabric's `core.yaml` peer section, trimmed). */
export const PeerSection = z
  .object({
    /** gRPC listen address (`peer.listenAddress`); port 0 picks one. */
    listenAddress: z.string().default('127.0.0.1:7051'),
    /** The address other nodes and clients reach this peer at (`peer.address`). */
    externalAddress: z.string().optional(),
    // `.prefault({})` parses `{}` through the object's schema: its fields' own defaults are the only copy.
    tls: TlsFiles.prefault({}),
    /** TLS roots trusted when dialling orderers, added to those of the channel config. */
    ordererTlsRootCertFiles: z.array(z.string()).default([]),
    /** Orderer addresses overriding the channel config's (tests, NAT). */
    ordererAddressOverrides: z.record(z.string(), z.string()).default({}),
    /**
     * Threads verifying a block's signatures in parallel (`peer.validatorPoolSize`, 0 = cores): the
     * size of libuv's pool, on which the committer's `crypto.verify` calls run.
     */
    validatorPoolSize: z.number().int().min(0).default(0),
    /** Proposal timestamp window (`peer.authentication.timewindow`), ms. */
    authTimeWindowMs: z.number().int().positive().default(15 * 60 * 1000),
    gateway: z
      .object({
        enabled: z.boolean().default(true),
        endorsementTimeoutMs: z.number().int().positive().default(30_000),
        broadcastTimeoutMs: z.number().int().positive().default(30_000),
        /** Peers of the channel's orgs other than this one. */
        peers: z.array(KnownPeer).default([]),
      })
      .strict()
      .prefault({}),
    operations: z
      .object({
        listenAddress: z.string().default('127.0.0.1:9443'),
        /** Fabric `operations.tls`: HTTPS; /metrics and /logspec then need a client certificate chaining to `rootCertFiles`. */
        tls: TlsFiles.optional(),
      })
      .strict()
      .optional(),
    /** Fabric's `peer.connectiontimeout`: an accepted connection must finish TLS and HTTP/2's preface within it, or is closed. */
    connectionTimeoutMs: z.number().int().positive().default(DEFAULT_CONNECTION_TIMEOUT_MS),
    /** Fabric's `peer.keepalive.interval` and `timeout` (ms): how often the peer pings each client connection and how long it waits for the answer. */
    keepalive: ServerKeepalive.prefault({}),
    /** `peer.limits.concurrency`: calls in flight per gRPC service (a stream counts as one), 0 = unlimited; Fabric's defaults. */
    limits: z
      .object({
        concurrency: z
          .object({
            endorserService: z.number().int().nonnegative().default(2500),
            deliverService: z.number().int().nonnegative().default(2500),
            gatewayService: z.number().int().nonnegative().default(500),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    /** Fabric's `peer.discovery`: the `discovery.Discovery` service and the membership it reports. */
    discovery: z
      .object({
        enabled: z.boolean().default(true),
        /** Local peer queries from any member of this peer's org, not only its admins (`orgMembersAllowedAccess`). */
        orgMembersAllowedAccess: z.boolean().default(false),
        /** How often this peer signs its membership messages anew and asks the peers it knows for theirs (`peer.gossip.aliveTimeInterval`), ms. */
        membershipIntervalMs: z.number().int().positive().default(5000),
        /** How long a peer stays a member without a newer message (`peer.gossip.aliveExpirationTimeout`), ms. */
        membershipExpiryMs: z.number().int().positive().default(25_000),
      })
      .strict()
      .prefault({}),
    /** Fabric's `peer.gossip`, for the connections Weft's peers make to each other (endorsement, private data, membership). */
    gossip: z
      .object({
        /** `dialTimeout`: how long a connection to another peer may take to come up (TLS handshake and HTTP/2 settings) before it is dropped and dialled again (default 3s). */
        dialTimeout: goDurationMs(DEFAULT_PEER_DIAL_TIMEOUT_MS),
      })
      .strict()
      .transform((g) => ({ dialTimeoutMs: g.dialTimeout }))
      .prefault({}),
    /** Fabric's `peer.deliveryclient`: how the block puller dials orderers and backs off between attempts. */
    deliveryClient: z
      .object({
        /** `connTimeout`: how long a connection to an orderer may take before the next endpoint is tried, and before a connection that is not up is dropped and dialled again (default 3s). */
        connTimeout: goDurationMs(DEFAULT_DELIVERY_TIMINGS.connTimeoutMs),
        /** `reConnectBackoffThreshold`: the longest wait between two attempts (default 3600s); waits grow ×1.2 from 100ms up to it. */
        reConnectBackoffThreshold: goDurationMs(DEFAULT_DELIVERY_TIMINGS.reConnectBackoffThresholdMs),
        /** `blockCensorshipTimeoutKey`: on a BFT channel, how long other orderers may show a block the source has not delivered before the peer leaves it (default 30s). */
        blockCensorshipTimeoutKey: goDurationMs(DEFAULT_BLOCK_CENSORSHIP_TIMEOUT_MS),
      })
      .strict()
      .transform((d): DeliveryTimings => ({ connTimeoutMs: d.connTimeout, reConnectBackoffThresholdMs: d.reConnectBackoffThreshold, blockCensorshipTimeoutMs: d.blockCensorshipTimeoutKey }))
      .prefault({}),
    /** Fabric's `ledger.snapshots`: where this peer writes the ledger snapshots it is asked for. */
    snapshots: z
      .object({
        /** `rootDir`: completed snapshots go to `<rootDir>/completed/<channel>/<block>`; default `<node.dataDir>/snapshots`. */
        rootDir: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
    /** Chaincode execute timeout (`chaincode.executetimeout`), ms. */
    chaincodeExecuteTimeoutMs: z.number().int().positive().default(30_000),
    /** Fabric's `peer.gossip.pvtData`, for Weft's private data pushes and transient store. */
    privateData: z
      .object({
        /** How long an endorsement waits for the acknowledgements a collection's `requiredPeerCount` needs (`pushAckTimeout`), ms. */
        pushAckTimeoutMs: z.number().int().positive().default(3000),
        /** Blocks an uncommitted transaction's private data is kept (`transientstoreMaxBlockRetention`). */
        transientStoreMaxBlockRetention: z.number().int().positive().default(20_000),
        /**
         * Weft's: bytes of uncommitted private data one sender (a client's endorsements, a peer's
         * pushes) may hold in a channel's transient store; past it, its own oldest entries go.
         * Unset: 128 MiB, a quarter of the store's bound (`DEFAULT_TRANSIENT_MAX_BYTES_PER_SENDER`, applied by the peer).
         */
        transientStoreMaxBytesPerSender: z.number().int().positive().optional(),
        /** How long a commit keeps asking other peers for private data this peer lacks (`pullRetryThreshold`), ms. */
        pullRetryThresholdMs: z.number().int().nonnegative().default(60_000),
        /** Whether committed blocks' missing private data is asked of other peers later (`reconciliationEnabled`). */
        reconciliationEnabled: z.boolean().default(true),
        /** Between two reconciliation rounds (`reconcileSleepInterval`), ms. */
        reconcileSleepIntervalMs: z.number().int().positive().default(60_000),
        /** Missing collections asked for per round (`reconcileBatchSize`). */
        reconcileBatchSize: z.number().int().positive().default(10),
        /** How long a collection no peer gave is left out of the rounds (`deprioritizedDataReconcilerInterval`), ms. */
        deprioritizedDataReconcilerIntervalMs: z.number().int().positive().default(3_600_000),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type PeerSection = z.infer<typeof PeerSection>;

/** A peer's resolved config: the node config plus its `peer` section with paths made absolute. */
export interface PeerConfig {
  readonly node: NodeConfig;
  readonly peer: PeerSection;
}

/** Validates the `peer:` section of a node config and resolves its file paths against the config's dir. */
export function parsePeerConfig(node: NodeConfig): PeerConfig {
  if (node.kind !== 'peer') {
    throw new ConfigError('CONFIG_WRONG_KIND', `config for node ${node.id} has kind "${node.kind}", expected "peer"`, { kind: node.kind });
  }
  const raw = (node as Record<string, unknown>).peer ?? {};
  const parsed = PeerSection.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError('CONFIG_INVALID', formatZodIssues('peer section', parsed.error.issues), {
      where: 'peer',
      issues: parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message })),
    });
  }
  const p = parsed.data;
  const abs = (f: string): string => path.resolve(node.baseDir, f);
  const absOpt = (f: string | undefined): string | undefined => (f === undefined ? undefined : abs(f));
  const absTls = (t: TlsFiles): TlsFiles => ({ ...t, certFile: absOpt(t.certFile), keyFile: absOpt(t.keyFile), rootCertFiles: t.rootCertFiles.map(abs) });
  const peer: PeerSection = {
    ...p,
    validatorPoolSize: p.validatorPoolSize === 0 ? Math.max(1, os.availableParallelism()) : p.validatorPoolSize,
    tls: absTls(p.tls),
    ordererTlsRootCertFiles: p.ordererTlsRootCertFiles.map(abs),
    gateway: { ...p.gateway, peers: p.gateway.peers.map((kp) => ({ ...kp, tlsRootCertFile: absOpt(kp.tlsRootCertFile) })) },
    operations: p.operations?.tls === undefined ? p.operations : { ...p.operations, tls: absTls(p.operations.tls) },
    snapshots: { rootDir: absOpt(p.snapshots.rootDir) },
  };
  if (peer.tls.enabled && (peer.tls.certFile === undefined || peer.tls.keyFile === undefined)) {
    throw new ConfigError('CONFIG_INVALID', 'peer.tls.enabled is true but peer.tls.certFile or peer.tls.keyFile is missing', { where: 'peer.tls' });
  }
  const opsTls = peer.operations?.tls;
  if (opsTls?.enabled === true && (opsTls.certFile === undefined || opsTls.keyFile === undefined || opsTls.rootCertFiles.length === 0)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      'peer.operations.tls.enabled is true but certFile, keyFile or rootCertFiles is missing (/metrics and /logspec accept only client certificates that chain to rootCertFiles)',
      { where: 'peer.operations.tls' },
    );
  }
  return { node, peer };
}

/** Reads a peer's YAML config file with its `WEFT_*` environment overrides (`WEFT_PEER_LISTENADDRESS`, …) and validates it. */
export function loadPeerConfig(file: string, env?: Readonly<Record<string, string | undefined>>): PeerConfig {
  return parsePeerConfig(loadNodeConfig(file, { section: z.object({ peer: PeerSection }), env }));
}

/** Where the peer's ledger snapshots go: `peer.snapshots.rootDir`, by default under the data directory (Fabric's default is under `peer.fileSystemPath`). */
export function snapshotsRootDir(config: PeerConfig): string {
  return config.peer.snapshots.rootDir ?? path.join(config.node.dataDir, 'snapshots');
}

/** The core ledger's options (limits, caches), taken from the ledger plugin's options where they are given. */
export function ledgerOptionsOf(node: NodeConfig): LedgerOptions {
  const options = slotOptions(node, 'ledger');
  return LedgerOptions.parse(Object.fromEntries(Object.keys(LedgerOptions.shape).filter((k) => k in options).map((k) => [k, options[k]])));
}
