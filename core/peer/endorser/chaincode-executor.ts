import type {
  ChaincodeEventOut,
  ChaincodeInvocation,
  ChaincodeResponse,
  ChaincodeResult,
  ChaincodeRuntime,
  RuntimeSupport,
} from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';
import { ChaincodeError } from '../../errors';
import type { ChaincodeMetrics, LaunchOutcome } from '../chaincode-metrics';
import type { ChaincodeLogs } from './chaincode-logs';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Identity } from '../../msp/identity';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import type { ChaincodeDefinition } from '../lifecycle/lifecycle-state';
import { PeerError } from '../peer-error';
import { checkChannelPolicy } from '../scc/acl';
import type { SystemChaincode } from '../scc/system-chaincode';
import { checkInitInvocation } from './init-required';
import { signerIsMember } from '../privdata/collection-membership';
import type { EndorsementPolicies } from '../validation/endorsement-policies';
import { CollectionCheckedSimulator } from '../privdata/collection-access';

/** The one endorsement plugin a Weft peer has: Fabric's default `escc` (sign the payload with the peer's identity). */
export const DEFAULT_ENDORSEMENT_PLUGIN = 'escc';

/** Fabric's `scc.SysCCVersion`: the version a system chaincode's endorsed action carries (validation refuses an empty one). */
export const SYSTEM_CHAINCODE_VERSION = 'syscc';

/**
 * A chaincode not defined, approved or installed, as Fabric's endorser words the failure of its
 * lookup (`ChaincodeEndorsementInfo`) before simulating. Chaincode-to-chaincode calls are worded
 * the same (Fabric's differ: "execute failed: invalid invocation: [channel c] failed to get
 * chaincode container info for x: …").
 */
function lookupFailure(name: string, channelId: string, err: PeerError): PeerError {
  return new PeerError(err.code, `make sure the chaincode ${name} has been successfully defined on channel ${channelId} and try again: ${err.message}`, err.details, { cause: err });
}

/** A refusal of Fabric's CheckInvocation, which fails inside Execute and is worded so. */
function invalidInvocation(proposal: ParsedSignedProposal, err: PeerError): PeerError {
  return new PeerError(err.code, `error in simulation: failed to execute transaction ${proposal.txId}: invalid invocation: ${err.message}`, err.details, { cause: err });
}

/**
 * Fabric's `ParseName` over what a shim sends for `invokeChaincode(name, args, channel)`: the name,
 * then `/channel` when one was given. So `cc/otherchannel` with no channel calls `cc` on
 * `otherchannel`, and a `:version` suffix (`cc:1.0`) is ignored. Weft's host has already put the
 * caller's channel in place of an empty one, so a channel in the name is taken as is only when the
 * call named the caller's channel or none (the shim would otherwise have appended that one too).
 */
function parseCallee(name: string, channelId: string, callerChannelId: string): { chaincode: string; channelId: string } {
  let chaincode = name;
  let target = channelId;
  const slash = chaincode.indexOf('/');
  if (slash >= 0) {
    const named = chaincode.slice(slash + 1);
    target = channelId === callerChannelId ? named : `${named}/${channelId}`;
    chaincode = chaincode.slice(0, slash);
  }
  const colon = chaincode.indexOf(':');
  return { chaincode: colon >= 0 ? chaincode.slice(0, colon) : chaincode, channelId: target };
}

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

/** A user chaincode as this peer runs it: the committed definition and the package this org approved. */
interface Target {
  readonly definition: ChaincodeDefinition;
  readonly packageId: string;
}

/**
 * Runs the chaincode a proposal names: a system chaincode in-process, or the package this org
 * approved for the committed definition, in the runtime. The definition is read through the
 * simulator so the transaction depends on it (MVCC invalidates it if the definition changes before
 * commit); this org's approval is read outside the rwset, since every org reads a different key.
 * Chaincode-to-chaincode calls run the callee synchronously in the same simulator (same channel) or
 * in a throw-away one (another channel: its writes are dropped), as Fabric's handler does.
 */
