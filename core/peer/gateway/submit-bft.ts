import { status as GrpcStatus } from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { bftQuorum } from '../../protocol/bft-config';
import { statusName } from '../../protocol/status-name';
import { type EndpointError, GatewayRpcError } from '../grpc/grpc-status';
import type { Broadcaster } from './broadcaster';

/** What a SmartBFT orderer answers for a transaction it already holds: the envelope reached it. */
const ALREADY_RECEIVED = 'failed to submit request: request already exists';

/**
 * Fabric's `Submit` on a channel whose consensus type is BFT (`internal/pkg/gateway/submit.go`
 * `submitBFT`): the envelope goes to every orderer of the channel at once, each within
 * `timeoutMs`, since a single (possibly censoring) orderer's acceptance proves nothing. It
 * resolves once a quorum of the channel's `clusterSize` orderers (`bftQuorum`) accepted it (SUCCESS,
 * or SERVICE_UNAVAILABLE "request already exists"); it fails with UNAVAILABLE, the failures so far
 * as details, as soon as too many failed for a quorum to remain possible. A 4xx answer counts as
 * one failure, not a final verdict: other orderers judge the envelope themselves. Answers after
 * the outcome are dropped.
 */
export function submitBft(
  broadcasters: readonly Broadcaster[],
  envelope: Uint8Array,
  clusterSize: number,
  timeoutMs: number,
  mspIdOf: (address: string) => string,
): Promise<void> {
  const quorum = bftQuorum(clusterSize);
  const total = broadcasters.length;
  return new Promise<void>((resolve, reject) => {
    let successes = 0;
    const failures: EndpointError[] = [];
    let settled = false;
    const insufficient = (): void => {
      settled = true;
      reject(new GatewayRpcError(GrpcStatus.UNAVAILABLE, 'insufficient number of orderers could successfully process transaction to satisfy quorum requirement', failures));
    };
    const record = (failure: EndpointError | undefined): void => {
      if (settled) return;
      if (failure === undefined) successes++;
      else failures.push(failure);
      if (successes >= quorum) {
        settled = true;
        resolve();
      } else if ((failure !== undefined && failures.length > total - quorum) || successes + failures.length === total) insufficient();
    };
    for (const b of broadcasters) {
      const failure = (message: string): EndpointError => ({ address: b.address, mspId: mspIdOf(b.address), message });
      b.send(envelope, timeoutMs).then(
        (result) => {
          if (result.status === Status.SUCCESS || (result.status === Status.SERVICE_UNAVAILABLE && result.info === ALREADY_RECEIVED)) record(undefined);
          else record(failure(`received unsuccessful response from orderer: status=${statusName(result.status)}, info=${result.info}`));
        },
        (err: unknown) => record(failure((err as Error).message)),
      );
    }
  });
}
