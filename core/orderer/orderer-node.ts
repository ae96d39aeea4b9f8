import * as path from 'node:path';
import { NodeLogging, type Logger } from '../node/logger';
import { Registry } from 'prom-client';
import type { Container } from '../di';
import { LedgerStoreProvider } from '../ledger/ledger-store-provider';
import { MspProvider } from '../msp/msp';
import { readConfigFile } from '../node/config';
import { assembleContainer, type AssembleOptions } from '../node/container';
import { DataDirLock } from '../node/data-dir-lock';
import { EventLoopLoad } from '../node/event-loop-load';
import { OperationsServer, readOperationsTls } from '../node/operations/operations-server';
import { DeliverMetrics } from '../node/operations/deliver-metrics';
import { GrpcServerMetrics } from '../node/operations/grpc-server-metrics';
import { registerLedgerGauges } from '../node/operations/ledger-metrics';
import { WEFT_VERSION } from '../node/operations/weft-version';
import { CertificateReloader, type ReloadOutcome } from '../node/certificate-reload';
import { TrustedClientRoots } from '../node/trusted-client-roots';
import { PolicyProvider } from '../policy/policy';
import { BroadcastHandler } from './broadcast-handler';
import { ChannelMetrics } from './channel-metrics';
import { Consenter } from './consenter';
import { DeliverHandler } from './deliver-handler';
import { OrdererGrpcServer } from './grpc-server';
import type { OrdererNodeConfig } from './orderer-config';
import { OrdererMetrics } from './orderer-metrics';
import { ParticipationApi } from './participation-api';
import { type ChannelListener, Registrar } from './registrar';
import { SignaturePrecheck } from './signature-precheck';

/** Where a started node listens (ports resolved when the config asked for port 0). */
export interface OrdererEndpoints {
  readonly grpcPort: number;
  readonly adminPort: number | undefined;
  /** `host:port` of the operations endpoint, when configured. */
  readonly operationsAddress: string | undefined;
}

/**
 * An orderer process: the plugins its config names (ledger, ordering, msp, policy), the channel
 * registrar, the AtomicBroadcast gRPC service and the channel participation API.
 */
export class OrdererNode {
  private container: Container | undefined;
  private registrar: Registrar | undefined;
  private grpc: OrdererGrpcServer | undefined;
  private admin: ParticipationApi | undefined;
  private operations: OperationsServer | undefined;
  /** Stops counting the gRPC server's connections. */
  private unwatchConnections: (() => void) | undefined;
  private lock: DataDirLock | undefined;
  /** The local MSP's signer and the TLS identities of the gRPC, admin and operations listeners, which a SIGHUP reloads. */
  private certs: CertificateReloader | undefined;
  readonly logging: NodeLogging;
  readonly logger: Logger;

  constructor(
    readonly config: OrdererNodeConfig,
    private readonly assembleOptions: Omit<AssembleOptions, 'requiredTokens'> = {},
  ) {
    this.logging = new NodeLogging(config.logLevel, { node: config.id });
    this.logger = this.logging.logger('orderer.common.server');
  }

  /**
   * Opens the channels and starts every listener. If any part fails (a port in use, an unreadable
   * certificate), the parts already started are stopped before the error is thrown, so a caller
   * that handles the failure is not left with a half-started node holding ports and ledgers.
   */
  async start(): Promise<OrdererEndpoints> {
    try {
      return await this.startParts();
    } catch (err) {
      await this.stop().catch((stopErr: unknown) => this.logger.warn({ err: stopErr }, 'stopping a node that failed to start'));
      throw err;
    }
  }

