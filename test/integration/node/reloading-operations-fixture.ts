import { CertificateReloader } from '../../../core/node/certificate-reload';
import { NodeLogging } from '../../../core/node/logger';
import { OperationsServer, readOperationsTls } from '../../../core/node/operations/operations-server';
import { type GeneratedOrg, X509MspProvider } from '../../../plugins/msp-x509';

/** A peer's operations endpoint over HTTPS, with the certificate reload it serves and follows. */
export interface ReloadingOperations {
  readonly ops: OperationsServer;
  readonly reloader: CertificateReloader;
  /** The port it listens on (127.0.0.1). */
  port(): number;
  stop(): Promise<void>;
}

/**
 * Starts `org`'s peer0 operations endpoint as a peer does (`peer.operations.tls`: its TLS certificate
 * and key, client certificates optional and checked against `clientRootFiles`), with a reloader of
 * peer0's local MSP serving `POST /reload-certificates` on it.
 */
export async function startReloadingOperations(org: GeneratedOrg, clientRootFiles: readonly string[]): Promise<ReloadingOperations> {
  const logging = new NodeLogging('silent');
  const peer = org.nodes.peer0!;
  const ops = new OperationsServer({
    listenAddress: '127.0.0.1:0',
    version: 'test',
    logging,
    tls: readOperationsTls(
      'peer.operations.tls',
      { cert: peer.tlsCertPath, key: peer.tlsKeyPath, clientRootCAs: [...clientRootFiles], clientAuthRequired: false },
      { cert: 'certFile', key: 'keyFile', clientRootCAs: 'rootCertFiles' },
    ),
  });
  const reloader = new CertificateReloader({ msp: { dir: peer.mspDir, id: org.mspId, provider: new X509MspProvider() }, logger: logging.logger('certmonitor'), operations: ops });
  await ops.start();
  return {
    ops,
    reloader,
    port: () => Number(ops.address().split(':').pop()),
    stop: async () => {
      reloader.stop();
      await ops.stop();
    },
  };
}