export class ChaincodeExecutor {
  private readonly installed = new Map<string, Promise<void>>();
  private readonly lifecycle = new LifecycleCache();

  constructor(private readonly support: ExecutorSupport) {}

  /**
   * `recordDefinition: false` (an evaluation, whose read set is never used) takes the committed
   * definition from the cache instead of reading it through the simulator.
   */
  async execute(
    proposal: ParsedSignedProposal,
    channel: Channel | undefined,
    creator: Identity,
    simulator: TxSimulator | undefined,
    options: { readonly recordDefinition?: boolean } = {},
  ): Promise<ExecutionResult> {
    const name = proposal.chaincodeName;
    const scc = this.support.systemChaincode(name);
    if (scc !== undefined) {
      // Fabric's CheckInvocation: a system chaincode never requires initialization, so is_init is refused before it runs.
      if (proposal.isInit) throw invalidInvocation(proposal, new PeerError('PEER_INIT_REQUIRED', `chaincode '${name}' does not require initialization but called as init`, { chaincode: name }));
      const response = await scc.invoke({ channel, args: proposal.args, creator, proposal, simulator });
      return { response, version: SYSTEM_CHAINCODE_VERSION, endorsementPlugin: DEFAULT_ENDORSEMENT_PLUGIN };
    }
    if (channel === undefined || simulator === undefined) {
      throw new PeerError('PEER_UNKNOWN_CHAINCODE', `chaincode ${name} cannot be invoked without a channel`, { chaincode: name });
    }
    const target = this.target(name, channel, simulator, options.recordDefinition ?? true);
    try {
      await this.load(target.packageId, name);
    } catch (err) {
      // A package approved but missing from the store: Fabric's lookup finds it not installed.
      throw err instanceof PeerError && err.code === 'PEER_CHAINCODE_NOT_INSTALLED' ? lookupFailure(name, channel.id, err) : err;
    }
    try {
      checkInitInvocation(simulator, name, target.definition, proposal.isInit);
    } catch (err) {
      throw err instanceof PeerError ? invalidInvocation(proposal, err) : err;
    }
    const result = await (this.support.runtime as ChaincodeRuntime).invoke(
      target.packageId,
      this.invocation(proposal, name, channel.id, proposal.args, proposal.isInit),
      this.runtimeSupport(proposal, creator.mspId, name, channel, this.collectionChecked(simulator, channel, proposal, creator.mspId), target.packageId),
    );
    return { response: result.response, event: result.event, version: target.definition.version, endorsementPlugin: target.definition.endorsementPlugin };
  }

