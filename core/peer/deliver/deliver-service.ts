import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Logger } from 'pino';
import { SeekInfo } from '@hyperledger/fabric-protos/lib/orderer/ab_pb';
import { BlockAndPrivateData } from '@hyperledger/fabric-protos/lib/peer/events_pb';
import type { TxPvtReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import type { EndorsementPolicies } from '../validation/endorsement-policies';
import { type DeliverDataType, type DeliverMetrics, type DeliverRequestMetrics, NO_DELIVER_METRICS } from '../../node/operations/deliver-metrics';
import { creatorExpiresAtCached } from '../../msp/creator-expiry';
import { getTransactionsFilter, parseBlock } from '../../protocol/block';
import { deliverHeaderProblem, headerWithSignatures } from '../../protocol/deliver-request';
import { envelopeSignedData, parseEnvelope } from '../../protocol/envelope';
import type { SignedData } from '../../policy/policy';
import type { Channel, CommittedBlock } from '../channel/channel';
import type { ChannelResources } from '../channel/channel-resources';
import { filteredBlockOf } from './filtered-block';
import { PrivateDataFilter } from './private-data-filter';
import { lengthDelimitedField } from '../grpc/proto-frame';
import { isRefusal, resolveSeek } from './seek-range';
import { statusName } from '../../protocol/status-name';

/** Which `protos.Deliver` method a stream serves. */
export type DeliverKind = 'block' | 'filtered' | 'private';

/** `common.Status` values Deliver answers with. */
export const DeliverStatus = { SUCCESS: 200, BAD_REQUEST: 400, FORBIDDEN: 403, NOT_FOUND: 404, SERVICE_UNAVAILABLE: 503 } as const;

/** Where a Deliver request's responses go; `write` resolves when the stream can take more. */
export interface DeliverSink {
  write(response: Uint8Array): Promise<void>;
  /** True once the client has gone (cancelled or closed the stream). */
  closed(): boolean;
  /** Resolves when the client goes away. */
  readonly gone: Promise<void>;
  /** The client's address (`host:port`), named in the warning logged when a request is refused; absent when the transport cannot tell. */
  readonly remoteAddress?: string;
}

const DATA_TYPES: Record<DeliverKind, DeliverDataType> = { block: 'block', filtered: 'filtered_block', private: 'block_and_pvtdata' };
const STATUS_TAG = 0x08;

/** `DeliverResponse{status}` bytes. */
export function statusResponse(status: number): Uint8Array {
  // field 1 (status), varint wire type
  const bytes = [0x08];
  let v = status;
  while (v >= 0x80) {
    bytes.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  bytes.push(v);
  return Uint8Array.from(bytes);
}

/** The status of a `DeliverResponse{status}` made by {@link statusResponse}. */
function statusOf(response: Uint8Array): number {
  let value = 0;
  for (let i = 1, shift = 0; i < response.length; i++, shift += 7) {
    value += (response[i]! & 0x7f) * 2 ** shift;
    if ((response[i]! & 0x80) === 0) break;
  }
  return value;
}

/**
 * The peer's event service (`protos.Deliver`): for each signed `SeekInfo` envelope, checks the
 * channel's Readers policy (again before each block when the config changed, and the creator's
 * certificate expiry before each block) and streams blocks (full, filtered, or with private data) from start to
 * stop, waiting for new commits, then a status. Stored block bytes are sent as is.
 */
export class DeliverService {
  private readonly timeWindowMs: number;
  private readonly now: () => number;
  /** Counted when the peer has an operations endpoint; the gRPC layer counts streams on it too. */
  readonly metrics: DeliverMetrics | undefined;
  /** One per stream (keyed by its `sink.gone`), shared by every block wait on it: see {@link goneSignal}. */
  private readonly goneSignals = new WeakMap<Promise<void>, AbortSignal>();
  /** Compiles collections' member orgs policies; absent: collection membership is by MSP id. */
  private readonly policies: Pick<EndorsementPolicies, 'signaturePolicy'> | undefined;
  private readonly logger: Logger | undefined;

  /**
   * `timeWindowMs` bounds a request's timestamp (`peer.authTimeWindowMs`); `now` is the clock it and
   * certificate expiry are checked against (tests pass their own); `logger` (Fabric's
   * `common.deliver`) gets a warning for each refused request, as Fabric's deliver handler logs one.
   */
  constructor(
    private readonly channels: (channelId: string) => Channel | undefined,
    options: { timeWindowMs: number; metrics?: DeliverMetrics; now?: () => number; policies?: Pick<EndorsementPolicies, 'signaturePolicy'>; logger?: Logger },
  ) {
    this.logger = options.logger;
    this.policies = options.policies;
    this.timeWindowMs = options.timeWindowMs;
    this.metrics = options.metrics;
    this.now = options.now ?? Date.now;
  }

  /**
   * Serves one request envelope; returns when its range is done or the client left, with the
   * status it answered (undefined when the client left first): Fabric ends the stream after any
   * status but SUCCESS. `clientCertHash`: the hash of the connection's client TLS certificate when
   * the peer requires client certificates (the request must name it), else undefined.
   */
  async serve(requestBytes: Uint8Array, kind: DeliverKind, sink: DeliverSink, clientCertHash?: Uint8Array): Promise<number | undefined> {
    const request = this.metrics?.request(DATA_TYPES[kind]) ?? NO_DELIVER_METRICS;
    let status: number | undefined;
    const watched: DeliverSink = {
      ...sink,
      write: (res) => {
        // A status ends the request (DeliverResponse field 1); anything else carries a block.
        if (res[0] === STATUS_TAG) {
          status = statusOf(res);
          request.completed(status === DeliverStatus.SUCCESS);
        } else if (!sink.closed()) request.blockSent();
        return sink.write(res);
      },
    };
    await this.deliver(requestBytes, kind, watched, clientCertHash, request);
    // The client left before a status (as Fabric counts it: completed, not a success).
    if (status === undefined) request.completed(false);
    return status;
  }

  private async deliver(requestBytes: Uint8Array, kind: DeliverKind, sink: DeliverSink, clientCertHash: Uint8Array | undefined, request: DeliverRequestMetrics): Promise<void> {
    const refuse = (status: number, channel: string | undefined, reason: string, message = 'deliver request refused'): Promise<void> => {
      this.logger?.warn({ channel, client: sink.remoteAddress, status: statusName(status), reason }, message);
      return sink.write(statusResponse(status));
    };
    let env;
    let seek: SeekInfo;
    try {
      // fabric-gateway sends no nonce in seek requests: only the creator and signature are required.
      env = parseEnvelope(requestBytes, { types: [HeaderType.DELIVER_SEEK_INFO], requireSignature: true });
    } catch (err) {
      return refuse(DeliverStatus.BAD_REQUEST, undefined, `the request envelope does not parse: ${(err as Error).message}`);
    }
    const channelId = env.channelHeader.channelId;
    if (env.signatureHeader.creator.length === 0) return refuse(DeliverStatus.BAD_REQUEST, channelId, 'envelope.payload.header.signature_header.creator is empty');
    const headerProblem = deliverHeaderProblem(env.channelHeader, { now: this.now(), timeWindowMs: this.timeWindowMs, clientCertHash });
    if (headerProblem !== undefined) return refuse(DeliverStatus.BAD_REQUEST, channelId, headerProblem);
    const channel = this.channels(channelId);
    if (channel === undefined) {
      // Fabric logs this at debug only: SDKs poll for channels being created.
      this.logger?.debug({ channel: channelId, client: sink.remoteAddress }, 'deliver request for a channel this peer has not joined');
      return sink.write(statusResponse(DeliverStatus.NOT_FOUND));
    }
    request.channelKnown(channel.id);
    // After the channel, as Fabric's deliverBlocks: an unknown channel is NOT_FOUND whatever the seek.
    try {
      seek = SeekInfo.deserializeBinary(env.data);
    } catch (err) {
      return refuse(DeliverStatus.BAD_REQUEST, channelId, `envelope.payload.data is not a SeekInfo: ${(err as Error).message}`);
    }
    let mspId: string;
    try {
      mspId = channel.resources().deserializer.deserializeIdentity(env.signatureHeader.creator).mspId;
    } catch (err) {
      return refuse(DeliverStatus.FORBIDDEN, channelId, `the creator is not an identity of this channel: ${(err as Error).message}`, NOT_AUTHORIZED);
    }
    // Fabric's deliver handler re-checks access before each block: the creator's certificate may
    // expire mid-stream, and a config block may change the ACL, the Readers policy or the MSPs. The
    // expiry is read from the creator's bytes (`crypto.ExpiresAt`: none when it cannot be told), and
    // the session ends only after it (`time.Now().After`).
    const expiresAt = creatorExpiresAtCached(env.signatureHeader.creator)?.getTime() ?? Infinity;
    const signedData = envelopeSignedData(env);
    let checkedSequence: number | undefined;
    /** Why the client may not be served now, or undefined when it may. */
    const denied = (): string | undefined => {
      const now = this.now();
      if (now > expiresAt) return `the client identity expired at ${new Date(expiresAt).toISOString()} (now ${new Date(now).toISOString()})`;
      const resources = channel.resources();
      if (resources.config.sequence === checkedSequence) return undefined;
      const problem = readersProblem(resources, kind, signedData);
      if (problem === undefined) checkedSequence = resources.config.sequence;
      return problem;
    };
    const refusedAccess = denied();
    if (refusedAccess !== undefined) return refuse(DeliverStatus.FORBIDDEN, channelId, refusedAccess, NOT_AUTHORIZED);
    const bootstrap = channel.ledger.snapshotBootstrap();
    const range = resolveSeek(seek, channel.height(), bootstrap === undefined ? 0 : bootstrap.lastBlockNumber + 1);
    if (isRefusal(range)) return refuse(range.status, channelId, range.reason);
    // Fabric sends a block's private data with its header alone too (HEADER_WITH_SIG): it looks the data up by the block's number.
    const filter = kind === 'private' ? new PrivateDataFilter(channel, this.policies, signedData, mspId) : undefined;

    for (let n = range.start; n <= range.stop; n++) {
      if (n >= channel.height()) {
        if (range.failIfNotReady) return refuse(DeliverStatus.NOT_FOUND, channelId, `block ${n} not found: the channel's height is ${channel.height()} (FAIL_IF_NOT_READY)`);
        if (!(await waitForHeight(channel, n + 1, this.goneSignal(sink.gone)))) return;
      }
      if (sink.closed()) return;
      const revoked = denied();
      if (revoked !== undefined) return refuse(DeliverStatus.FORBIDDEN, channelId, revoked, 'deliver client authorization revoked');
      const bytes = channel.ledger.getBlockBytes(n);
      if (bytes === undefined) {
        // Pruned while this stream was reading the blocks before the snapshot (weft.peer.Prune): gone, as if never held.
        const first = (channel.ledger.snapshotBootstrap()?.lastBlockNumber ?? -1) + 1;
        if (n < first) return refuse(DeliverStatus.NOT_FOUND, channelId, `block ${n} is not available on this peer: it was pruned while being delivered, and its first block is ${first}`);
        return refuse(DeliverStatus.SERVICE_UNAVAILABLE, channelId, `block ${n} could not be read from the ledger`);
      }
      const pvt = filter?.forBlock(n);
      await sink.write(responseFor(kind, channel.id, n, range.headersOnly ? headerWithSignatures(bytes) : bytes, pvt));
    }
    await sink.write(statusResponse(DeliverStatus.SUCCESS));
  }

  /**
   * `gone` as an AbortSignal, made once per stream: a promise reaction cannot be removed, so
   * subscribing to `gone` at every block wait would leave one callback per block for as long as
   * the stream lives. Waits add and remove abort listeners on this signal instead.
   */
  private goneSignal(gone: Promise<void>): AbortSignal {
    let signal = this.goneSignals.get(gone);
    if (signal === undefined) {
      const controller = new AbortController();
      void gone.then(() => controller.abort());
      signal = controller.signal;
      this.goneSignals.set(gone, signal);
    }
    return signal;
  }
}

const NOT_AUTHORIZED = 'deliver client is not authorized';

/** Why the channel's ACL for the stream kind (default: its Readers policy) does not admit the request's signer, or undefined when it does. */
function readersProblem(resources: ChannelResources, kind: DeliverKind, signedData: SignedData): string | undefined {
  const resource = kind === 'filtered' ? 'event/FilteredBlock' : 'event/Block';
  let path = '/Channel/Application/Readers';
  try {
    path = resources.aclPolicyPath(resource, path);
    const result = resources.policy(path).evaluate([signedData]);
    return result.satisfied ? undefined : `the client does not satisfy ${path} (ACL ${resource}): ${result.reason}`;
  } catch (err) {
    return `the ${resource} ACL policy ${path} could not be evaluated: ${(err as Error).message}`;
  }
}

function responseFor(kind: DeliverKind, channelId: string, n: number, bytes: Uint8Array, pvt?: ReadonlyMap<number, TxPvtReadWriteSet>): Uint8Array {
  if (kind === 'block') return lengthDelimitedField(2, bytes);
  const block = parseBlock(bytes, { verifyDataHash: false }).block;
  if (kind === 'filtered') {
    const committed: CommittedBlock = { number: n, block, bytes, flags: getTransactionsFilter(block) };
    return lengthDelimitedField(3, filteredBlockOf(channelId, committed).serializeBinary());
  }
  const bpd = new BlockAndPrivateData();
  bpd.setBlock(block);
  const map = bpd.getPrivateDataMapMap();
  for (const [txNum, set] of pvt ?? []) map.set(txNum, set);
  return lengthDelimitedField(4, bpd.serializeBinary());
}

/**
 * Waits until the channel reaches `height`; false when the client left first (`gone`). Holds one
 * block listener and one abort listener while it waits, both removed when it ends.
 */
function waitForHeight(channel: Channel, height: number, gone: AbortSignal): Promise<boolean> {
  if (channel.height() >= height) return Promise.resolve(true);
  if (gone.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const end = (reached: boolean): void => {
      off();
      gone.removeEventListener('abort', left);
      resolve(reached);
    };
    const left = (): void => end(false);
    const off = channel.onBlock(() => {
      if (channel.height() >= height) end(true);
    });
    gone.addEventListener('abort', left);
  });
}
