import type { KV, KeyModification, QueryPage, SimulationFootprint, TxSimulator } from '../../ledger/tx-simulator';
import { type CollectionDefinition, collectionOf } from '../lifecycle/collections';
import { type ChaincodeDefinition, LIFECYCLE_NAMESPACE, readDefinition } from '../lifecycle/lifecycle-state';
import { PeerError } from '../peer-error';

const NO_LEGACY_READS = { getState: (): undefined => undefined };

/** Who asks, and where collections are defined. */
export interface CollectionAccessContext {
  readonly channelId: string;
  /** MSP id of the proposal's creator (the client). */
  readonly creatorMspId: string;
  /** Whether the creator satisfies the collection's member orgs policy. */
  isMember(collection: CollectionDefinition): boolean;
  /** The committed definition of a chaincode on the channel. */
  definition(chaincode: string): ChaincodeDefinition | undefined;
  /** Whether the channel's application capabilities enable purging private data (V2_5). */
  readonly purgeEnabled: boolean;
}

/**
 * The chaincode handler's private data checks (Fabric's `checkReadAccess` / `checkWriteAccess`) in
 * front of a simulator: a collection must be defined for the chaincode, a member-only-read
 * collection is read only by a member (a creator who satisfies its member orgs policy), a
 * member-only-write one written only by one. Everything else passes straight through, so cc2cc
 * callees sharing the simulator are checked against their own definitions. A refusal reaches the
 * chaincode as a rejected promise.
 */
export class CollectionCheckedSimulator implements TxSimulator {
  constructor(
    private readonly inner: TxSimulator,
    private readonly context: CollectionAccessContext,
  ) {}

  private collection(namespace: string, name: string): CollectionDefinition {
    const definition = this.context.definition(namespace);
    const c = definition === undefined ? undefined : collectionOf(definition, name);
    if (c === undefined) {
      throw new PeerError('PEER_COLLECTION_UNKNOWN', `collection ${name} is not defined for chaincode ${namespace} on channel ${this.context.channelId}`, {
        chaincode: namespace,
        collection: name,
      });
    }
    return c;
  }

  /** Per collection, as the first check decided: the creator does not change within a proposal. */
  private readonly membership = new Map<CollectionDefinition, boolean>();

  private isMember(c: CollectionDefinition): boolean {
    let member = this.membership.get(c);
    if (member === undefined) {
      member = this.context.isMember(c);
      this.membership.set(c, member);
    }
    return member;
  }

  private checkRead(namespace: string, name: string): void {
    this.checkAccess(namespace, name, 'read');
  }

  private checkWrite(namespace: string, name: string): void {
    this.checkAccess(namespace, name, 'write');
  }

  /** Chaincodes whose definition this simulation has read through the simulator. */
  private readonly definitionsRead = new Set<string>();

  /**
   * Fabric finds the collection of a read or write check by reading the chaincode's whole
   * definition through the transaction's simulator (`getReadWritePermission` → `CollectionInfo` →
   * `ChaincodeDefinitionIfDefined`), so its read set holds `_lifecycle`'s metadata key and every
   * field of the definition. A Weft peer's must hold the same, or a Weft and a Fabric endorsement
   * of one private-data call differ and no client can assemble them into a transaction. Once per
   * chaincode: later reads would record the same keys at the same versions. `_lifecycle` itself
   * is defined without a read, as in Fabric; a legacy-layout definition is read from nowhere.
   */
  private readDefinitionAsFabric(namespace: string): void {
    if (namespace === LIFECYCLE_NAMESPACE || this.definitionsRead.has(namespace)) return;
    this.definitionsRead.add(namespace);
    readDefinition(this.inner, namespace, NO_LEGACY_READS);
  }

  private checkAccess(namespace: string, name: string, access: 'read' | 'write'): void {
    this.readDefinitionAsFabric(namespace);
    const c = this.collection(namespace, name);
    const memberOnly = access === 'read' ? c.memberOnlyRead : c.memberOnlyWrite;
    if (memberOnly && !this.isMember(c)) {
      throw new PeerError('PEER_COLLECTION_ACCESS', `tx creator does not have ${access} access permission on privatedata in chaincodeName:${namespace} collectionName: ${name}`, {
        chaincode: namespace,
        collection: name,
        mspId: this.context.creatorMspId,
      });
    }
  }

