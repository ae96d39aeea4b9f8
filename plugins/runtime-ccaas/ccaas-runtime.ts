import { readChaincodePackage } from '../../core/chaincode/chaincode-package';
import {
  resolveLimits,
  type ChaincodeInvocation,
  type ChaincodeResult,
  type ChaincodeRuntime,
  type InstalledChaincode,
  type RuntimeLimits,
  type RuntimeSupport,
  type RuntimeSupportSource,
} from '../../core/chaincode/chaincode-runtime';
import { ChaincodeError } from '../../core/errors';
import type { Logger } from '../../core/node/logger';
import { ChaincodeEndpoint } from './chaincode-endpoint';
import { DEFAULT_PROTOCOL, type ChaincodeProtocol } from './ccaas-runtime-options';
import { CONNECTION_FILE, parseConnectionJson } from '../../core/chaincode/ccaas-connection';
import type { TemplateContext } from '../../core/chaincode/ccaas-templates';

/** The package type this runtime runs (`metadata.json` `type`, compared case-insensitively, as Fabric's ccaas builder does). */
export const CCAAS_PACKAGE_TYPE = 'ccaas';

/**
 * Chaincode as a service (Fabric's `ccaas` builder): the package holds only `connection.json`, the
 * chaincode runs as its own server (any language, any Fabric shim), and the peer dials it and speaks
 * Fabric's chaincode protocol over `protos.Chaincode/Connect`. Installing checks `connection.json`;
 * the first transaction dials.
 */
/** How the peer configures the runtime (see `runtime-ccaas-module.ts`). */
export interface CcaasRuntimeOptions {
  readonly logger?: Logger;
  /** The `runtime` slot's limits; a limit the peer hands with a transaction (its execute timeout) wins. */
  readonly limits?: RuntimeLimits;
  /** What `connection.json` templates expand from (`peername`, `CHAINCODE_AS_A_SERVICE_BUILDER_CONFIG`); none: every key is missing. */
  readonly templateContext?: TemplateContext;
  /** What READY offers chaincode servers (write batches, multi-key reads) and the KEEPALIVE interval; none: Fabric's defaults ({@link chaincodeProtocol}). */
  readonly protocol?: ChaincodeProtocol;
}

export class CcaasRuntime implements ChaincodeRuntime {
  private readonly endpoints = new Map<string, ChaincodeEndpoint>();
  private closed = false;

  private readonly logger: Logger | undefined;
  private readonly limits: RuntimeLimits;
  private readonly templateContext: TemplateContext;
  private readonly protocol: ChaincodeProtocol;

  constructor(options: CcaasRuntimeOptions = {}) {
    this.logger = options.logger;
    this.limits = options.limits ?? {};
    this.templateContext = options.templateContext ?? {};
    this.protocol = options.protocol ?? DEFAULT_PROTOCOL;
  }

  /**
   * Reads a `ccaas` package and keeps its `connection.json`. Throws `CHAINCODE_BAD_PACKAGE` for a
   * package of another type or without `connection.json`, `CHAINCODE_BAD_CONNECTION` naming a bad field.
   */
  async install(packageBytes: Uint8Array): Promise<InstalledChaincode> {
    this.checkOpen();
    const pkg = await readChaincodePackage(packageBytes);
    const { packageId } = pkg;
    if (pkg.metadata.type.toLowerCase() !== CCAAS_PACKAGE_TYPE) {
      throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `package ${packageId} is of type ${JSON.stringify(pkg.metadata.type)}: the chaincode-as-a-service runtime runs type "ccaas" only`, { packageId, type: pkg.metadata.type });
    }
    const connectionJson = pkg.code.get(CONNECTION_FILE);
    if (connectionJson === undefined) {
      throw new ChaincodeError('CHAINCODE_BAD_PACKAGE', `ccaas package ${packageId} holds no ${CONNECTION_FILE} at the root of code.tar.gz (found: ${[...pkg.code.keys()].join(', ') || 'nothing'})`, { packageId });
    }
    const server = parseConnectionJson(connectionJson, packageId, this.templateContext);
    if (!this.endpoints.has(packageId)) this.endpoints.set(packageId, new ChaincodeEndpoint({ packageId, server }, this.protocol, this.logger));
    return { packageId, label: pkg.metadata.label };
  }

  /**
   * Runs the transaction on the package's server, dialling it first if no connection is open. The
   * support is asked for only once connected, so a transaction waiting for a dial holds no state.
   * Throws `CHAINCODE_UNREACHABLE` or `CHAINCODE_REGISTER_REFUSED` (naming the package and address)
   * when no connection could be made; a stream lost mid-transaction is a 500 response.
   */
  async invoke(packageId: string, invocation: ChaincodeInvocation, support: RuntimeSupport | RuntimeSupportSource, signal?: AbortSignal): Promise<ChaincodeResult> {
    const endpoint = this.endpoint(packageId);
    const connection = await endpoint.connection();
    if (signal?.aborted === true) throw new ChaincodeError('CHAINCODE_CANCELLED', `the caller gave up on transaction ${invocation.txId} while ${packageId}'s server was dialled`, { packageId });
    const s = typeof support === 'function' ? await support() : support;
    const result = await connection.execute(invocation, s, resolveLimits({ ...this.limits, ...s.limits }));
    // A chaincode's own error is an answer too: only a lost stream keeps the backoff growing.
    if (!connection.closed) endpoint.succeeded();
    return result;
  }

  /**
   * Refused with `CHAINCODE_SYNC_UNSUPPORTED`: a chaincode server answers over the network. Every
   * caller that can wait (a chaincode server, sandboxed chaincode) has its callees run with
   * {@link invoke}; what reaches this refusal is sandboxed chaincode packaged before its stub could
   * wait, which calls synchronously on the peer's thread.
   */
  invokeSync(packageId: string): ChaincodeResult {
    const endpoint = this.endpoint(packageId);
    throw new ChaincodeError(
      'CHAINCODE_SYNC_UNSUPPORTED',
      `chaincode ${packageId} runs as a service at ${endpoint.target.server.address}: it cannot be called from sandboxed chaincode packaged before Weft's stub could wait for a callee (its call runs synchronously on the peer's thread); package the calling chaincode again`,
      { packageId, address: endpoint.target.server.address },
    );
  }

  async uninstall(packageId: string): Promise<void> {
    this.endpoints.get(packageId)?.close();
    this.endpoints.delete(packageId);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const endpoint of this.endpoints.values()) endpoint.close();
    this.endpoints.clear();
  }

  private endpoint(packageId: string): ChaincodeEndpoint {
    this.checkOpen();
    const endpoint = this.endpoints.get(packageId);
    if (endpoint === undefined) {
      throw new ChaincodeError('CHAINCODE_NOT_INSTALLED', `chaincode package '${packageId}' is not installed on the chaincode-as-a-service runtime`, { packageId, installed: [...this.endpoints.keys()] });
    }
    return endpoint;
  }

  private checkOpen(): void {
    if (this.closed) throw new ChaincodeError('CHAINCODE_RUNTIME_CLOSED', 'the chaincode runtime is closed');
  }
}
