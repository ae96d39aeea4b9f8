import * as path from 'node:path';
import { ChaincodeRuntime } from '../chaincode/chaincode-runtime';
import { ChaincodeRuntimeRouter } from '../chaincode/chaincode-runtime-router';
import { PackageTypeRuntime } from '../chaincode/package-type-runtime';
import { DataDirLock } from '../node/data-dir-lock';
import { PackageStore } from '../chaincode/package-store';
import { LedgerStoreProvider } from '../ledger/ledger-store-provider';
import { MspProvider } from '../msp/msp';
import { readConfigFile } from '../node/config';
import { readSnapshotMetadata } from '../ledger/snapshot-metadata';
import { assembleContainer } from '../node/container';
import { loadPlugin } from '../node/plugin-loader';
import { type Logger, NodeLogging } from '../node/logger';
import type { OperationsServer } from '../node/operations/operations-server';
import { DeliverMetrics } from '../node/operations/deliver-metrics';
import { GrpcServerMetrics } from '../node/operations/grpc-server-metrics';
import { registerLedgerGauges } from '../node/operations/ledger-metrics';
import { TrustedClientRoots } from '../node/trusted-client-roots';
import { CertificateReloader, type ReloadOutcome } from '../node/certificate-reload';
import { PolicyProvider } from '../policy/policy';
import type { Channel } from './channel/channel';
import { ChannelManager } from './channel/channel-manager';
import { DeliverService } from './deliver/deliver-service';
import { ChaincodeMetrics } from './chaincode-metrics';
import { ChannelFollowers } from './channel-followers';
import { ChaincodeLogs } from './endorser/chaincode-logs';
import { ChaincodeExecutor } from './endorser/chaincode-executor';
import { Endorser } from './endorser/endorser';
import { OwnSignatures } from './endorser/own-signatures';
import { EndorsementCollector } from './gateway/endorsement-collector';
import type { EndorsingPeer } from './gateway/endorser-client';
import { GatewayService } from './gateway/gateway-service';
import { PeerGrpcServer } from './grpc/peer-grpc-server';
import { ChaincodeIndexes } from './lifecycle/chaincode-indexes';
import { ChaincodeInstaller } from './lifecycle/chaincode-installer';
import { LifecycleCache } from './lifecycle/lifecycle-cache';
import { LifecycleScc } from './lifecycle/lifecycle-scc';
import { ledgerOptionsOf, type PeerConfig, snapshotsRootDir } from './peer-config';
import { PeerMetrics } from './peer-metrics';
import { ledgerHealthCheck, peerOperationsServer } from './peer-operations';
import { PeerNetwork } from './peer-network';
import { LocalPolicies } from './scc/acl';
import { Cscc } from './scc/cscc';
import { Lscc } from './scc/lscc';
import { Qscc } from './scc/qscc';
import type { SystemChaincode } from './scc/system-chaincode';
import { BlockValidator } from './validation/block-validator';
import { EndorsementPolicies } from './validation/endorsement-policies';
import { ThreadPoolSignatureVerifier } from './validation/signature-verifier';
import { PvtDistributor } from './privdata/pvt-distributor';
import { PvtPuller } from './privdata/pvt-puller';
import { PvtPushReceiver } from './privdata/pvt-receiver';
import { type PeerDiscovery, announcedAddressProblem, peerDiscovery } from './discovery/peer-discovery';
import { PeerError } from './peer-error';
import { SnapshotJoiner } from './snapshot/snapshot-joiner';
import { SnapshotManager } from './snapshot/snapshot-manager';
import { SnapshotService } from './snapshot/snapshot-service';
import { PruneService } from './prune/prune-service';

/**
 * Plugins every peer loads beside its slots', as Fabric's peer image ships its ccaas builder: each
 * binds {@link PackageTypeRuntime}, so a package of its type runs there with no YAML naming it.
 */
const BUILTIN_RUNTIME_PLUGINS = ['runtime-ccaas'];

