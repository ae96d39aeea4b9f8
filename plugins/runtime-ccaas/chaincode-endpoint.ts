/**
 * The connection to one installed package's chaincode server: dialled by the first transaction,
 * shared by every transaction after it, and dialled again by the next transaction once lost. Failed
 * dials and lost connections space the next dial out (doubling from 250 ms to 5 s, reset once a
 * transaction completes), so a server that is down or drops every stream costs a dial every few
 * seconds, never a loop of them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaincodeError } from '../../core/errors';
import type { Logger } from '../../core/node/logger';
import { ChaincodeConnection, type ConnectionTarget } from './chaincode-connection';
import type { ChaincodeProtocol } from './ccaas-runtime-options';

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;

export class ChaincodeEndpoint {
  private live: ChaincodeConnection | undefined;
  private dialing: Promise<ChaincodeConnection> | undefined;
  private failures = 0;
  private nextDialAt = 0;
  private readonly closing = new AbortController();

  constructor(
    readonly target: ConnectionTarget,
    private readonly protocol: ChaincodeProtocol,
    private readonly logger?: Logger,
  ) {}

  /** The open connection, or one dialled now (transactions arriving meanwhile share the dial). Rejects as {@link ChaincodeConnection.open}. */
  connection(): Promise<ChaincodeConnection> {
    if (this.live !== undefined && !this.live.closed) return Promise.resolve(this.live);
    this.dialing ??= this.dial().finally(() => (this.dialing = undefined));
    return this.dialing;
  }

  /** A transaction completed on the connection: the server works, so the next loss redials at once. */
  succeeded(): void {
    this.failures = 0;
  }

  private async dial(): Promise<ChaincodeConnection> {
    const wait = this.nextDialAt - Date.now();
    if (wait > 0) await sleep(wait, undefined, { signal: this.closing.signal }).catch(() => undefined);
    this.checkOpen();
    try {
      const connection = await ChaincodeConnection.open(this.target, this.protocol, (reason) => this.lost(connection, reason));
      if (this.closing.signal.aborted) {
        connection.close('the chaincode runtime is closing');
        this.checkOpen();
      }
      this.live = connection;
      this.logger?.info({ packageId: this.target.packageId, address: this.target.server.address }, 'Connected to chaincode server');
      return connection;
    } catch (err) {
      this.backOff();
      throw err;
    }
  }

  private lost(connection: ChaincodeConnection, reason: string): void {
    if (this.live === connection) this.live = undefined;
    if (this.closing.signal.aborted) return;
    this.backOff();
    this.logger?.warn({ packageId: this.target.packageId, address: this.target.server.address, reason }, 'Lost the connection to a chaincode server; the next transaction dials again');
  }

  private backOff(): void {
    this.nextDialAt = Date.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** this.failures);
    this.failures++;
  }

  private checkOpen(): void {
    if (this.closing.signal.aborted) throw new ChaincodeError('CHAINCODE_RUNTIME_CLOSED', 'the chaincode runtime is closed', { packageId: this.target.packageId });
  }

  /** Ends the connection (running transactions get a 500) and any dial's wait. Idempotent. */
  close(): void {
    this.closing.abort();
    this.live?.close('the chaincode runtime is closing');
    this.live = undefined;
  }
}
