import { status as GrpcStatus } from '@grpc/grpc-js';
import { ChaincodeError } from '../../../core/errors';
import { gatewayPeerFor } from '../client/gateway-session';
import type { NetworkLayout, NodeLayout, UserLayout } from '../network/network-layout';
import { runsFromHere } from '../network/config-block-peers';
import { runningPid } from '../network/node-processes';
import { shellWord } from '../../../core/node/shell-word';

// The Gateway's Submit when no orderer took the transaction (Fabric's gateway words it so).
const NO_ORDERER = /no orderers could successfully process transaction/;

/** Nodes of the channel this directory runs on this machine that have no process now. */
async function stoppedHere(layout: NetworkLayout, nodes: readonly NodeLayout[]): Promise<NodeLayout[]> {
  const stopped: NodeLayout[] = [];
  for (const node of nodes) {
    if ((await runsFromHere(layout, node)) && runningPid(node) === undefined) stopped.push(node);
  }
  return stopped;
}

/**
 * Runs an invoke or query and, when it fails UNAVAILABLE (`GATEWAY_FAILED`, grpcCode 14) while
 * nodes of the channel that this directory runs are stopped, says which, and how to start them,
 * instead of "is the network up?" with a `<dir>` to fill in. During a rolling restart the operator
 * learns that the Gateway peer the call went to is down (and which running peer of the org to
 * name with `--peer` meanwhile), or that the orderer is, which a Submit reports only as "no
 * orderers could successfully process transaction". With nothing stopped here (a node on another
 * host, a network problem), the failure is left as it was.
 */
export async function namingStoppedNodes<T>(layout: NetworkLayout, dir: string, user: UserLayout, gatewayPeer: NodeLayout | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ChaincodeError) || err.code !== 'GATEWAY_FAILED' || err.details.grpcCode !== GrpcStatus.UNAVAILABLE) throw err;
    const gateway = gatewayPeer ?? gatewayPeerFor(layout, user.mspId);
    const stopped = await stoppedHere(layout, layout.nodes());
    const noOrderer = NO_ORDERER.test(err.message);
    if (stopped.length === 0 && !noOrderer) throw err;
    // Layouts are built anew on each call: nodes compare by id.
    const isStopped = (n: NodeLayout): boolean => stopped.some((s) => s.id === n.id);
    // What the failure itself points at: the Gateway peer it could not reach, or, for a Submit no orderer took, the orderers.
    const cause = isStopped(gateway) ? [gateway] : noOrderer ? stopped.filter((n) => n.kind === 'orderer') : [];
    const others = stopped.filter((n) => !cause.some((c) => c.id === n.id));
    const lines = [
      ...(cause.length === 0 ? [] : cause[0]!.kind === 'peer' ? [`the Gateway peer this call went to, ${gateway.id} (${gateway.address}), is not running`] : [`the ordering service is not running here: ${cause.map((n) => n.id).join(', ')}`]),
      // An orderer just started is taken again only once the Gateway peer's connection to it is back (its reconnect backoff).
      ...(noOrderer && cause.length === 0 ? ['no orderer of this directory is stopped: one that just started is used again once the Gateway peer reconnects to it, within seconds; try again'] : []),
      ...(others.length > 0 ? [`${cause.length > 0 ? 'also ' : ''}not running here: ${others.map((n) => n.id).join(', ')}`] : []),
    ];
    const running = cause.length > 0 && cause[0]!.kind === 'peer' ? layout.peers().filter((p) => p.mspId === gateway.mspId && !isStopped(p)) : [];
    const startable = cause.length > 0 ? cause : others;
    const them = startable.length === 1 ? 'it' : 'them';
    const start = `weft network up ${shellWord(dir)} ${startable.map((n) => `--node ${n.id}`).join(' ')}`;
    const earlier = (Array.isArray(err.details.suggestions) ? (err.details.suggestions as string[]) : []).filter((s) => !s.startsWith('is the network up?'));
    throw new ChaincodeError(
      err.code,
      `${err.message}\n  ${lines.join('\n  ')}`,
      {
        ...err.details,
        stoppedNodes: stopped.map((n) => n.id),
        suggestions: [
          ...(startable.length === 0 ? [] : [cause.length > 0 ? `start ${them}: ${start}` : `if the call needs ${them}, start ${them}: ${start}`]),
          ...(noOrderer && cause.length === 0 ? [`try again in a few seconds; see the orderers with: weft network status ${shellWord(dir)}`] : []),
          ...running.map((p) => `meanwhile, send the call through another peer of ${p.mspId}: --peer ${p.id}`),
          ...(startable.length === 0 ? [] : [`see why ${them} stopped: ${startable.map((n) => n.logFile).join(', ')}`]),
          ...earlier,
        ],
      },
      { cause: err.cause },
    );
  }
}