  private async startParts(): Promise<OrdererEndpoints> {
    this.lock = DataDirLock.acquire(this.config.dataDir, `orderer ${this.config.id}`);
    const { container } = assembleContainer(this.config, {
      ...this.assembleOptions,
      logging: this.logging,
      requiredTokens: { ledger: LedgerStoreProvider, ordering: Consenter, msp: MspProvider, policy: PolicyProvider },
    });
    this.container = container;
    const mspProvider = container.get<MspProvider>(MspProvider);
    const policyProvider = container.get<PolicyProvider>(PolicyProvider);
    const precheck = new SignaturePrecheck(new EventLoopLoad());
    const o = this.config.orderer;
    const clientRootCAs = o.tls.clientRootCAs.map((f, i) => readConfigFile(f, `orderer.tls.clientRootCAs[${i}]`));
    // Built without mutual gRPC TLS too: the admin and operations listeners refuse the TLS certificates its channels revoke.
    const mutualRoots = o.tls.clientAuthRequired ? clientRootCAs : [];
    const clientRoots = new TrustedClientRoots(mutualRoots, this.logging.logger('comm.grpc.server'));
    // Channels open with their metrics, before the operations server that serves this registry exists.
    const registry = this.config.orderer.operations === undefined ? undefined : new Registry();
    this.certs = new CertificateReloader({
      msp: { dir: this.config.msp.dir, id: this.config.msp.id, provider: mspProvider },
      tls: { certFile: o.tls.cert, keyFile: o.tls.key, certField: 'orderer.tls.cert', keyField: 'orderer.tls.key' },
      logger: this.logging.logger('certmonitor'),
      registry,
    });
    const rootFiles = o.tls.clientAuthRequired ? o.tls.clientRootCAs.map((file, i) => ({ file, field: `orderer.tls.clientRootCAs[${i}]` })) : [];
    this.certs.serveClientRootsOn({ roots: clientRoots, files: rootFiles }, mutualRoots);
    const { signer, serverTls } = this.certs;
    const ledgers = container.get<LedgerStoreProvider>(LedgerStoreProvider);
    if (registry !== undefined) registerLedgerGauges(registry, ledgers);
    this.registrar = new Registrar({
      ledgers,
      consenter: container.get<Consenter>(Consenter),
      providers: { mspProvider, policyProvider, precheck },
      signer,
      dataDir: path.join(this.config.dataDir, 'orderer'),
      logger: this.logging.logger('orderer.common.multichannel'),
      ...(registry !== undefined && { metrics: new ChannelMetrics(registry) }),
      expirationChecks: !this.config.orderer.noExpirationChecks,
      channelListener: trustChannelClients(clientRoots),
      ...(serverTls !== undefined && { serverTlsCert: () => serverTls.current().cert }),
    });
    this.registrar.start();

    const registrar = this.registrar;
    if (o.operations !== undefined) {
      const tls = o.operations.tls;
      this.operations = new OperationsServer({
        listenAddress: o.operations.listenAddress,
        version: WEFT_VERSION,
        logging: this.logging,
        registry,
        ...(tls !== undefined && { tls: readOperationsTls('orderer.operations.tls', tls, { cert: 'cert', key: 'key', clientRootCAs: 'clientRootCAs' }) }),
      });
      this.operations.addHealthChecker({
        name: 'channels',
        check: () => {
          // Each with its reason, as Fabric's healthz lists each failed checker with its error.
          const failed = registrar.list().flatMap(({ name }) => {
            const reason = registrar.failure(name);
            return reason === undefined ? [] : [`${name} (${reason})`];
          });
          if (failed.length > 0) throw new Error(`channels not serving: ${failed.join('; ')}`);
        },
      });
    }
    this.operations?.refuseRevokedClients(clientRoots);
    this.certs.serveOn(this.operations);
    // Fabric's TrackExpiration (orderer/common/server/main.go); Weft's orderer has no cluster client certificate.
    this.certs.trackExpiry();
    const metrics = this.operations === undefined ? undefined : new OrdererMetrics(this.operations.registry, registrar);
    const grpcMetrics = this.operations === undefined ? undefined : new GrpcServerMetrics(this.operations.registry);
    const broadcast = new BroadcastHandler(
      registrar,
      { maxEnvelopeBytes: o.maxRecvMessageBytes, replayWindow: o.broadcast.replayWindow },
      this.logging.logger('orderer.common.broadcast'),
      precheck,
      metrics,
    );
    this.grpc = new OrdererGrpcServer(
      {
        address: o.listenAddress,
        tls: {
          ...serverTls!.current(),
          identity: serverTls,
          clientRootCAs,
          clientAuthRequired: o.tls.clientAuthRequired,
          ...(o.tls.clientAuthRequired && { clientRoots }),
        },
        maxRecvMessageBytes: o.maxRecvMessageBytes,
        maxSendMessageBytes: o.maxSendMessageBytes,
        maxInFlightPerStream: o.broadcast.maxInFlightPerStream,
        connectionTimeoutMs: o.connectionTimeoutMs,
        keepalive: o.keepalive,
        ...(grpcMetrics !== undefined && { metrics: grpcMetrics }),
      },
      broadcast,
      new DeliverHandler(registrar, {
        timeWindowMs: o.authTimeWindowMs,
        expirationChecks: !o.noExpirationChecks,
        logger: this.logging.logger('common.deliver'),
        metrics: this.operations === undefined ? undefined : new DeliverMetrics(this.operations.registry),
      }),
      this.logging.logger('comm.grpc.server'),
    );
    await this.grpc.start();
    this.unwatchConnections = grpcMetrics?.watchConnections(this.grpc.port);

    if (o.admin !== undefined) {
      const [host, port] = splitHostPort(o.admin.listenAddress);
      const adminRootFiles = o.admin.tls.clientRootCAs.map((file, i) => ({ file, field: `orderer.admin.tls.clientRootCAs[${i}]` }));
      this.admin = new ParticipationApi(
        {
          host,
          port,
          cert: readConfigFile(o.admin.tls.cert, 'orderer.admin.tls.cert'),
          key: readConfigFile(o.admin.tls.key, 'orderer.admin.tls.key'),
          files: { certFile: o.admin.tls.cert, keyFile: o.admin.tls.key, certField: 'orderer.admin.tls.cert', keyField: 'orderer.admin.tls.key' },
          clientRootFiles: adminRootFiles,
          clientRootCAs: adminRootFiles.map(({ file, field }) => readConfigFile(file, field)),
          maxRequestBodyBytes: o.admin.maxRequestBodyBytes,
        },
        this.registrar,
        this.logging.logger('orderer.common.channelparticipation'),
      );
      this.admin.refuseRevokedClients(clientRoots);
      this.certs.serveAdminOn(this.admin);
      await this.admin.start();
    }
    await this.operations?.start();
    const operationsAddress = this.operations?.address();
    this.logger.info(
      { grpc: this.grpc.port, admin: this.admin?.port, operations: operationsAddress, overriddenFromEnv: this.config.overriddenFromEnv },
      'orderer started',
    );
    return { grpcPort: this.grpc.port, adminPort: this.admin?.port, operationsAddress };
  }

