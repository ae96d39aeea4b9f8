import ivm from 'isolated-vm';
import type { HostChaincodeResponse, HostReply, HostTable } from '../../core/chaincode/host-api';
import { invokeChaincodeAsync } from '../../core/chaincode/host-table';
import type { HostSession } from '../../core/chaincode/host-session';
import { ChaincodeError } from '../../core/errors';

/**
 * The isolate's handles on the host table. isolated-vm keeps the function of every `ivm.Callback`
 * for the rest of the process, disposed isolate or not, so these reach the table only through
 * `holder`, which `dispose()` empties; made out here, not in the constructor, as a closure there
 * would share the constructor's context and with it the sandbox, its bundle and source map.
 */
export function hostCallbacks(names: readonly (keyof HostTable)[], holder: HostHolder, packageId: string): ivm.Callback[] {
  return names.map(
    (n) =>
      new ivm.Callback((...args: unknown[]) => {
        const fn = holder.table?.[n] as ((...a: unknown[]) => unknown) | undefined;
        if (fn === undefined) throw new ChaincodeError('CHAINCODE_RUNTIME_CLOSED', `chaincode ${packageId}: its sandbox was disposed`, { packageId });
        return fn(...args);
      }),
  );
}

/**
 * `complete` for a transaction on isolated-vm's thread pool, as a fire-and-forget callback: the
 * isolate's thread queues the outcome for the peer's thread and carries on instead of waiting for
 * the reply (which the sandbox never reads), a round trip between the threads saved per
 * transaction. isolated-vm runs the peer thread's queued tasks in order, and the apply's own
 * settlement is queued after it when the call returns, so the outcome is in the session before
 * `invokeAsync` reads it. A transaction on the peer's thread (`applySync`) keeps the synchronous
 * `complete`: a queued call would run only after it had been settled.
 */
export function completeWithoutReply(holder: HostHolder): ivm.Callback {
  return new ivm.Callback(
    (outcome: unknown) => {
      holder.table?.complete(outcome as Parameters<HostTable['complete']>[0]);
    },
    { ignored: true },
  );
}

/**
 * The isolate's handle on `invokeChaincodeWaiting` (see `HostTable`), reached through `holder` as
 * the callbacks are. The isolate calls it with `applySyncPromise`: its thread waits while the peer
 * runs the callee, which may answer over the network; only a transaction running on isolated-vm's
 * thread pool can wait so (the peer's own thread cannot block on itself).
 */
export function waitingCall(holder: HostHolder, packageId: string): ivm.Reference<(name: unknown, args: unknown, channel: unknown) => Promise<unknown>> {
  const answer = async (name: unknown, args: unknown, channel: unknown): Promise<HostReply<HostChaincodeResponse>> => {
    if (holder.table === undefined || holder.session === undefined) return { error: `chaincode ${packageId}: its sandbox was disposed` };
    const session = holder.session();
    if (session === undefined) return { error: 'invokeChaincode: no transaction is in progress' };
    return invokeChaincodeAsync(session, name, args, channel);
  };
  // applySyncPromise takes no result options: the reply crosses as a copy made to be transferred in.
  return new ivm.Reference(async (name: unknown, args: unknown, channel: unknown) => new ivm.ExternalCopy(await answer(name, args, channel)).copyInto());
}

/** What the isolate's host handles reach; `dispose()` empties it, as they outlive the sandbox. */
export interface HostHolder {
  table: HostTable | undefined;
  session: (() => HostSession | undefined) | undefined;
}