/**
 * A peer node: local MSP, one ledger per joined channel, the endorser with its system chaincodes,
 * the committer fed by block pullers, and the Endorser / Deliver / Gateway gRPC services plus the
 * operations endpoint. Built from a validated {@link PeerConfig}; `start` then `stop`.
 */
export class PeerNode {
  readonly logging: NodeLogging;
  readonly logger: Logger;
  private readonly channels: ChannelManager;
  private readonly grpc: PeerGrpcServer;
  private readonly executor: ChaincodeExecutor;
  private readonly operations: OperationsServer | undefined;
  /** Each open channel's block puller, reconciler and what follows its blocks. */
  private readonly followers: ChannelFollowers;
  private readonly grpcMetrics: GrpcServerMetrics | undefined;
  /** Stops counting the gRPC server's connections. */
  private unwatchConnections: (() => void) | undefined;
  private readonly indexes: ChaincodeIndexes;
  private readonly network: PeerNetwork;
  private readonly gateway: GatewayService | undefined;
  private readonly runtime: ChaincodeRuntime | undefined;
  /** Closed at stop: its signers' PKCS#11 sessions end with the node. */
  private readonly mspProvider: MspProvider;
  private readonly discovery: PeerDiscovery;
  private readonly snapshots: SnapshotManager;
  private readonly snapshotJoiner: SnapshotJoiner;
  private started = false;
  private boundPort = 0;
  private lock: DataDirLock | undefined;
  /** Under mutual TLS: the client CAs the gRPC server takes, following the channels' configs. */
  private clientRoots: TrustedClientRoots | undefined;
  /** The local MSP's signer and the gRPC listener's TLS identity (also the client certificate), which a SIGHUP reloads. */
  private readonly certs: CertificateReloader;