  /** SIGHUP: re-reads the MSP, its signcert and key, and the listeners' TLS certs, keys and client CA roots, and switches to them if they all pass the checks. */
  reloadCertificates(): ReloadOutcome {
    if (this.certs === undefined) return { result: 'refused', file: this.config.msp.dir, reason: 'the orderer is not started' };
    return this.certs.reload();
  }

  /** Stops listening, halts every chain and closes the ledgers. Idempotent. */
  async stop(): Promise<void> {
    this.certs?.stop();
    await this.operations?.stop();
    await this.admin?.stop();
    await this.grpc?.stop();
    this.unwatchConnections?.();
    this.unwatchConnections = undefined;
    await this.registrar?.stop();
    this.operations = undefined;
    this.admin = undefined;
    this.grpc = undefined;
    this.registrar = undefined;
    await this.container?.unbindAll();
    this.container = undefined;
    this.lock?.release();
    this.lock = undefined;
  }
}

/**
 * Fabric's orderer `caManager.updateTrustedRoots`: under mutual TLS the TLS CAs of every served
 * channel's application and orderer orgs are trusted client roots, from the channel's open on,
 * after each of its config blocks (applied before the block is written, as the resources are), and
 * no longer once it is removed. The same orgs' TLS CRLs are what every listener of the orderer
 * refuses, with or without mutual gRPC TLS.
 */
function trustChannelClients(roots: TrustedClientRoots): ChannelListener {
  return {
    opened(support) {
      const apply = (): void => roots.setChannel(support.channelId, support.resources.config.msps);
      apply();
      support.onConfig(apply);
    },
    removed(channelId) {
      roots.removeChannel(channelId);
    },
  };
}

function splitHostPort(address: string): [string, number] {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
