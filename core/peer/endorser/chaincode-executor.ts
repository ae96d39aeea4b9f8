import type { ChaincodeEventOut, ChaincodeInvocation, ChaincodeResponse, ChaincodeRuntime, RuntimeSupport } from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';
import { ChaincodeError } from '../../errors';
import type { ChaincodeMetrics, LaunchOutcome } from '../chaincode-metrics';
import type { ChaincodeLogs } from './chaincode-logs';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Identity } from '../../msp/identity';
import { purgesPrivateData } from '../../protocol/capabilities';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { approvedChaincodes } from '../lifecycle/lifecycle-state';
import { PeerError } from '../peer-error';
import type { SystemChaincode } from '../scc/system-chaincode';
import { TransactionContexts } from './transaction-contexts';
import { ChaincodeCalls, parseCallee, sccHandler, type Caller, type Target } from './chaincode-calls';
import { executeFailure, failingAs, invokeFailure, lookupFailure } from './execution-failures';
import { checkInitInvocation } from './init-required';
import { signerIsMember } from '../privdata/collection-membership';
import type { EndorsementPolicies } from '../validation/endorsement-policies';
import { CollectionCheckedSimulator } from '../privdata/collection-access';
import type { ProposalSimulation } from './proposal-simulation';

/** The one endorsement plugin a Weft peer has: Fabric's default `escc` (sign the payload with the peer's identity). */
export const DEFAULT_ENDORSEMENT_PLUGIN = 'escc';

/** Fabric's `scc.SysCCVersion`: the version a system chaincode's endorsed action carries (validation refuses an empty one). */
export const SYSTEM_CHAINCODE_VERSION = 'syscc';

/** What one simulation produced. */
export interface ExecutionResult {
  readonly response: ChaincodeResponse;
  readonly event?: ChaincodeEventOut;
  /** `ChaincodeID.version` for the endorsed action: the definition's version (Fabric's `syscc` for system chaincodes). */
  readonly version: string;
  /** The definition's endorsement plugin, which signs the response (`escc` for system chaincodes). */
  readonly endorsementPlugin: string;
}

/** What the executor needs from the peer. */
export interface ExecutorSupport {
  readonly mspId: string;
  readonly runtime: ChaincodeRuntime | undefined;
  readonly packages: PackageStore;
  systemChaincode(name: string): SystemChaincode | undefined;
  /** A joined channel, for chaincode-to-chaincode calls to another channel (none when omitted). */
  channel?(channelId: string): Channel | undefined;
  readonly executeTimeoutMs: number;
  /** Fabric's chaincode metrics; absent when the peer has no operations endpoint. */
  readonly metrics?: ChaincodeMetrics;
  /** Where chaincode log entries go; absent: they are dropped inside the sandbox. */
  readonly logs?: ChaincodeLogs;
  /** Compiles collections' member orgs policies; absent: collection membership is by MSP id. */
  readonly policies?: Pick<EndorsementPolicies, 'signaturePolicy'>;
}

/**
 * Runs the chaincode a proposal names: a system chaincode in-process, or the package this org
 * approved for the committed definition, in the runtime. The definition is read through the
 * simulator so the transaction depends on it (MVCC invalidates it if the definition changes before
 * commit); this org's approval is read outside the rwset, since every org reads a different key.
 * Chaincode-to-chaincode calls ({@link ChaincodeCalls}) run the callee in the same simulator (same
 * channel) or in a throw-away one (another channel: its writes are dropped), as Fabric's handler does.
 */
export class ChaincodeExecutor {
  private readonly installed = new Map<string, Promise<void>>();
  private readonly lifecycle = new LifecycleCache();
  private readonly contexts = new TransactionContexts();
  private readonly calls: ChaincodeCalls;

  constructor(private readonly support: ExecutorSupport) {
    this.calls = new ChaincodeCalls({
      runtime: support.runtime,
      packages: support.packages,
      metrics: support.metrics,
      contexts: this.contexts,
      systemChaincode: (name) => support.systemChaincode(name),
      channel: (id) => support.channel?.(id),
      target: (name, channel, simulator) => this.target(name, channel, simulator),
      load: (packageId, name) => this.load(packageId, name),
      invocation: (proposal, name, channelId, args, isInit) => this.invocation(proposal, name, channelId, args, isInit),
      collectionChecked: (simulator, channel, proposal, mspId) => this.collectionChecked(simulator, channel, proposal, mspId),
      runtimeSupport: (caller, name, meter) => this.runtimeSupport(caller, name, meter),
    });
  }