  constructor(readonly config: PeerConfig) {
    const { node, peer } = config;
    this.logging = new NodeLogging(node.logLevel, { node: node.id });
    this.logger = this.logging.logger('nodeCmd');
    const { container } = assembleContainer(node, {
      logging: this.logging,
      requiredTokens: { ledger: LedgerStoreProvider, msp: MspProvider, policy: PolicyProvider, runtime: ChaincodeRuntime },
    });
    const mspProvider = (this.mspProvider = container.get<MspProvider>(MspProvider));
    const policyProvider = container.get<PolicyProvider>(PolicyProvider);
    const ledgers = container.get<LedgerStoreProvider>(LedgerStoreProvider);
    const slotRuntime = container.isBound(ChaincodeRuntime) ? container.get<ChaincodeRuntime>(ChaincodeRuntime) : undefined;
    if (slotRuntime !== undefined) for (const ref of BUILTIN_RUNTIME_PLUGINS) container.load(loadPlugin(ref, node.baseDir).module);
    this.runtime = slotRuntime && new ChaincodeRuntimeRouter(slotRuntime, container.getAll<PackageTypeRuntime>(PackageTypeRuntime, { optional: true }));
    const ledgerOptions = ledgerOptionsOf(node);

    this.operations = peerOperationsServer(config, this.logging);
    const { tls } = peer;
    const tlsFiles = tls.enabled ? { certFile: tls.certFile!, keyFile: tls.keyFile!, certField: 'peer.tls.certFile', keyField: 'peer.tls.keyFile' } : undefined;
    const msp = { dir: node.msp.dir, id: node.msp.id, provider: mspProvider };
    this.certs = new CertificateReloader({ msp, tls: tlsFiles, dialsWithServerCertificate: true, logger: this.logging.logger('certmonitor'), registry: this.operations?.registry, operations: this.operations });
    // The local admin checks, the endorser's creator check and discovery hold it: a reload switches it for all of them.
    const localMsp = this.certs.localMsp;
    const metrics = this.operations === undefined ? undefined : new PeerMetrics(this.operations.registry);
    const deliverMetrics = this.operations === undefined ? undefined : new DeliverMetrics(this.operations.registry);
    const chaincodeMetrics = this.operations === undefined ? undefined : new ChaincodeMetrics(this.operations.registry, slotRuntime);
    if (this.operations !== undefined) registerLedgerGauges(this.operations.registry, ledgers);

    const policies = new EndorsementPolicies(policyProvider);
    const own = new OwnSignatures(this.certs.signer);
    const validator = new BlockValidator(new ThreadPoolSignatureVerifier(), policies, own);
    const network = (this.network = new PeerNetwork(config, () => this.channels, (channelId) => this.discovery.learned(channelId), this.logging.logger('comm.peers'), this.certs.serverTls));
    this.certs.serveDialsOn(network);
    const pvtPuller = new PvtPuller({
      peers: (channelId) => this.network.pvtPeers(channelId),
      signer: this.certs.signer,
      get tlsCertHash() { return network.clientCertHash; }, // read per pull: a reload changes it
      pullTimeoutMs: peer.privateData.pullRetryThresholdMs,
      logger: this.logging.logger('gossip.privdata'),
      metrics,
    });
    this.channels = new ChannelManager({
      ledgers,
      ledgerOptions,
      msp: mspProvider,
      policy: policyProvider,
      validator,
      logger: this.logging.logger('committer'),
      localMspId: node.msp.id,
      metrics,
      transientDir: path.join(node.dataDir, 'transient'),
      transientRetention: peer.privateData.transientStoreMaxBlockRetention,
      pvtPuller,
      onChannel: (joined) => {
        this.followers.follow(joined);
        network.channelOpened();
      },
    });

    this.snapshots = new SnapshotManager({ rootDir: snapshotsRootDir(config), logger: this.logging.logger('kvledger'), registry: this.operations?.registry });
    this.snapshotJoiner = new SnapshotJoiner(
      (dir) => this.channels.joinBySnapshot(dir),
      (dir) => {
        const channelId = readSnapshotMetadata(dir).channelName;
        if (this.channels.get(channelId) !== undefined) {
          throw new PeerError('PEER_CHANNEL_EXISTS', `ledger [${channelId}] already exists with state [ACTIVE]`, { channelId });
        }
      },
      this.logging.logger('ledgermgmt'),
    );
    const packages = new PackageStore(path.join(node.dataDir, 'chaincodes'));
    const sccs = new Map<string, SystemChaincode>();
    // Installs load through the executor, so an install and the first proposal share one launch.
    this.indexes = new ChaincodeIndexes(node.msp.id, packages, this.logging.logger('lifecycle'), (channel, work) => {
      const committer = this.channels.get(channel.id)?.committer;
      return committer === undefined ? work() : committer.exclusive(work);
    });
    this.followers = new ChannelFollowers({
      config,
      signer: this.certs.signer,
      orderers: network,
      pvtPuller,
      snapshots: this.snapshots,
      indexes: this.indexes,
      metrics,
      logging: this.logging,
      started: () => this.started,
      clientRoots: () => this.clientRoots,
    });
    const installer = new ChaincodeInstaller(
      packages,
      this.runtime === undefined ? undefined : (packageId, label) => this.executor.load(packageId, label),
      async () => {
        await Promise.all(this.channels.list().map((id) => this.indexes.refresh(this.channels.channel(id) as Channel)));
      },
    );
    const localPolicies = new LocalPolicies(localMsp, node.msp.id);
    for (const scc of [
      new LifecycleScc(localPolicies, installer, () => this.channels.list().flatMap((id) => this.channels.channel(id) ?? [])),
      new Qscc((id) => this.channels.channel(id)),
      new Lscc(localPolicies, (id) => this.channels.channel(id)),
      new Cscc({
        local: localPolicies,
        channel: (id) => this.channels.channel(id),
        channelIds: () => this.channels.list(),
        join: (block) => {
          this.snapshotJoiner.refuseWhileJoining();
          this.channels.join(block);
        },
        joinBySnapshot: (dir) => this.snapshotJoiner.start(dir),
        joinBySnapshotStatus: () => this.snapshotJoiner.status(),
      }),
    ]) {
      sccs.set(scc.name, scc);
    }
    const executor = (this.executor = new ChaincodeExecutor({
      mspId: node.msp.id,
      runtime: this.runtime,
      packages,
      systemChaincode: (name) => sccs.get(name),
      channel: (id) => this.channels.channel(id),
      executeTimeoutMs: peer.chaincodeExecuteTimeoutMs,
      metrics: chaincodeMetrics,
      logs: new ChaincodeLogs(this.logging),
      policies,
    }));
    const lifecycle = new LifecycleCache();
    const endorser = new Endorser(
      {
        localDeserializer: localMsp,
        channel: (id) => this.channels.channel(id),
        isSystemChaincode: (name) => sccs.has(name),
        timeWindowMs: peer.authTimeWindowMs,
        now: () => Date.now(),
      },
      executor,
      own.recordingSigner(),
      metrics,
      new PvtDistributor({
        peers: (channelId) => this.network.pvtPeers(channelId),
        collection: (channel, chaincode, collection) => lifecycle.collection(channel.ledger, chaincode, collection),
        signer: this.certs.signer,
        pushAckTimeoutMs: peer.privateData.pushAckTimeoutMs,
        logger: this.logging.logger('gossip.privdata'),
        metrics,
      }),
    );
    const local: EndorsingPeer = {
      address: peer.externalAddress ?? peer.listenAddress,
      mspId: node.msp.id,
      processProposal: (signed, _deadline, parsed, signal) => endorser.processProposal(parsed ?? signed, { signal }),
    };
    this.gateway = peer.gateway.enabled
      ? new GatewayService({
          endorser,
          collector: new EndorsementCollector(policies),
          local,
          peers: (channelId) => this.network.endorsers(channelId),
          channel: (id) => this.channels.channel(id),
          committer: (id) => this.channels.get(id)?.committer,
          broadcasters: (channelId) => this.network.broadcasters(channelId),
          endorsementTimeoutMs: peer.gateway.endorsementTimeoutMs,
          broadcastTimeoutMs: peer.gateway.broadcastTimeoutMs,
          isSystemChaincode: (name) => sccs.has(name),
        })
      : undefined;
    this.discovery = peerDiscovery({
      config: peer.discovery,
      signer: this.certs.signer,
      localMsp,
      endpoint: () => this.advertisedAddress(),
      channels: () => this.channels.list().flatMap((id) => this.channels.channel(id) ?? []),
      channel: (id) => this.channels.channel(id),
      network: this.network,
      packages,
      policies,
      logger: this.logging.logger('discovery'),
    });
    this.grpc = new PeerGrpcServer(
      {
        endorser,
        deliver: new DeliverService((id) => this.channels.channel(id), { timeWindowMs: config.peer.authTimeWindowMs, metrics: deliverMetrics, policies, logger: this.logging.logger('common.deliver') }),
        gateway: this.gateway,
        privateData: new PvtPushReceiver((id) => this.channels.channel(id), node.msp.id),
        discovery: this.discovery.service,
        membership: this.discovery.exchange,
        snapshot: new SnapshotService(this.snapshots, localPolicies),
        prune: new PruneService({
          ledger: (id) => this.channels.channel(id)?.ledger,
          snapshotRoot: snapshotsRootDir(config),
          local: localPolicies,
          logger: this.logging.logger('kvledger'),
        }),
      },
      this.logging.logger('comm.grpc.server'),
      config.peer.limits.concurrency,
      (this.grpcMetrics = this.operations === undefined ? undefined : new GrpcServerMetrics(this.operations.registry)),
      config.peer.connectionTimeoutMs,
      config.peer.keepalive,
    );
  }