  /** The committed definition of `name` (read through `simulator`) and the package this org approved for it. */
  private target(name: string, channel: Channel, simulator: TxSimulator, recordDefinition = true): Target {
    const definition = recordDefinition ? this.lifecycle.definitionThrough(simulator, name) : this.lifecycle.definition(channel.ledger, name);
    if (definition === undefined) {
      throw lookupFailure(name, channel.id, new PeerError('PEER_UNKNOWN_CHAINCODE', `chaincode ${name} not found`, { chaincode: name, channelId: channel.id }));
    }
    const approval = this.lifecycle.approval(channel.ledger, this.support.mspId, name, definition.sequence);
    const packageId = approval?.packageId;
    if (approval === undefined) {
      throw lookupFailure(
        name,
        channel.id,
        new PeerError(
          'PEER_CHAINCODE_NOT_APPROVED',
          `chaincode definition for '${name}' at sequence ${definition.sequence} on channel '${channel.id}' has not yet been approved by this org`,
          { chaincode: name, sequence: definition.sequence, mspId: this.support.mspId },
        ),
      );
    }
    if (packageId === undefined || this.support.runtime === undefined) {
      throw lookupFailure(name, channel.id, new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, { chaincode: name }));
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
    });
  }

  private runtimeSupport(
    proposal: ParsedSignedProposal,
    creatorMspId: string,
    chaincodeName: string,
    channel: Channel,
    simulator: TxSimulator,
    packageId: string,
  ): RuntimeSupport {
    return {
      simulator,
      invokeChaincode: (callee, args, channelId) => this.invokeChaincode(proposal, creatorMspId, channel, simulator, callee, args, channelId),
      limits: { timeoutMs: this.support.executeTimeoutMs },
      metrics: this.support.metrics?.meter(channel.id, packageId),
      log: this.support.logs?.of(chaincodeName),
    };
  }

  /**
   * `stub.invokeChaincode` (Fabric's `HandleInvokeChaincode`): the callee must not be a system
   * chaincode, the proposal must satisfy `peer/ChaincodeToChaincode` on the callee's channel, and the
   * callee must be defined there, approved by this org, installed here and initialized. Runs while
   * the caller waits inside its sandbox; a throw reaches the caller as a rejected promise.
   */
  private invokeChaincode(
    proposal: ParsedSignedProposal,
    creatorMspId: string,
    channel: Channel,
    simulator: TxSimulator,
    calleeName: string,
    args: readonly Uint8Array[],
    calleeChannel: string,
  ): ChaincodeResponse {
    const { chaincode: callee, channelId } = parseCallee(calleeName, calleeChannel, channel.id);
    if (this.support.systemChaincode(callee) !== undefined) {
      throw new PeerError('PEER_C2C_SYSTEM_CHAINCODE', `system chaincode ${callee} cannot be invoked with a cc2cc invocation`, { chaincode: callee });
    }
    const sameChannel = channelId === channel.id;
    const target = sameChannel ? channel : this.support.channel?.(channelId);
    if (target === undefined) {
      throw new PeerError('PEER_UNKNOWN_CHANNEL', `chaincode ${callee} cannot be invoked on channel ${channelId}: this peer has not joined it`, {
        chaincode: callee,
        channelId,
      });
    }
    checkChannelPolicy(target, '/Channel/Application/Writers', proposal, 'peer/ChaincodeToChaincode');
    // Another channel's ledger is only queried: its simulator's results never reach a transaction.
    const sim = sameChannel ? simulator : this.collectionChecked(target.ledger.newTxSimulator(proposal.txId), target, proposal, creatorMspId);
    try {
      const { definition, packageId } = this.target(callee, target, sim);
      checkInitInvocation(sim, callee, definition, false);
      return this.invokeLoaded(
        packageId,
        callee,
        this.invocation(proposal, callee, target.id, args, false),
        this.runtimeSupport(proposal, creatorMspId, callee, target, sim, packageId),
      ).response;
    } finally {
      if (!sameChannel) sim.done();
    }
  }

  private invokeLoaded(packageId: string, name: string, invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    try {
      return (this.support.runtime as ChaincodeRuntime).invokeSync(packageId, invocation, support);
    } catch (err) {
      if (!(err instanceof ChaincodeError) || err.code !== 'CHAINCODE_NOT_INSTALLED') throw err;
      if (!this.support.packages.list().some((p) => p.packageId === packageId)) {
        throw new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, { chaincode: name, packageId });
      }
      // Loading is asynchronous and the caller is waiting synchronously: load it for the next try.
      this.load(packageId, name).catch(() => undefined);
      throw new PeerError('PEER_CHAINCODE_LOADING', `chaincode ${name} is installed but was not loaded on this peer yet; it is loading now: retry the transaction`, {
        chaincode: name,
        packageId,
      });
    }
  }

  /**
   * Loads every installed package into the runtime. Called once at peer start, so a
   * chaincode-to-chaincode call (which must run synchronously) finds its callee loaded even when
   * nobody invoked it directly since the restart. Failures are logged by the caller, not thrown.
   */
  async preloadInstalled(): Promise<{ packageId: string; error: unknown }[]> {
    const failures: { packageId: string; error: unknown }[] = [];
    for (const { packageId, label } of this.support.packages.list()) {
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
