/**
 * fabric-shim 2.5's `ChaincodeStub`, backed by the host table. Semantics and error texts follow
 * `fabric-shim@2.5.8:lib/stub.js`; read-your-writes, empty-value-as-delete and range re-validation
 * are the ledger's job, as on a Fabric peer.
 */
import { Buffer } from 'buffer';
import type Long from 'long';
import type { SandboxInvocation } from '../host-api';
import { createCompositeKey, partialKeyRange, splitCompositeKey } from './composite-key';
import { host, unwrap } from './host';
import { asyncIterable, fromWire, HistoryQueryIterator, KeyModificationResult, KVResult, setIteratorTransaction, StateQueryIterator, toBuffer } from './iterators';
import { checkPagedArity, pagedQuery, type PagedResult, type PagedValue } from './paged-query';
import { toBytes, validateCollection, validateCollectionAndKey, validateSimpleKeys } from './stub-args';
import { fabricSignedProposal, type FabricSignedProposal, timestampMessage, type TimestampMessage } from './signed-proposal';

let LongClass: typeof Long | undefined;

/** `long` is loaded on first use: most transactions never read the timestamp, and strict mode pays per context. */
function longClass(): typeof Long {
  if (LongClass === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const m = require('long') as typeof Long & { default?: typeof Long };
    LongClass = m.default ?? m;
  }
  return LongClass;
}

const EMPTY_KEY_SUBSTITUTE = '\x01';
/** fabric-shim's metadata key of a key-level endorsement policy. */
const VALIDATION_PARAMETER = 'VALIDATION_PARAMETER';

let active: SandboxInvocation | undefined;

/** Marks the transaction whose stub may reach the host; the dispatcher sets it per transaction. */
export function setActiveInvocation(inv: SandboxInvocation | undefined): void {
  active = inv;
  setIteratorTransaction(inv);
}

/** Mutable per-transaction state the dispatcher reads back after the call. */
export interface TxEffects {
  event?: { eventName: string; payload: Uint8Array };
}

export class ChaincodeStub {
  readonly bufferArgs: Buffer[];
  readonly transientMap: Map<string, Buffer>;
  #txTimestamp: { seconds: Long; nanos: number } | undefined;
  #signedProposal: FabricSignedProposal | undefined | null = null;

  constructor(
    private readonly inv: SandboxInvocation,
    readonly effects: TxEffects,
  ) {
    this.bufferArgs = inv.args.map(fromWire);
    this.transientMap = new Map(inv.transient.map(([k, v]) => [k, fromWire(v)]));
  }

  // fabric-shim's stub fields, which chaincode also reads directly (`ctx.stub.txId`).
  get txId(): string {
    return this.inv.txId;
  }
  get channel_id(): string {
    return this.inv.channelId;
  }
  get args(): string[] {
    return this.getArgs();
  }
  get creator(): { mspid: string; idBytes: Buffer } {
    return this.getCreator();
  }
  get binding(): string {
    return this.inv.binding;
  }
  get validationParameterMetakey(): string {
    return VALIDATION_PARAMETER;
  }
  /** A google-protobuf Timestamp in fabric-shim; `getTxTimestamp()` answers with a Long. */
  get txTimestamp(): TimestampMessage {
    return timestampMessage({ seconds: this.inv.seconds, nanos: this.inv.nanos });
  }
  get signedProposal(): FabricSignedProposal | undefined {
    return this.getSignedProposal();
  }

