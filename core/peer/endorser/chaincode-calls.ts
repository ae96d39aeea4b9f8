/**
 * Chaincode-to-chaincode calls (Fabric's `HandleInvokeChaincode`): the checks a callee must pass
 * and how it runs, for a caller that can wait asynchronously (a chaincode server's INVOKE_CHAINCODE
 * message, or sandboxed chaincode waiting on its own thread), which reaches any callee, and for an
 * older sandboxed caller waiting synchronously on the peer's thread.
 */
import type { ChaincodeInvocation, ChaincodeResponse, ChaincodeResult, ChaincodeRuntime, RuntimeSupport } from '../../chaincode/chaincode-runtime';
import type { PackageStore } from '../../chaincode/package-store';
import { ChaincodeError } from '../../errors';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Identity } from '../../msp/identity';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import type { ChaincodeMetrics } from '../chaincode-metrics';
import type { ChaincodeDefinition } from '../lifecycle/lifecycle-state';
import { PeerError } from '../peer-error';
import { checkChannelPolicy } from '../scc/acl';
import type { SccInvocation, SystemChaincode } from '../scc/system-chaincode';
import { failingAs, reworded } from './execution-failures';
import { checkInitInvocation } from './init-required';
import type { TransactionContexts } from './transaction-contexts';

/** A user chaincode as this peer runs it: the committed definition and the package this org approved. */
export interface Target {
  readonly definition: ChaincodeDefinition;
  readonly packageId: string;
}

/** The calling transaction: what a callee runs as, and the simulator a same-channel callee records into. */
export interface Caller {
  readonly proposal: ParsedSignedProposal;
  readonly creator: Identity;
  readonly channel: Channel;
  readonly simulator: TxSimulator;
}

/** A callee, as {@link parseCallee} reads it. */
export interface Callee {
  readonly chaincode: string;
  readonly channelId: string;
}

/** What the calls need from the executor. */
export interface ChaincodeCallHost {
  readonly runtime: ChaincodeRuntime | undefined;
  readonly packages: Pick<PackageStore, 'list'>;
  readonly metrics?: ChaincodeMetrics;
  readonly contexts: TransactionContexts;
  systemChaincode(name: string): SystemChaincode | undefined;
  channel?(channelId: string): Channel | undefined;
  /** The committed definition (read through `simulator`) and this org's package; throws the lookup's `PeerError`. */
  target(name: string, channel: Channel, simulator: TxSimulator): Target;
  load(packageId: string, name: string): Promise<void>;
  invocation(proposal: ParsedSignedProposal, name: string, channelId: string, args: readonly Uint8Array[], isInit: boolean): ChaincodeInvocation;
  collectionChecked(simulator: TxSimulator, channel: Channel, proposal: ParsedSignedProposal, creatorMspId: string): TxSimulator;
  runtimeSupport(caller: Caller, chaincodeName: string, meter: RuntimeSupport['metrics']): RuntimeSupport;
}

/**
 * Fabric's `ParseName` over what a shim sends for `invokeChaincode(name, args, channel)`: the name,
 * then `/channel` when one was given. So `cc/otherchannel` with no channel calls `cc` on
 * `otherchannel`, and a `:version` suffix (`cc:1.0`) is ignored. Weft's host has already put the
 * caller's channel in place of an empty one, so a channel in the name is taken as is only when the
 * call named the caller's channel or none (the shim would otherwise have appended that one too).
 */
