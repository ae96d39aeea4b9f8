import { LedgerError } from '../errors';
import type { HistoryStore } from './history-store';
import { validateValue, validateWriteKey } from './ledger-keys';
import type { LedgerOptions } from './ledger-options';
import { hashedKey, hashedNamespace, validateCollection } from './private-data';
import { publicNamespace, QueryExecutorImpl } from './query-executor-impl';
import { RwSetBuilder } from './rwset-builder';
import { committedMetadata, decodeStateMetadata } from './state-metadata';
import type { SimulationFootprint, TxSimulator } from './tx-simulator';
import type { VersionedStateStore } from './versioned-state-store';

/**
 * Simulates one transaction over committed state and records its read/write set. Reads never see
 * this transaction's writes (Fabric semantics); writes are only recorded, never applied.
 */
export class TxSimulatorImpl extends QueryExecutorImpl implements TxSimulator {
  private readonly builder: RwSetBuilder;
  private pvtQueried = false;

  constructor(
    readonly txId: string,
    state: VersionedStateStore,
    history: HistoryStore,
    options: LedgerOptions,
  ) {
    const builder = new RwSetBuilder();
    super(state, history, options, builder);
    this.builder = builder;
  }

  setState(namespace: string, key: string, value: Uint8Array): void {
    this.checkWrite(namespace, key);
    validateValue(namespace, key, value, this.options);
    // A copy: the caller may reuse its buffer after the call, the rwset must not change with it.
    this.builder.addWrite(namespace, key, value.slice());
  }

  deleteState(namespace: string, key: string): void {
    this.checkWrite(namespace, key);
    this.builder.addWrite(namespace, key, undefined);
  }

  setStateMetadata(namespace: string, key: string, metadata: Record<string, Uint8Array>): void {
    this.checkWrite(namespace, key);
    this.builder.addMetadataWrite(namespace, key, this.checkMetadata(namespace, key, metadata));
  }

  setPrivateData(namespace: string, collection: string, key: string, value: Uint8Array): void {
    this.checkPvtWrite(namespace, collection, key);
    validateValue(namespace, key, value, this.options);
    this.builder.addPvtWrite(namespace, collection, key, value.slice());
  }

  deletePrivateData(namespace: string, collection: string, key: string): void {
    this.checkPvtWrite(namespace, collection, key);
    this.builder.addPvtWrite(namespace, collection, key, undefined);
  }

  purgePrivateData(namespace: string, collection: string, key: string): void {
    this.checkPvtWrite(namespace, collection, key);
    this.builder.addPvtPurge(namespace, collection, key);
  }

  setPrivateDataMetadata(namespace: string, collection: string, key: string, metadata: Record<string, Uint8Array>): void {
    this.checkPvtWrite(namespace, collection, key);
    this.builder.addHashedMetadataWrite(namespace, collection, key, this.checkMetadata(namespace, key, metadata));
  }

  getTxSimulationResults(): Uint8Array {
    // A page the chaincode did not read to its end (or a caller never read) is recorded whole, as
    // when the ledger read pages at once and as Fabric's handler always reads them.
    this.settlePages();
    return this.builder.buildBytes();
  }

  getPrivateSimulationResults(): Uint8Array | undefined {
    return this.builder.buildPvtBytes();
  }

  getSimulationFootprint(): SimulationFootprint {
    const { builder, state } = this;
    let writes: SimulationFootprint['writes'] | undefined;
    // Each part is worked out when first read: an evaluation looks at privateReads alone, and a
    // query that read no private value then costs one check.
    return {
      get namespaces() {
        return builder.namespaces();
      },
      get writes() {
        writes ??= builder.writtenKeys().map(({ namespace, collection, key }) => {
          const committed = collection === '' ? committedMetadata(state, namespace, key) : committedMetadata(state, hashedNamespace(namespace, collection), hashedKey(key));
          return { namespace, collection, key, metadata: decodeStateMetadata(committed) };
        });
        return writes;
      },
      get privateReads() {
        return builder.privateReads();
      },
    };
  }

  protected override beforePaginated(): void {
    if (this.builder.hasWrites()) {
      throw new LedgerError('LEDGER_PAGINATED_QUERY_IN_WRITE_TX', 'Paginated queries are supported only in a read-only transaction', { txId: this.txId });
    }
    super.beforePaginated();
  }

  /** Fabric's `checkBeforePvtdataQueries`: private range and rich query results are not recorded, so they cannot back writes. */
  protected override beforePvtQuery(): void {
    if (this.builder.hasWrites()) {
      throw new LedgerError('LEDGER_PVT_QUERY_IN_WRITE_TX', 'Queries on pvt data is supported only in a read-only transaction', { txId: this.txId });
    }
    this.pvtQueried = true;
  }

  /** A copy of valid metadata: the caller may reuse its buffers after the call. */
  private checkMetadata(namespace: string, key: string, metadata: Record<string, Uint8Array>): Record<string, Uint8Array> {
    if (typeof metadata !== 'object' || metadata === null) {
      throw new LedgerError('LEDGER_BAD_VALUE', `metadata for key ${JSON.stringify(key)} must be an object of byte arrays`, { namespace, key });
    }
    let total = 0;
    for (const [name, v] of Object.entries(metadata)) {
      validateValue(namespace, key, v, this.options);
      total += v.length + name.length;
    }
    if (total > this.options.maxValueSize) {
      throw new LedgerError('LEDGER_VALUE_TOO_LARGE', `metadata for key ${JSON.stringify(key)} is ${total} bytes, the limit is ${this.options.maxValueSize}`, {
        namespace,
        key,
        size: total,
      });
    }
    return Object.fromEntries(Object.entries(metadata).map(([n, v]) => [n, v.slice()]));
  }

  private checkPvtWrite(namespace: string, collection: string, key: string): void {
    this.checkWrite(namespace, key);
    validateCollection(namespace, collection);
  }

  private checkWrite(namespace: string, key: string): void {
    this.checkOpen();
    publicNamespace(namespace);
    validateWriteKey(namespace, key, this.options);
    if (this.pvtQueried) {
      throw new LedgerError('LEDGER_PVT_QUERY_IN_WRITE_TX', 'Transaction has already performed queries on pvt data. Writes are not allowed', {
        txId: this.txId,
        namespace,
        key,
      });
    }
    if (this.paginated) {
      throw new LedgerError('LEDGER_PAGINATED_QUERY_IN_WRITE_TX', 'Transaction has already performed a paginated query. Writes are not allowed', {
        txId: this.txId,
        namespace,
        key,
      });
    }
  }
}