  /**
   * A stub kept past its transaction (a stashed promise resolved later) must not write into
   * another transaction's read/write set.
   */
  #live(): void {
    if (active !== this.inv) throw new Error(`the stub of transaction ${this.inv.txId} was used after that transaction ended`);
  }

  getArgs(): string[] {
    return this.bufferArgs.map((b) => b.toString('utf8'));
  }
  getStringArgs(): string[] {
    return this.getArgs();
  }
  getBufferArgs(): Buffer[] {
    return this.bufferArgs.slice();
  }
  getFunctionAndParameters(): { fcn: string; params: string[] } {
    const values = this.getStringArgs();
    if (values.length >= 1) return { fcn: values[0], params: values.slice(1) };
    return { fcn: '', params: [] };
  }
  getTxID(): string {
    return this.inv.txId;
  }
  getChannelID(): string {
    return this.inv.channelId;
  }
  getCreator(): { mspid: string; idBytes: Buffer } {
    return { mspid: this.inv.creatorMspId, idBytes: fromWire(this.inv.creatorIdBytes) };
  }
  getMspID(): string {
    if (!this.inv.mspId) throw new Error('CORE_PEER_LOCALMSPID is unset in chaincode process');
    return this.inv.mspId;
  }
  getTransient(): Map<string, Buffer> {
    return new Map(this.transientMap);
  }
  getSignedProposal(): FabricSignedProposal | undefined {
    if (this.#signedProposal === null) {
      const sp = unwrap(host().getSignedProposal());
      this.#signedProposal = sp === undefined ? undefined : fabricSignedProposal(sp);
    }
    return this.#signedProposal;
  }
  getTxTimestamp(): { seconds: Long; nanos: number } {
    this.#txTimestamp ??= { seconds: longClass().fromNumber(this.inv.seconds, true), nanos: this.inv.nanos };
    return this.#txTimestamp;
  }
  getDateTimestamp(): Date {
    return this.txTimestamp.toDate();
  }
  getBinding(): string {
    return this.inv.binding;
  }

  async getState(key: string): Promise<Buffer> {
    this.#live();
    const v = unwrap(host().getState(key));
    return v === undefined ? Buffer.alloc(0) : fromWire(v);
  }
  async putState(key: string, value: Uint8Array | string): Promise<void> {
    this.#live();
    unwrap(host().putState(key, toBytes(value, 'value')));
  }
  async deleteState(key: string): Promise<void> {
    this.#live();
    unwrap(host().deleteState(key));
  }
  async setStateValidationParameter(key: string, ep: Uint8Array): Promise<void> {
    this.#live();
    unwrap(host().setStateValidationParameter(key, toBytes(ep, 'endorsement policy')));
  }
  async getStateValidationParameter(key: string): Promise<Buffer> {
    this.#live();
    const v = unwrap(host().getStateValidationParameter(key));
    return v === undefined ? Buffer.alloc(0) : toBuffer(v);
  }

  getStateByRange(startKey: string, endKey: string): Promise<StateQueryIterator> & AsyncIterable<KVResult> {
    return asyncIterable(
      (async () => {
        this.#live();
        const start = !startKey ? EMPTY_KEY_SUBSTITUTE : startKey;
        validateSimpleKeys(start, endKey);
        return StateQueryIterator.fromBatch(unwrap(host().openStateByRange(start, endKey ?? '')));
      })(),
    );
  }
  getStateByRangeWithPagination(startKey: string, endKey: string, pageSize: number, bookmark?: string): PagedResult {
    return asyncIterable(
      (async () => {
        this.#live();
        const start = !startKey ? EMPTY_KEY_SUBSTITUTE : startKey;
        validateSimpleKeys(start, endKey);
        return pagedQuery(pageSize, bookmark, {
          whole: () => host().openStateByRange(start, endKey ?? ''),
          page: (size, mark) => host().getStateByRangeWithPagination(start, endKey ?? '', size, mark),
        });
      })(),
    );
  }
  getQueryResult(query: string): Promise<StateQueryIterator> & AsyncIterable<KVResult> {
    return asyncIterable((async () => (this.#live(), StateQueryIterator.fromBatch(unwrap(host().openQueryResult(query)))))());
  }
  getQueryResultWithPagination(query: string, pageSize: number, bookmark?: string): PagedResult {
    return asyncIterable(
      (async () => {
        this.#live();
        return pagedQuery(pageSize, bookmark, {
          whole: () => host().openQueryResult(query),
          page: (size, mark) => host().getQueryResultWithPagination(query, size, mark),
        });
      })(),
    );
  }
  getHistoryForKey(key: string): Promise<HistoryQueryIterator> & AsyncIterable<KeyModificationResult> {
    return asyncIterable((async () => (this.#live(), HistoryQueryIterator.fromBatch(unwrap(host().openHistoryForKey(key)))))());
  }

  async invokeChaincode(chaincodeName: string, args: (string | Uint8Array)[], channel?: string): Promise<{ status: number; message: string; payload: Buffer }> {
    this.#live();
    if (!Array.isArray(args)) throw new Error('args must be an array');
    const h = host();
    // Waiting lets the callee run off the peer's thread (as a chaincode server); only a transaction running off it can.
    const call = this.inv.canWait === true && h.invokeChaincodeWaiting !== undefined ? h.invokeChaincodeWaiting : h.invokeChaincode;
    const r = unwrap(call(chaincodeName, args.map((a) => toBytes(a, 'argument')), channel ?? ''));
    return { status: r.status, message: r.message, payload: toBuffer(r.payload) };
  }

  setEvent(name: string, payload: Uint8Array | string): void {
    this.#live();
    if (typeof name !== 'string' || name === '') throw new Error('Event name must be a non-empty string');
    const bytes = toBytes(payload ?? Buffer.alloc(0), 'event payload');
    if (bytes.length > this.inv.maxEventBytes) throw new Error(`event payload of ${bytes.length} bytes exceeds the limit of ${this.inv.maxEventBytes} bytes`);
    this.effects.event = { eventName: name, payload: Uint8Array.from(bytes) };
  }

  createCompositeKey(objectType: string, attributes: string[]): string {
    return createCompositeKey(objectType, attributes);
  }
  splitCompositeKey(compositeKey: string): { objectType: string | null; attributes: string[] } {
    return splitCompositeKey(compositeKey);
  }
  getStateByPartialCompositeKey(objectType: string, attributes: string[]): Promise<StateQueryIterator> & AsyncIterable<KVResult> {
    return asyncIterable(
      (async () => {
        this.#live();
        return StateQueryIterator.fromBatch(unwrap(host().openStateByRange(...partialKeyRange(objectType, attributes))));
      })(),
    );
  }
  getStateByPartialCompositeKeyWithPagination(objectType: string, attributes: string[], pageSize: number, bookmark?: string): PagedResult {
    return asyncIterable(
      (async () => {
        this.#live();
        const [start, end] = partialKeyRange(objectType, attributes);
        return pagedQuery(pageSize, bookmark, {
          whole: () => host().openStateByRange(start, end),
          page: (size, mark) => host().getStateByRangeWithPagination(start, end, size, mark),
        });
      })(),
    );
  }

  async getPrivateData(collection: string, key: string): Promise<Buffer> {
    validateCollectionAndKey(collection, key);
    this.#live();
    const v = unwrap(host().getPrivateData(collection, key));
    return v === undefined ? Buffer.alloc(0) : fromWire(v);
  }
  async getPrivateDataHash(collection: string, key: string): Promise<Buffer> {
    validateCollectionAndKey(collection, key);
    this.#live();
    const v = unwrap(host().getPrivateDataHash(collection, key));
    return v === undefined ? Buffer.alloc(0) : fromWire(v);
  }
  async putPrivateData(collection: string, key: string, value: Uint8Array | string): Promise<void> {
    validateCollectionAndKey(collection, key);
    if (!value) throw new Error('value must be valid');
    this.#live();
    unwrap(host().putPrivateData(collection, key, toBytes(value, 'value')));
  }
  async deletePrivateData(collection: string, key: string): Promise<void> {
    validateCollectionAndKey(collection, key);
    this.#live();
    unwrap(host().deletePrivateData(collection, key));
  }
  async purgePrivateData(collection: string, key: string): Promise<void> {
    validateCollectionAndKey(collection, key);
    this.#live();
    unwrap(host().purgePrivateData(collection, key));
  }
  /** fabric-shim checks nothing here, and the peer takes an empty collection to mean public state. */
  async setPrivateDataValidationParameter(collection: string, key: string, ep: Uint8Array): Promise<void> {
    this.#live();
    const policy = toBytes(ep, 'endorsement policy');
    unwrap(collection === '' ? host().setStateValidationParameter(key, policy) : host().setPrivateDataValidationParameter(collection, key, policy));
  }
  /** As {@link setPrivateDataValidationParameter}; an absent policy is an empty Buffer, as for public state. */
  async getPrivateDataValidationParameter(collection: string, key: string): Promise<Buffer> {
    this.#live();
    const v = unwrap(collection === '' ? host().getStateValidationParameter(key) : host().getPrivateDataValidationParameter(collection, key));
    return v === undefined ? Buffer.alloc(0) : toBuffer(v);
  }

  /*
   * fabric-shim counts the private queries' arguments (`arguments.length`), and resolves them to
   * `{iterator}` rather than to the iterator its typings promise: chaincode that runs on Fabric
   * reads `.iterator` or uses `for await` on the call, so both must work here, and nothing else.
   */
  getPrivateDataByRange(collection: string, startKey: string, endKey: string): PrivateQueryResult {
    const argc = arguments.length;
    return asyncIterable(
      (async () => {
        if (argc !== 3) throw new Error('getPrivateDataByRange requires three arguments, collection, startKey and endKey');
        validateCollection(collection);
        this.#live();
        return { iterator: StateQueryIterator.fromBatch(unwrap(host().openPrivateDataByRange(collection, startKey || EMPTY_KEY_SUBSTITUTE, endKey ?? ''))) };
      })(),
    );
  }
  getPrivateDataByPartialCompositeKey(collection: string, objectType: string, attributes: string[]): PrivateQueryResult {
    const argc = arguments.length;
    return asyncIterable(
      (async () => {
        if (argc !== 3) throw new Error('getPrivateDataByPartialCompositeKey requires three arguments, collection, objectType and attributes');
        validateCollection(collection);
        const [start, end] = partialKeyRange(objectType, attributes);
        this.#live();
        return { iterator: StateQueryIterator.fromBatch(unwrap(host().openPrivateDataByRange(collection, start, end))) };
      })(),
    );
  }
  getPrivateDataQueryResult(collection: string, query: string): PrivateQueryResult {
    const argc = arguments.length;
    return asyncIterable(
      (async () => {
        if (argc !== 2) throw new Error('getPrivateDataQueryResult requires two arguments, collection and query');
        validateCollection(collection);
        this.#live();
        return { iterator: StateQueryIterator.fromBatch(unwrap(host().openPrivateDataQueryResult(collection, query))) };
      })(),
    );
  }

  /*
   * Weft's paginated private queries (Fabric has none: hyperledger/fabric#4197): the public twins'
   * arguments after a collection, their answer, and the private queries' checks.
   */
  getPrivateDataByRangeWithPagination(collection: string, startKey: string, endKey: string, pageSize: number, bookmark?: string): PagedResult {
    const argc = arguments.length;
    return asyncIterable(
      (async () => {
        checkPagedArity('getPrivateDataByRangeWithPagination', argc, 4, 'collection, startKey, endKey, pageSize');
        validateCollection(collection);
        this.#live();
        const start = !startKey ? EMPTY_KEY_SUBSTITUTE : startKey;
        validateSimpleKeys(start, endKey);
        return this.#privateRangePage(collection, start, endKey ?? '', pageSize, bookmark);
      })(),
    );
  }
  getPrivateDataByPartialCompositeKeyWithPagination(collection: string, objectType: string, attributes: string[], pageSize: number, bookmark?: string): PagedResult {
    const argc = arguments.length;
    return asyncIterable(
      (async () => {
        checkPagedArity('getPrivateDataByPartialCompositeKeyWithPagination', argc, 4, 'collection, objectType, attributes, pageSize');
        validateCollection(collection);
        const [start, end] = partialKeyRange(objectType, attributes);
        this.#live();
        return this.#privateRangePage(collection, start, end, pageSize, bookmark);
      })(),
    );
  }
  getPrivateDataQueryResultWithPagination(collection: string, query: string, pageSize: number, bookmark?: string): PagedResult {
    const argc = arguments.length;
    return asyncIterable(
      (async () => {
        checkPagedArity('getPrivateDataQueryResultWithPagination', argc, 3, 'collection, query, pageSize');
        validateCollection(collection);
        this.#live();
        return pagedQuery(pageSize, bookmark, {
          whole: () => host().openPrivateDataQueryResult(collection, query),
          page: (size, mark) => host().getPrivateDataQueryResultWithPagination(collection, query, size, mark),
        });
      })(),
    );
  }
  #privateRangePage(collection: string, start: string, end: string, pageSize: unknown, bookmark: string | undefined): PagedValue {
    return pagedQuery(pageSize, bookmark, {
      whole: () => host().openPrivateDataByRange(collection, start, end),
      page: (size, mark) => host().getPrivateDataByRangeWithPagination(collection, start, end, size, mark),
    });
  }
}

type PrivateQueryResult = Promise<{ iterator: StateQueryIterator }> & AsyncIterable<KVResult>;