  getPrivateData(namespace: string, collection: string, key: string): Uint8Array | undefined {
    this.checkRead(namespace, collection);
    return this.inner.getPrivateData(namespace, collection, key);
  }
  getPrivateDataHash(namespace: string, collection: string, key: string): Uint8Array | undefined {
    this.collection(namespace, collection);
    return this.inner.getPrivateDataHash(namespace, collection, key);
  }
  getPrivateDataMetadata(namespace: string, collection: string, key: string): Record<string, Uint8Array> | undefined {
    this.checkRead(namespace, collection);
    return this.inner.getPrivateDataMetadata(namespace, collection, key);
  }
  getPrivateDataRange(namespace: string, collection: string, startKey: string, endKey: string): Iterable<KV> {
    this.checkRead(namespace, collection);
    return this.inner.getPrivateDataRange(namespace, collection, startKey, endKey);
  }
  executeQueryOnPrivateData(namespace: string, collection: string, query: string): Iterable<KV> {
    this.checkRead(namespace, collection);
    return this.inner.executeQueryOnPrivateData(namespace, collection, query);
  }
  getPrivateDataRangeWithPagination(namespace: string, collection: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    this.checkRead(namespace, collection);
    return this.inner.getPrivateDataRangeWithPagination(namespace, collection, startKey, endKey, pageSize, bookmark);
  }
  executeQueryOnPrivateDataWithPagination(namespace: string, collection: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    this.checkRead(namespace, collection);
    return this.inner.executeQueryOnPrivateDataWithPagination(namespace, collection, query, pageSize, bookmark);
  }
  setPrivateData(namespace: string, collection: string, key: string, value: Uint8Array): void {
    this.checkWrite(namespace, collection);
    this.inner.setPrivateData(namespace, collection, key, value);
  }
  deletePrivateData(namespace: string, collection: string, key: string): void {
    this.checkWrite(namespace, collection);
    this.inner.deletePrivateData(namespace, collection, key);
  }
  purgePrivateData(namespace: string, collection: string, key: string): void {
    // Before the collection checks, as Fabric's handler (`checkPurgePrivateDataCap`).
    if (!this.context.purgeEnabled) {
      throw new PeerError('PEER_PURGE_NOT_ENABLED', 'purge private data is not enabled, channel application capability of V2_5 or later is required', {
        channelId: this.context.channelId,
        chaincode: namespace,
      });
    }
    this.checkWrite(namespace, collection);
    this.inner.purgePrivateData(namespace, collection, key);
  }
  setPrivateDataMetadata(namespace: string, collection: string, key: string, metadata: Record<string, Uint8Array>): void {
    this.checkWrite(namespace, collection);
    this.inner.setPrivateDataMetadata(namespace, collection, key, metadata);
  }

  getState(namespace: string, key: string): Uint8Array | undefined {
    return this.inner.getState(namespace, key);
  }
  getStateMultiple(namespace: string, keys: readonly string[]): (Uint8Array | undefined)[] {
    return this.inner.getStateMultiple(namespace, keys);
  }
  getStateRange(namespace: string, startKey: string, endKey: string): Iterable<KV> {
    return this.inner.getStateRange(namespace, startKey, endKey);
  }
  getStateRangeWithPagination(namespace: string, startKey: string, endKey: string, pageSize: number, bookmark: string): QueryPage<KV> {
    return this.inner.getStateRangeWithPagination(namespace, startKey, endKey, pageSize, bookmark);
  }
  executeQuery(namespace: string, query: string): Iterable<KV> {
    return this.inner.executeQuery(namespace, query);
  }
  executeQueryWithPagination(namespace: string, query: string, pageSize: number, bookmark: string): QueryPage<KV> {
    return this.inner.executeQueryWithPagination(namespace, query, pageSize, bookmark);
  }
  getStateMetadata(namespace: string, key: string): Record<string, Uint8Array> | undefined {
    return this.inner.getStateMetadata(namespace, key);
  }
  getHistoryForKey(namespace: string, key: string): Iterable<KeyModification> {
    return this.inner.getHistoryForKey(namespace, key);
  }
  setState(namespace: string, key: string, value: Uint8Array): void {
    this.inner.setState(namespace, key, value);
  }
  deleteState(namespace: string, key: string): void {
    this.inner.deleteState(namespace, key);
  }
  setStateMetadata(namespace: string, key: string, metadata: Record<string, Uint8Array>): void {
    this.inner.setStateMetadata(namespace, key, metadata);
  }
  getTxSimulationResults(): Uint8Array {
    return this.inner.getTxSimulationResults();
  }
  getPrivateSimulationResults(): Uint8Array | undefined {
    return this.inner.getPrivateSimulationResults();
  }
  getSimulationFootprint(): SimulationFootprint {
    return this.inner.getSimulationFootprint();
  }
  done(): void {
    this.inner.done();
  }
}