export function parseCallee(name: string, channelId: string, callerChannelId: string): Callee {
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

/** The handler key of a system chaincode: apart from package IDs, which always hold a colon. */
export function sccHandler(name: string): string {
  return `scc/${name}`;
}

/** A call that passed every check, ready to run; `close` ends its context and throw-away simulator. */
type PreparedCall =
  | { readonly system: SystemChaincode; readonly invocation: SccInvocation; close(): void }
  | {
      readonly system?: undefined;
      readonly packageId: string;
      readonly name: string;
      readonly invocation: ChaincodeInvocation;
      readonly support: RuntimeSupport;
      /** Words a failure of the run as Fabric's handler does. */
      failed(err: PeerError): PeerError;
      close(): void;
    };

export class ChaincodeCalls {
  constructor(private readonly host: ChaincodeCallHost) {}

  /**
   * `stub.invokeChaincode` from a caller waiting synchronously inside its sandbox (one packaged
   * before its stub could wait, {@link invokeAsync} otherwise). A user chaincode
   * callee needs the proposal to satisfy `peer/ChaincodeToChaincode` on the callee's channel, and
   * must be defined there, approved by this org, installed here and initialized; a system chaincode
   * is called without that ACL and answers for itself (qscc and cscc refuse calls from chaincode;
   * Fabric's `_lifecycle` does not). On another channel the callee runs against a simulator of that
   * channel's ledger whose results are dropped: a query. A throw reaches the caller as a rejected
   * promise, worded as Fabric's handler words it.
   */
  invoke(caller: Caller, callee: Callee, args: readonly Uint8Array[]): ChaincodeResponse {
    const call = this.prepare(caller, callee, args);
    try {
      if (call.system !== undefined) return this.invokeSystem(call.system, call.invocation);
      return failingAs(() => this.invokeLoaded(call.packageId, call.name, call.invocation, call.support), call.failed).response;
    } finally {
      call.close();
    }
  }

  /**
   * The same call from a caller that waits asynchronously (a chaincode server, or sandboxed chaincode
   * running off the peer's thread): every callee runs through the runtime's `invoke`, so a callee
   * may run as a service or wait for its own callees, and one installed but not loaded yet is loaded
   * and run (Fabric launches it) rather than refused. Everything else is as {@link invoke}.
   */
  async invokeAsync(caller: Caller, callee: Callee, args: readonly Uint8Array[]): Promise<ChaincodeResponse> {
    const call = this.prepare(caller, callee, args);
    try {
      if (call.system !== undefined) return this.invokeSystem(call.system, call.invocation);
      try {
        return (await this.runLoaded(call.packageId, call.name, call.invocation, call.support)).response;
      } catch (err) {
        throw err instanceof PeerError ? call.failed(err) : err;
      }
    } finally {
      call.close();
    }
  }

  /** Every check of a call, in Fabric's order, and its context opened; throws the first refusal. */
  private prepare(caller: Caller, callee: Callee, args: readonly Uint8Array[]): PreparedCall {
    const { proposal, creator, channel, simulator } = caller;
    const { chaincode: name, channelId } = callee;
    const scc = this.host.systemChaincode(name);
    const sameChannel = channelId === channel.id;
    const target = sameChannel ? channel : this.host.channel?.(channelId);
    if (target === undefined) {
      // Fabric checks the ACL on the callee's channel first, which fails for a channel it has no config of.
      const message = scc === undefined ? `Failed to get policy manager for channel [${channelId}]` : `failed to find ledger for channel: ${channelId}`;
      throw new PeerError('PEER_UNKNOWN_CHANNEL', message, { chaincode: name, channelId });
    }
    if (scc === undefined) checkChannelPolicy(target, '/Channel/Application/Writers', proposal, 'peer/ChaincodeToChaincode');
    const own = sameChannel ? undefined : target.ledger.newTxSimulator(proposal.txId);
    const done = (): void => own?.done();
    try {
      if (scc !== undefined) return { system: scc, invocation: { channel: target, args, creator, proposal, simulator: own ?? simulator }, close: done };
      const sim = own === undefined ? simulator : this.host.collectionChecked(own, target, proposal, creator.mspId);
      const lookup = (err: PeerError): PeerError =>
        reworded(err, `execute failed: invalid invocation: [channel ${target.id}] failed to get chaincode container info for ${name}: ${err.message}`);
      const { definition, packageId } = failingAs(() => this.host.target(name, target, sim), lookup);
      failingAs(
        () => checkInitInvocation(sim, name, definition, false),
        (err) => reworded(err, `execute failed: invalid invocation: ${err.message}`),
      );
      const closeContext = this.openCalleeContext(packageId, target.id, proposal.txId);
      return {
        packageId,
        name,
        invocation: this.host.invocation(proposal, name, target.id, args, false),
        support: this.host.runtimeSupport({ proposal, creator, channel: target, simulator: sim }, name, this.host.metrics?.meter(target.id, packageId)),
        // A package missing from the store is what Fabric's lookup finds not installed.
        failed: (err) => (err.code === 'PEER_CHAINCODE_NOT_INSTALLED' ? lookup(err) : reworded(err, `execute failed: ${err.message}`)),
        close: () => {
          closeContext();
          done();
        },
      };
    } catch (err) {
      done();
      throw err;
    }
  }

  private invokeSystem(scc: SystemChaincode, invocation: SccInvocation): ChaincodeResponse {
    if (scc.invokeSync === undefined) {
      throw new PeerError('PEER_C2C_SYSTEM_CHAINCODE', `execute failed: system chaincode ${scc.name} cannot be called from chaincode on this peer`, { chaincode: scc.name });
    }
    const close = this.openCalleeContext(sccHandler(scc.name), invocation.channel?.id ?? '', invocation.proposal.txId);
    try {
      return scc.invokeSync(invocation);
    } finally {
      close();
    }
  }

  /** A callee's transaction context, refused as Fabric's handler refuses it inside `HandleInvokeChaincode`. */
  private openCalleeContext(handler: string, channelId: string, txId: string): () => void {
    return failingAs(
      () => this.host.contexts.create(handler, channelId, txId),
      (err) => reworded(err, `execute failed: error sending: ${err.message}`),
    );
  }

  private get runtime(): ChaincodeRuntime {
    return this.host.runtime as ChaincodeRuntime;
  }

  private notInstalled(packageId: string, name: string): PeerError {
    return new PeerError('PEER_CHAINCODE_NOT_INSTALLED', `chaincode definition for '${name}' exists, but chaincode is not installed`, { chaincode: name, packageId });
  }

  private invokeLoaded(packageId: string, name: string, invocation: ChaincodeInvocation, support: RuntimeSupport): ChaincodeResult {
    try {
      return this.runtime.invokeSync(packageId, invocation, support);
    } catch (err) {
      if (!(err instanceof ChaincodeError) || err.code !== 'CHAINCODE_NOT_INSTALLED') throw err;
      if (!this.host.packages.list().some((p) => p.packageId === packageId)) throw this.notInstalled(packageId, name);
      // Loading is asynchronous and the caller is waiting synchronously: load it for the next try.
      this.host.load(packageId, name).catch(() => undefined);
      throw new PeerError('PEER_CHAINCODE_LOADING', `chaincode ${name} is installed but was not loaded on this peer yet; it is loading now: retry the transaction`, {
        chaincode: name,
        packageId,
      });
    }
  }

  /**
   * Runs a callee for a caller that can wait, through the runtime's `invoke` whatever runs it: a
   * sandboxed callee then runs off the peer's thread and may itself wait for its own callees (one
   * running as a service among them), at any depth. Marked as called by chaincode, it is never
   * queued behind the sandboxes its callers hold; it records into the caller's simulator all the
   * same. A package not loaded yet is loaded first.
   */
  private async runLoaded(packageId: string, name: string, invocation: ChaincodeInvocation, support: RuntimeSupport, loaded = false): Promise<ChaincodeResult> {
    try {
      return await this.runtime.invoke(packageId, invocation, { ...support, calledByChaincode: true });
    } catch (err) {
      if (!(err instanceof ChaincodeError) || err.code !== 'CHAINCODE_NOT_INSTALLED' || loaded) throw err;
      if (!this.host.packages.list().some((p) => p.packageId === packageId)) throw this.notInstalled(packageId, name);
      await this.host.load(packageId, name);
      return this.runLoaded(packageId, name, invocation, support, true);
    }
  }
}