  /**
   * Opens the proposal's transaction context in the chaincode it names and returns what closes it.
   * Fabric's handler opens it as the chaincode starts to run; Weft's endorser calls this before the
   * simulation waits for the channel's state (a commit under way) or a sandbox: a second proposal
   * with the same txid, channel and chaincode is refused from then until the first is simulated, as
   * Fabric refuses one that overlaps it. A chaincode this peer cannot run gets no context (its
   * lookup fails first, as in Fabric).
   */
  openContext(proposal: ParsedSignedProposal, channel: Channel | undefined): () => void {
    const handler = this.handlerOf(proposal.chaincodeName, channel);
    if (handler === undefined) return () => undefined;
    return failingAs(
      () => this.contexts.create(handler, channel?.id ?? '', proposal.txId),
      (err) => executeFailure(proposal, 'error sending', err),
    );
  }

  /** Fabric's chaincode handler of `name`: the package this org approved for its committed definition, or the system chaincode. */
  private handlerOf(name: string, channel: Channel | undefined): string | undefined {
    if (this.support.systemChaincode(name) !== undefined) return sccHandler(name);
    if (channel === undefined) return undefined;
    const definition = this.lifecycle.definition(channel.ledger, name);
    return definition && this.approval(channel.ledger, name, definition.sequence)?.packageId;
  }

  /**
   * This org's approval of the definition of `name` committed at `sequence`. Its package is the
   * org's private value when this peer holds it; a peer without it (it joined after the approval,
   * say) finds the installed package whose hash the approval stores, as Fabric's cache does. The
   * package store is listed only then: it reads a directory.
   */
  private approval(ledger: Channel['ledger'], name: string, sequence: number): ReturnType<LifecycleCache['approval']> {
    const approval = this.lifecycle.approval(ledger, this.support.mspId, name, sequence);
    if (approval === undefined || approval.packageId !== undefined) return approval;
    return this.lifecycle.approval(ledger, this.support.mspId, name, sequence, this.support.packages.list().map((p) => p.packageId));
  }

  /**
   * Runs the proposal's chaincode, opening `simulation` (the channel's state held) when it starts to
   * run: a user chaincode's once the runtime has a sandbox for it, so a proposal that waits for one
   * holds nothing a commit waits for. `signal` gives up that wait (the client went away).
   * `recordDefinition: false` (an evaluation, whose read set is never used) takes the committed
   * definition from the cache instead of reading it through the simulator. The caller has opened
   * the proposal's context ({@link openContext}) and ends `simulation` after this settles.
   */
  async execute(
    proposal: ParsedSignedProposal,
    channel: Channel | undefined,
    creator: Identity,
    simulation: ProposalSimulation,
    options: { readonly recordDefinition?: boolean; readonly signal?: AbortSignal } = {},
  ): Promise<ExecutionResult> {
    const name = proposal.chaincodeName;
    const scc = this.support.systemChaincode(name);
    if (scc !== undefined) {
      // Fabric's CheckInvocation: a system chaincode never requires initialization, so is_init is refused before it runs.
      if (proposal.isInit) {
        const notInit = new PeerError('PEER_INIT_REQUIRED', `chaincode '${name}' does not require initialization but called as init`, { chaincode: name });
        throw executeFailure(proposal, 'invalid invocation', notInit);
      }
      const response = await scc.invoke({ channel, args: proposal.args, creator, proposal, simulator: await simulation.open() });
      return { response, version: SYSTEM_CHAINCODE_VERSION, endorsementPlugin: DEFAULT_ENDORSEMENT_PLUGIN };
    }
    if (channel === undefined) {
      throw new PeerError('PEER_UNKNOWN_CHAINCODE', `chaincode ${name} cannot be invoked without a channel`, { chaincode: name });
    }
    // The package to wait for, from committed state: read again through the simulator once it runs.
    let target = failingAs(
      () => this.target(name, channel, undefined),
      (err) => lookupFailure(name, channel.id, err),
    );
    try {
      await this.load(target.packageId, name);
    } catch (err) {
      // A package approved but missing from the store: Fabric's lookup finds it not installed.
      throw err instanceof PeerError && err.code === 'PEER_CHAINCODE_NOT_INSTALLED' ? lookupFailure(name, channel.id, err) : err;
    }
    const waited = target;
    const queue = this.support.metrics?.meter(channel.id, target.packageId);
    const start = async (): Promise<RuntimeSupport> => {
      const simulator = (await simulation.open()) as TxSimulator;
      if (options.recordDefinition ?? true) target = this.targetOnceRunning(proposal, channel, simulator, waited);
      failingAs(
        () => checkInitInvocation(simulator, name, target.definition, proposal.isInit),
        (err) => executeFailure(proposal, 'invalid invocation', err),
      );
      // The package is the one it queued for (targetOnceRunning refuses another): the same meter.
      return this.runtimeSupport({ proposal, creator, channel, simulator: this.collectionChecked(simulator, channel, proposal, creator.mspId) }, name, queue);
    };
    const invocation = this.invocation(proposal, name, channel.id, proposal.args, proposal.isInit);
    const result = await (this.support.runtime as ChaincodeRuntime).invoke(target.packageId, invocation, start, options.signal, queue);
    return { response: result.response, event: result.event, version: target.definition.version, endorsementPlugin: target.definition.endorsementPlugin };
  }