  /** The gRPC port actually bound (useful when the config asks for port 0). */
  get port(): number {
    return this.boundPort;
  }

  /** Where other nodes and clients reach this peer: `peer.externalAddress`, else the listen address with the bound port. */
  advertisedAddress(): string {
    const { externalAddress, listenAddress } = this.config.peer;
    if (externalAddress !== undefined) return externalAddress;
    return this.boundPort === 0 ? listenAddress : listenAddress.replace(/:\d+$/, `:${this.boundPort}`);
  }

  /** The operations endpoint's `host:port`, when configured. */
  operationsAddress(): string | undefined {
    return this.operations?.address();
  }

  /**
   * Opens the ledgers on disk, starts pulling blocks and serving gRPC and operations. If any part
   * fails (a port in use, a corrupt ledger), what was started is stopped before the error is thrown.
   */
  async start(): Promise<void> {
    try {
      await this.startParts();
    } catch (err) {
      await this.stop().catch((stopErr: unknown) => this.logger.warn({ err: stopErr }, 'stopping a node that failed to start'));
      throw err;
    }
  }

  private async startParts(): Promise<void> {
    this.lock = DataDirLock.acquire(this.config.node.dataDir, `peer ${this.config.node.id}`);
    this.started = true;
    const { tls } = this.config.peer;
    const mutual = tls.enabled && tls.clientAuthRequired;
    // Without mutual gRPC TLS it only holds the channels' TLS CRLs, which the operations endpoint refuses too.
    if (mutual || this.config.peer.operations?.tls?.enabled === true) {
      const rootFiles = mutual ? tls.rootCertFiles.map((file, i) => ({ file, field: `peer.tls.rootCertFiles[${i}]` })) : [];
      const files = rootFiles.map(({ file, field }) => readConfigFile(file, field));
      this.clientRoots = new TrustedClientRoots(files, this.logging.logger('comm.grpc.server'));
      this.certs.serveClientRootsOn({ roots: this.clientRoots, files: rootFiles }, files);
      this.operations?.refuseRevokedClients(this.clientRoots);
    }
    this.channels.openAll();
    this.snapshots.forgetAllBut(this.channels.list());
    for (const { packageId, error } of await this.executor.preloadInstalled(this.channels.list().flatMap((id) => this.channels.channel(id) ?? []))) {
      this.logger.warn({ packageId, err: error }, 'installed chaincode package could not be loaded');
    }
    this.boundPort = await this.grpc.start(this.config.peer.listenAddress, this.config.peer.tls, mutual ? this.clientRoots : undefined, this.certs.serverTls);
    this.unwatchConnections = this.grpcMetrics?.watchConnections(this.boundPort);
    this.discovery.exchange.start();
    const announced = announcedAddressProblem(this.config.peer.externalAddress, this.config.peer.listenAddress);
    if (announced !== undefined) this.logger.warn(announced);
    if (this.operations !== undefined) {
      this.operations.addHealthChecker(ledgerHealthCheck(this.channels));
      await this.operations.start();
    }
    this.certs.trackExpiry();
    this.logger.info({ port: this.boundPort, channels: this.channels.list(), overriddenFromEnv: this.config.node.overriddenFromEnv }, 'peer started');
  }

