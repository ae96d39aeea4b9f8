import { status as GrpcStatus } from '@grpc/grpc-js';
import { ChaincodeEventsRequest, ChaincodeEventsResponse, SignedChaincodeEventsRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import type { SignedData } from '../../policy/policy';
import { parseSignedProposal } from '../../protocol/proposal';
import { parseProposalResponse } from '../../protocol/proposal-response';
import { buildTransactionEnvelope } from '../../protocol/transaction';
import { int32Field, lenField as wireLenField, message as wireMessage, stringField, submessage, uintField } from '../../protocol/wire-writer';
import type { Channel } from '../channel/channel';
import { lengthDelimitedField } from '../grpc/proto-frame';
import type { Endorser } from '../endorser/endorser';
import { type EndpointError, GatewayRpcError } from '../grpc/grpc-status';
import { PeerError } from '../peer-error';
import type { Broadcaster } from './broadcaster';
import { ChaincodeEventStream } from './chaincode-event-stream';
import { CommitWaiter } from './commit-waiter';
import type { EndorsementCollector } from './endorsement-collector';
import type { EndorsingPeer } from './endorser-client';
import { readCommitStatusRequest, readProposalRequest, readSubmitRequest } from './gateway-requests';

/** What the Gateway needs from the peer. */
export interface GatewaySupport {
  readonly endorser: Endorser;
  readonly collector: EndorsementCollector;
  /** This peer as an endorsing peer (no network hop). */
  readonly local: EndorsingPeer;
  /** Known peers of other orgs (static config until discovery exists). */
  peers(channelId: string): readonly EndorsingPeer[];
  channel(channelId: string): Channel | undefined;
  /** Broadcasters to the channel's orderers, in the order to try them. */
  broadcasters(channelId: string): readonly Broadcaster[];
  readonly endorsementTimeoutMs: number;
  readonly broadcastTimeoutMs: number;
}

const EMPTY = new Uint8Array(0);
const noSignature = (creator: Uint8Array) => ({ serialized: creator, sign: () => EMPTY });

/**
 * Fabric's Gateway service (`gateway.Gateway`) over raw request bytes: Evaluate, Endorse, Submit,
 * CommitStatus and ChaincodeEvents, with Fabric's error shapes so `@hyperledger/fabric-gateway`
 * reports them unchanged. Methods throw {@link GatewayRpcError}.
 */
export class GatewayService {
  private readonly waiters = new Map<Channel, CommitWaiter>();

  constructor(private readonly support: GatewaySupport) {}

  async evaluate(requestBytes: Uint8Array): Promise<Uint8Array> {
    const req = readProposalRequest(requestBytes, 'EvaluateRequest');
    const signed = req.proposal;
    if (signed === undefined) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'an evaluate request requires a proposal');
    const local = this.support.local;
    const targets = req.orgs;
    let response: { status: number; message: string; payload: Uint8Array };
    let target = local;
    if (targets.length > 0 && !targets.includes(local.mspId)) {
      // Evaluate on a peer of a requested org (the client asked for that org's view of the state),
      // moving on to the next one when a peer cannot be reached.
      const candidates = this.support.peers(req.channelId).filter((p) => targets.includes(p.mspId));
      if (candidates.length === 0) throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, `no peers available to evaluate in orgs [${targets.join(', ')}]`);
      const deadline = Date.now() + this.support.endorsementTimeoutMs;
      const failures: EndpointError[] = [];
      let answered: { peer: EndorsingPeer; response: typeof response } | undefined;
      for (const remote of candidates) {
        try {
          answered = { peer: remote, response: parseProposalResponse(await remote.processProposal(signed, deadline)).response };
          break;
        } catch (err) {
          failures.push({ address: remote.address, mspId: remote.mspId, message: (err as { details?: string }).details ?? (err as Error).message });
        }
      }
      if (answered === undefined) {
        throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, `evaluate call to endorser returned error: ${failures.map((f) => f.message).join('; ')}`, failures);
      }
      target = answered.peer;
      response = answered.response;
    } else {
      try {
        response = (await this.support.endorser.simulate(signed, { readWriteSet: false })).result.response;
      } catch (err) {
        const message = (err as Error).message;
        throw new GatewayRpcError(GrpcStatus.ABORTED, `evaluate call to endorser returned error: ${message}`, [{ address: local.address, mspId: local.mspId, message }]);
      }
    }
    const { status, message, payload } = response;
    if (status < 200 || status >= 400) {
      const detail = `chaincode response ${status}, ${message}`;
      throw new GatewayRpcError(GrpcStatus.ABORTED, `evaluate call to endorser returned error: ${detail}`, [{ address: target.address, mspId: target.mspId, message: detail }]);
    }
    // EvaluateResponse{result = 1: Response{status = 1, message = 2, payload = 3}}, encoded as google-protobuf does.
    return wireMessage(wireLenField(1, submessage(int32Field(1, status), stringField(2, message), wireLenField(3, payload, true)), false));
  }

  async endorse(requestBytes: Uint8Array): Promise<Uint8Array> {
    const req = readProposalRequest(requestBytes, 'EndorseRequest');
    const signed = req.proposal;
    if (signed === undefined) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'an endorse request requires a proposal');
    let proposal;
    try {
      proposal = parseSignedProposal(signed);
    } catch (err) {
      throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, (err as Error).message);
    }
    const channel = this.requireChannel(proposal.channelId);
    const deadline = Date.now() + this.support.endorsementTimeoutMs;
    const collected = await this.support.collector.collect(
      proposal,
      signed,
      channel,
      this.support.local,
      this.support.peers(channel.id),
      req.orgs,
      deadline,
    );
    let envelope: Uint8Array;
    try {
      envelope = buildTransactionEnvelope(proposal, collected.map((c) => c.response), noSignature(proposal.creator));
    } catch (err) {
      throw new GatewayRpcError(GrpcStatus.ABORTED, `failed to assemble transaction: ${(err as Error).message}`);
    }
    // EndorseResponse{prepared_transaction = 1}: the envelope goes out as built, not re-encoded.
    return lengthDelimitedField(1, envelope);
  }

  async submit(requestBytes: Uint8Array): Promise<Uint8Array> {
    const req = readSubmitRequest(requestBytes);
    // The envelope goes to the orderer exactly as the client sent it.
    const bytes = req.envelope;
    if (bytes === undefined) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'a submit request requires a transaction');
    if (req.signature.length === 0) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'prepared transaction must be signed');
    const channelId = req.channelId;
    this.requireChannel(channelId);
    const broadcasters = this.support.broadcasters(channelId);
    if (broadcasters.length === 0) throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, `no orderer nodes available for channel ${channelId}`);
    const errors: EndpointError[] = [];
    for (const b of broadcasters) {
      try {
        const result = await withTimeout(b.send(bytes), this.support.broadcastTimeoutMs, `broadcast to ${b.address} timed out`);
        // SubmitResponse has no fields: its encoding is empty.
        if (result.status === 200) return EMPTY;
        const message = `received unsuccessful response from orderer: status=${statusName(result.status)}, info=${result.info}`;
        // A rejected envelope is final (bad request / forbidden); only unavailability moves on.
        if (result.status !== 503) throw new GatewayRpcError(GrpcStatus.ABORTED, message, [{ address: b.address, mspId: '', message }]);
        errors.push({ address: b.address, mspId: '', message });
      } catch (err) {
        if (err instanceof GatewayRpcError) throw err;
        errors.push({ address: b.address, mspId: '', message: (err as Error).message });
      }
    }
    throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, 'no orderers could successfully process transaction', errors);
  }

  async commitStatus(requestBytes: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const req = readCommitStatusRequest(requestBytes);
    const channel = this.requireChannel(req.channelId);
    this.authorize(channel, { data: req.request, identity: req.identity, signature: req.signature });
    const status = await this.waiter(channel).wait(req.transactionId, signal);
    // CommitStatusResponse{result = 1 (TxValidationCode), block_number = 2}, encoded as google-protobuf does.
    return wireMessage(int32Field(1, status.validationCode), uintField(2, status.blockNumber));
  }

  /** Streams `ChaincodeEventsResponse` bytes to `send` until the client leaves (`signal`). */
  async chaincodeEvents(requestBytes: Uint8Array, send: (res: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void> {
    const signed = decodeOr(SignedChaincodeEventsRequest, requestBytes, 'SignedChaincodeEventsRequest');
    const inner = signed.getRequest_asU8();
    const req = decodeOr(ChaincodeEventsRequest, inner, 'ChaincodeEventsRequest');
    const channel = this.requireChannel(req.getChannelId());
    this.authorize(channel, { data: inner, identity: req.getIdentity_asU8(), signature: signed.getSignature_asU8() });
    const stream = new ChaincodeEventStream(channel, req.getChaincodeId(), req.getStartPosition(), req.getAfterTransactionId());
    await stream.run(async (blockNumber, events) => {
      const res = new ChaincodeEventsResponse();
      res.setBlockNumber(blockNumber);
      res.setEventsList(events);
      await send(res.serializeBinary());
    }, signal);
  }

  close(): void {
    for (const w of this.waiters.values()) w.close();
    this.waiters.clear();
  }

  private waiter(channel: Channel): CommitWaiter {
    let w = this.waiters.get(channel);
    if (w === undefined) {
      w = new CommitWaiter(channel);
      this.waiters.set(channel, w);
    }
    return w;
  }

  private requireChannel(channelId: string): Channel {
    const channel = this.support.channel(channelId);
    if (channel === undefined) throw new GatewayRpcError(GrpcStatus.NOT_FOUND, `channel '${channelId}' not found`);
    return channel;
  }

  private authorize(channel: Channel, signed: SignedData): void {
    const resources = channel.resources();
    let ok = false;
    let reason = '';
    try {
      const id = resources.deserializer.deserializeIdentity(signed.identity);
      if (id.expiresAt.getTime() <= Date.now()) reason = 'identity expired';
      else {
        const r = resources.policy('/Channel/Application/Readers').evaluate([signed]);
        ok = r.satisfied;
        if (!r.satisfied) reason = r.reason;
      }
    } catch (err) {
      reason = err instanceof PeerError ? err.message : (err as Error).message;
    }
    if (!ok) throw new GatewayRpcError(GrpcStatus.PERMISSION_DENIED, `access denied on channel ${channel.id}: ${reason}`);
  }
}

function decodeOr<T>(cls: { deserializeBinary(b: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return cls.deserializeBinary(bytes);
  } catch (err) {
    throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, `${what} does not decode: ${(err as Error).message}`);
  }
}

const STATUS_NAMES: Record<number, string> = { 200: 'SUCCESS', 400: 'BAD_REQUEST', 403: 'FORBIDDEN', 404: 'NOT_FOUND', 413: 'REQUEST_ENTITY_TOO_LARGE', 500: 'INTERNAL_SERVER_ERROR', 503: 'SERVICE_UNAVAILABLE' };
function statusName(status: number): string {
  return STATUS_NAMES[status] ?? String(status);
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(message)), ms);
    }),
  ]);
}
