/**
 * Chaincode-as-a-service packages, as Fabric's documentation has users make them
 * (`docs/source/cc_service.md`): `metadata.json` of type `ccaas`, and a `code.tar.gz` holding
 * `connection.json` at its root, with `META-INF/statedb/couchdb/indexes` beside it when the chaincode
 * has indexes. The server the package names must be started with the printed package ID.
 */
import { CONNECTION_FILE, parseConnectionJson } from './ccaas-connection';
import { packageIdOf, validateLabel, writeChaincodePackage } from './chaincode-package';
import { collectMetaInf } from './packager';

/** `connection.json` as Fabric's ccaas builder reads it (snake_case, as in the file). */
export interface CcaasConnectionJson {
  /** `host:port` the peer dials. */
  readonly address: string;
  /** A Go duration (`"10s"`); Fabric's default is 3 s. */
  readonly dial_timeout?: string;
  readonly tls_required?: boolean;
  readonly client_auth_required?: boolean;
  /** PEM of the CA that signed the server's TLS certificate. */
  readonly root_cert?: string;
  readonly client_cert?: string;
  readonly client_key?: string;
  /** Server name to verify instead of the address's host. */
  readonly domain?: string;
}

export interface CcaasPackageOptions {
  readonly label: string;
  readonly connection: CcaasConnectionJson;
  /** A folder whose `META-INF/` (CouchDB index files) goes into the package. */
  readonly metaInfFrom?: string;
}

export interface BuiltCcaasPackage {
  readonly packageBytes: Uint8Array;
  /** What the chaincode server must be started with (`CHAINCODE_ID`, `--chaincode-id`). */
  readonly packageId: string;
  readonly label: string;
}

/**
 * Builds a ccaas package. `connection.json` is checked as the peer will check it at install
 * (`CHAINCODE_BAD_CONNECTION` naming the field); its fields are written in Fabric's order, unset
 * ones left out. Same inputs give the same bytes.
 */
export async function packageCcaas(options: CcaasPackageOptions): Promise<BuiltCcaasPackage> {
  validateLabel(options.label);
  const c = options.connection;
  const fields: [string, unknown][] = [
    ['address', c.address],
    ['dial_timeout', c.dial_timeout],
    ['tls_required', c.tls_required],
    ['client_auth_required', c.client_auth_required],
    ['root_cert', c.root_cert],
    ['client_key', c.client_key],
    ['client_cert', c.client_cert],
    ['domain', c.domain],
  ];
  const connectionJson = Buffer.from(`${JSON.stringify(Object.fromEntries(fields.filter(([, v]) => v !== undefined)), undefined, 2)}\n`);
  parseConnectionJson(connectionJson);
  const code = new Map<string, Uint8Array>([[CONNECTION_FILE, connectionJson], ...(options.metaInfFrom === undefined ? [] : collectMetaInf(options.metaInfFrom))]);
  const packageBytes = await writeChaincodePackage({ path: '', type: 'ccaas', label: options.label }, code);
  return { packageBytes, packageId: packageIdOf(options.label, packageBytes), label: options.label };
}
