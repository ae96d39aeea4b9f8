import type { NodeLogging } from '../node/logger';
import { type HealthChecker, OperationsServer, readOperationsTls } from '../node/operations/operations-server';
import { WEFT_VERSION } from '../node/operations/weft-version';
import type { ChannelManager } from './channel/channel-manager';
import type { PeerConfig } from './peer-config';

/** The peer's operations endpoint (`peer.operations`: /healthz, /metrics, /version, /logspec), or undefined when not configured. */
export function peerOperationsServer(config: PeerConfig, logging: NodeLogging): OperationsServer | undefined {
  const operations = config.peer.operations;
  if (operations === undefined) return undefined;
  const tls = operations.tls;
  return new OperationsServer({
    listenAddress: operations.listenAddress,
    version: WEFT_VERSION,
    logging,
    ...(tls?.enabled === true && {
      tls: readOperationsTls(
        'peer.operations.tls',
        { cert: tls.certFile!, key: tls.keyFile!, clientRootCAs: tls.rootCertFiles, clientAuthRequired: tls.clientAuthRequired },
        { cert: 'certFile', key: 'keyFile', clientRootCAs: 'rootCertFiles' },
      ),
    }),
  });
}

/** `/healthz`'s `ledger` check: fails while a channel's committer has stopped, naming the channel, block and error. */
export function ledgerHealthCheck(channels: ChannelManager): HealthChecker {
  return {
    name: 'ledger',
    check: () => {
      const stopped: string[] = [];
      for (const id of channels.list()) {
        channels.channel(id)?.height();
        const failure = channels.get(id)?.committer.failure();
        if (failure !== undefined) stopped.push(`${id} (block ${failure.blockNum}: ${failure.error.message})`);
      }
      if (stopped.length > 0) throw new Error(`channels not committing: ${stopped.join('; ')}`);
    },
  };
}