  /** Joins a channel from its genesis block bytes (what `cscc JoinChain` does). */
  joinChannel(genesisBlock: Uint8Array): void {
    this.channels.join(genesisBlock);
  }

  channelIds(): string[] {
    return this.channels.list();
  }

  /** Ledger height of a joined channel (tests, tools). */
  height(channelId: string): number {
    return this.channels.channel(channelId)?.height() ?? 0;
  }

  /** SIGHUP: re-reads the local MSP (CAs, admins, CRLs), its signcert and key and the TLS cert and key (served and dialled with), and switches to them if they pass the checks. */
  reloadCertificates(): ReloadOutcome {
    return this.certs.reload();
  }

  async stop(): Promise<void> {
    this.certs.stop();
    await this.followers.stop();
    await this.discovery.exchange.stop();
    this.gateway?.close();
    await this.grpc.stop();
    this.unwatchConnections?.();
    this.unwatchConnections = undefined;
    await this.operations?.stop();
    this.network.close();
    await this.indexes.idle();
    // An import or export running in a worker still reads its ledger files.
    await this.snapshotJoiner.idle();
    await this.snapshots.idle();
    this.channels.close();
    await this.runtime?.close();
    this.mspProvider.close?.();
    this.lock?.release();
    this.lock = undefined;
  }
}