  /**
   * The definition read through the simulator, so the transaction depends on it, as it starts to
   * run. A commit while the proposal waited for a sandbox may have redefined the chaincode: a new
   * sequence for the same package runs as defined now, one for another package cannot run in the
   * sandbox it waited for, and fails (the client submits it again).
   */
  private targetOnceRunning(proposal: ParsedSignedProposal, channel: Channel, simulator: TxSimulator, waited: Target): Target {
    const name = proposal.chaincodeName;
    const current = failingAs(
      () => this.target(name, channel, simulator),
      (err) => lookupFailure(name, channel.id, err),
    );
    if (current.packageId === waited.packageId) return current;
    const changed = new PeerError(
      'PEER_CHAINCODE_REDEFINED',
      `chaincode ${name} was redefined at sequence ${current.definition.sequence} (package ${current.packageId}, was ${waited.packageId}) while the transaction waited to run: submit it again`,
      { chaincode: name, sequence: current.definition.sequence, packageId: current.packageId, waitedFor: waited.packageId },
    );
    throw executeFailure(proposal, 'invalid invocation', changed);
  }

  /**
   * The committed definition of `name` (read through `simulator`) and the package this org approved
   * for it. Throws the lookup's cause, which callers word as Fabric's caller of the lookup does.
   */
  private target(name: string, channel: Channel, simulator: TxSimulator | undefined): Target {
    // As Fabric's endorser, only the chaincode's Sequence key is read through the simulator: the
    // rest of the definition is committed state, so the read set matches a Fabric peer's. Without
    // one, the definition comes from the cache of committed state, recorded nowhere.
    const definition = simulator !== undefined ? this.lifecycle.definitionThrough(simulator, name, channel.ledger) : this.lifecycle.definition(channel.ledger, name);
    if (definition === undefined) {
      throw new PeerError('PEER_UNKNOWN_CHAINCODE', `chaincode ${name} not found`, { chaincode: name, channelId: channel.id });
    }
    const approval = this.approval(channel.ledger, name, definition.sequence);
    const packageId = approval?.packageId;
    if (approval === undefined) {
      throw new PeerError(
        'PEER_CHAINCODE_NOT_APPROVED',
        `chaincode definition for '${name}' at sequence ${definition.sequence} on channel '${channel.id}' has not yet been approved by this org`,
        { chaincode: name, sequence: definition.sequence, mspId: this.support.mspId },
      );
    }
    if (packageId === undefined || this.support.runtime === undefined) {
      throw new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, { chaincode: name });
    }
    return { definition, packageId };
  }

  /** The callee sees the caller's transaction: txid, creator, transient data, timestamp, signed proposal. */
  private invocation(proposal: ParsedSignedProposal, name: string, channelId: string, args: readonly Uint8Array[], isInit: boolean): ChaincodeInvocation {
    return {
      chaincodeName: name,
      channelId,
      txId: proposal.txId,
      args,
      transient: proposal.transient,
      creator: proposal.creator,
      signedProposal: proposal.bytes,
      timestamp: proposal.exactTimestamp ?? { seconds: 0, nanos: 0 },
      mspId: this.support.mspId,
      isInit,
    };
  }

  /** The simulator chaincode gets: private data calls checked against the channel's collection definitions. */
  private collectionChecked(simulator: TxSimulator, channel: Channel, proposal: ParsedSignedProposal, creatorMspId: string): TxSimulator {
    const signed = { data: proposal.proposalBytes, identity: proposal.creator, signature: proposal.signature };
    return new CollectionCheckedSimulator(simulator, {
      channelId: channel.id,
      creatorMspId,
      isMember: (collection) => signerIsMember(this.support.policies, channel.resources(), collection, signed, creatorMspId),
      definition: (chaincode) => this.lifecycle.definition(channel.ledger, chaincode),
      purgeEnabled: purgesPrivateData(channel.resources().config.capabilities.application),
    });
  }

  /** What a chaincode runs with: `stub.invokeChaincode` reaches its callees through {@link ChaincodeCalls}. */
  private runtimeSupport(caller: Caller, chaincodeName: string, meter: RuntimeSupport['metrics']): RuntimeSupport {
    const { proposal, channel } = caller;
    return {
      simulator: caller.simulator,
      invokeChaincode: (callee, args, channelId) => {
        try {
          return this.calls.invoke(caller, parseCallee(callee, channelId, channel.id), args);
        } catch (err) {
          throw invokeFailure(proposal, err);
        }
      },
      invokeChaincodeAsync: async (callee, args, channelId) => {
        try {
          return await this.calls.invokeAsync(caller, parseCallee(callee, channelId, channel.id), args);
        } catch (err) {
          throw invokeFailure(proposal, err);
        }
      },
      limits: { timeoutMs: this.support.executeTimeoutMs },
      metrics: meter,
      log: this.support.logs?.of(chaincodeName),
    };
  }

  /**
   * Loads the installed packages this org approved on one of `channels` (those it can run there)
   * into the runtime. Called once at peer start, so a chaincode-to-chaincode call from a caller that
   * cannot wait (a sandboxed package built before its stub could) finds its callee loaded even when
   * nobody invoked it directly since the restart; callers that wait load a callee on demand.
   * Other packages (never approved, or superseded by an upgrade) load on first use, as Fabric
   * launches chaincode only when invoked: each loaded package holds an isolate. Failures are logged
   * by the caller, not thrown.
   */
  async preloadInstalled(channels: readonly Pick<Channel, 'ledger'>[]): Promise<{ packageId: string; error: unknown }[]> {
    const failures: { packageId: string; error: unknown }[] = [];
    const installed = this.support.packages.list();
    const ids = installed.map((p) => p.packageId);
    const runnable = new Set(channels.flatMap((c) => approvedChaincodes(c.ledger, this.support.mspId, ids).map((a) => a.packageId)));
    for (const { packageId, label } of installed) {
      if (!runnable.has(packageId)) continue;
      try {
        await this.load(packageId, label);
      } catch (error) {
        failures.push({ packageId, error });
      }
    }
    return failures;
  }

  /**
   * Loads an installed package into the runtime once (Fabric's chaincode launch): every load goes
   * through here — at start, on first use, for a waiting chaincode-to-chaincode call and at
   * `_lifecycle` install — so each is counted once in the launch metrics. Concurrent callers share
   * one load; a failed one is retried by the next caller. `name` only words the not-installed error.
   */
  load(packageId: string, name: string): Promise<void> {
    let p = this.installed.get(packageId);
    if (p === undefined) {
      p = (async () => {
        let bytes: Uint8Array;
        try {
          bytes = this.support.packages.load(packageId);
        } catch {
          throw new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, {
            chaincode: name,
            packageId,
          });
        }
        await this.launch(packageId, bytes);
      })();
      this.installed.set(packageId, p);
      p.catch(() => this.installed.delete(packageId));
    }
    return p;
  }

  private async launch(packageId: string, bytes: Uint8Array): Promise<void> {
    const runtime = this.support.runtime as ChaincodeRuntime;
    const metrics = this.support.metrics;
    if (metrics === undefined) {
      await runtime.install(bytes);
      return;
    }
    const started = performance.now();
    let outcome: LaunchOutcome = 'failure';
    try {
      await runtime.install(bytes);
      outcome = 'success';
    } catch (err) {
      if (err instanceof ChaincodeError && err.code === 'CHAINCODE_LOAD_TIMEOUT') outcome = 'timeout';
      throw err;
    } finally {
      metrics.launched(packageId, (performance.now() - started) / 1000, outcome);
    }
  }
}
