import * as fs from 'node:fs';
import * as path from 'node:path';
import { type CcaasConnectionJson, packageCcaas } from '../../../core/chaincode/ccaas-packager';
import { isTemplate } from '../../../core/chaincode/ccaas-templates';
import { ChaincodeError } from '../../../core/errors';
import { ccaasServerCommand } from './ccaas-server-command';
import type { PackagedChaincode } from './package-project';

export interface CcaasPackageRequest {
  /** `host:port` the peers dial. */
  readonly address: string;
  readonly label: string;
  readonly output?: string;
  /** A folder whose `META-INF/` (CouchDB indexes) goes into the package. */
  readonly project?: string;
  /** A Go duration, e.g. `10s`. */
  readonly dialTimeout?: string;
  /** PEM file of the CA of the server's TLS certificate: turns TLS on. */
  readonly tlsRootCertFile?: string;
  /** PEM files of the certificate and key the peer presents: turns client authentication on. */
  readonly tlsClientCertFile?: string;
  readonly tlsClientKeyFile?: string;
  /** Name the server's certificate carries, when not the address's host. */
  readonly tlsServerName?: string;
}

export interface PackagedCcaas extends PackagedChaincode {
  /** How to start the chaincode server so that the peers accept it (its bind address on the port of `address`). */
  readonly serverCommand: string;
}

function readPem(file: string, flag: string): string {
  try {
    return fs.readFileSync(path.resolve(file), 'utf8');
  } catch (err) {
    throw new ChaincodeError('CHAINCODE_BAD_CONNECTION', `${flag} ${file}: ${(err as Error).message}`, { field: flag });
  }
}

/**
 * `weft chaincode package --ccaas host:port`: a Fabric chaincode-as-a-service package
 * (`<label>.tar.gz` by default) naming the server the peers dial, and the package ID that server
 * must be started with.
 */
export async function packageCcaasService(request: CcaasPackageRequest): Promise<PackagedCcaas> {
  const { tlsRootCertFile: root, tlsClientCertFile: cert, tlsClientKeyFile: key } = request;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ChaincodeError('CHAINCODE_BAD_CONNECTION', 'pass --tls-client-cert and --tls-client-key together: the peer presents the certificate with its key', { field: cert === undefined ? '--tls-client-cert' : '--tls-client-key' });
  }
  if (cert !== undefined && root === undefined) {
    throw new ChaincodeError('CHAINCODE_BAD_CONNECTION', 'client authentication needs TLS: pass --tls-root-cert (the CA of the chaincode server\'s certificate) too', { field: '--tls-root-cert' });
  }
  if (request.project !== undefined && !fs.statSync(path.resolve(request.project), { throwIfNoEntry: false })?.isDirectory()) {
    throw new ChaincodeError('CHAINCODE_NOT_FOUND', `${path.resolve(request.project)} is not a folder: with --ccaas, the project argument is the folder whose META-INF/ (CouchDB indexes) goes into the package`, { project: request.project });
  }
  const connection: CcaasConnectionJson = {
    address: request.address,
    ...(request.dialTimeout !== undefined ? { dial_timeout: request.dialTimeout } : {}),
    ...(root !== undefined ? { tls_required: true, root_cert: readPem(root, '--tls-root-cert') } : {}),
    ...(cert !== undefined && key !== undefined ? { client_auth_required: true, client_cert: readPem(cert, '--tls-client-cert'), client_key: readPem(key, '--tls-client-key') } : {}),
    ...(request.tlsServerName !== undefined ? { domain: request.tlsServerName } : {}),
  };
  const built = await packageCcaas({ label: request.label, connection, ...(request.project !== undefined ? { metaInfFrom: request.project } : {}) });
  const file = path.resolve(request.output ?? `${request.label}.tar.gz`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, built.packageBytes);
  const addressPort = request.address.slice(request.address.lastIndexOf(':') + 1);
  // A templated port is filled in on each peer: the server listens on the port that peer's value gives.
  const port = isTemplate(addressPort) ? `<the port ${addressPort} gives>` : addressPort;
  return {
    file,
    label: built.label,
    packageId: built.packageId,
    bytes: built.packageBytes.length,
    warnings: [],
    serverCommand: ccaasServerCommand(built.packageId, port),
  };
}
