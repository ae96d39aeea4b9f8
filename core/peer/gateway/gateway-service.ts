import { status as GrpcStatus } from '@grpc/grpc-js';
import { ChaincodeEventsRequest, ChaincodeEventsResponse, SignedChaincodeEventsRequest } from '@hyperledger/fabric-protos/lib/gateway/gateway_pb';
import type { SignedData } from '../../policy/policy';
import type { ChaincodeInterest } from '../../protocol/chaincode-interest';
import { type ParsedSignedProposal, parseSignedProposal } from '../../protocol/proposal';
import { type ParsedProposalResponse, parseProposalResponse } from '../../protocol/proposal-response';
import { buildTransactionEnvelope } from '../../protocol/transaction';
import { int32Field, lenField as wireLenField, message as wireMessage, stringField, submessage, uintField } from '../../protocol/wire-writer';
import type { Channel } from '../channel/channel';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { lengthDelimitedField } from '../grpc/proto-frame';
import type { Endorser, SimulationOutcome } from '../endorser/endorser';
import { type EndpointError, GatewayRpcError } from '../grpc/grpc-status';
import { PeerError } from '../peer-error';
import { BFT_CONSENSUS_TYPE } from '../../protocol/bft-config';
import type { Broadcaster } from './broadcaster';
import { type CollectionEndorsers, collectionEndorsers, privateReadRefusal, unheldAnswer } from './collection-endorsers';
import { ChaincodeEventStream } from './chaincode-event-stream';
import { CommitWaiter, type CommitProgress } from './commit-waiter';
import type { EndorsementCollector } from './endorsement-collector';
import type { EndorsingPeer } from './endorser-client';
import { readCommitStatusRequest, readProposalRequest, readSubmitRequest } from './gateway-requests';
import { submitBft } from './submit-bft';
import { answerDeadline, untilDeadline } from './answer-deadline';
import { type ResponseStatus, localFailureStatus, responseStatus, unreachableStatus } from './response-status';
import { decodeFailure } from '../../protocol/bounded-decode';
import { statusName } from '../../protocol/status-name';

/** What the Gateway needs from the peer. */
export interface GatewaySupport {
  readonly endorser: Endorser;
  readonly collector: EndorsementCollector;
  /** This peer as an endorsing peer (no network hop). */
  readonly local: EndorsingPeer;
  /** Known peers of other orgs (static config until discovery exists). */
  peers(channelId: string): readonly EndorsingPeer[];
  channel(channelId: string): Channel | undefined;
  /** The channel's committer, so CommitStatus answers at once while it is stopped or paused. */
  committer?(channelId: string): CommitProgress | undefined;
  /** Broadcasters to the channel's orderers, in the order to try them. */
  broadcasters(channelId: string): readonly Broadcaster[];
  readonly endorsementTimeoutMs: number;
  readonly broadcastTimeoutMs: number;
  /** System chaincodes need no definition to be evaluated or endorsed. */
  isSystemChaincode(name: string): boolean;
}

const EMPTY = new Uint8Array(0);
// Fabric's words when the evaluation outlasts the client's deadline, with what the details add.
const EVALUATE_TIMEOUT = 'evaluate timeout expired, see attached details for more info';
const noSignature = (creator: Uint8Array) => ({ serialized: creator, sign: () => EMPTY });

/**
 * Fabric's Gateway service (`gateway.Gateway`) over raw request bytes: Evaluate, Endorse, Submit,
 * CommitStatus and ChaincodeEvents, with Fabric's error shapes so `@hyperledger/fabric-gateway`
 * reports them unchanged. Methods throw {@link GatewayRpcError}.
 */
export class GatewayService {
  private readonly waiters = new Map<Channel, CommitWaiter>();
  private readonly lifecycle = new LifecycleCache();

  constructor(private readonly support: GatewaySupport) {}

  /**
   * Fabric's `Evaluate` (`internal/pkg/gateway/evaluate.go`): this org's peers first (this one
   * first), then the other target orgs' peers, moving on while an answer says another peer may do
   * better (`responseStatus`). A proposal with transient data and no target orgs stays in this org.
   * Unlike Fabric, an answer that read private data its peer's org does not hold (a private query
   * there finds nothing), of the chaincode's collections, a called chaincode's or another org's
   * implicit collection, is not returned: the candidates of orgs that hold it are asked instead
   * ({@link CollectionEndorsers.unheldBy}), FAILED_PRECONDITION naming the collections when none answers.
   * `callDeadline` is the client's gRPC deadline. Fabric answers DEADLINE_EXCEEDED "evaluate timeout
   * expired" without details once it has passed, by when the client has given up; here the answer
   * comes a little before it ({@link answerDeadline}), with the peers' failures so far and the peer
   * still being waited on as details: each peer that cannot reach a chaincode server costs its dial
   * timeout, and a few of them in turn use up the client's whole deadline.
   */
  async evaluate(requestBytes: Uint8Array, signal?: AbortSignal, callDeadline = Number.POSITIVE_INFINITY): Promise<Uint8Array> {
    const answerBy = answerDeadline(callDeadline, Date.now());
    const req = readProposalRequest(requestBytes, 'EvaluateRequest');
    const signed = req.proposal;
    if (signed === undefined || signed.length === 0) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'failed to unpack transaction proposal: a signed proposal is required');
    let proposal: ParsedSignedProposal;
    try {
      proposal = parseSignedProposal(signed);
    } catch (err) {
      throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, `failed to unpack transaction proposal: ${(err as Error).message}`);
    }
    // Fabric's texts and codes: the proposal names no channel; the gateway has no config for it.
    if (proposal.channelId === '') throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'failed to unpack transaction proposal: no channel id provided');
    if (this.support.channel(proposal.channelId) === undefined) {
      throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, `failed to get config for channel [${proposal.channelId}]: could not get last config for channel ${proposal.channelId}`);
    }
    const local = this.support.local;
    const orgs = req.orgs.length === 0 && proposal.transient.size > 0 ? [local.mspId] : req.orgs;
    const candidates = this.defined(proposal) ? this.evaluators(proposal.channelId, orgs) : [];
    if (candidates.length === 0) {
      throw new GatewayRpcError(GrpcStatus.FAILED_PRECONDITION, `no peers available to evaluate chaincode ${proposal.chaincodeName} in channel ${proposal.channelId}`);
    }
    const details: EndpointError[] = [];
    let code = GrpcStatus.UNAVAILABLE;
    // Set by an answer that read private data its org lacks: only orgs holding it are asked after.
    let unheld: { readonly collections: readonly string[]; readonly holders: CollectionEndorsers } | undefined;
    for (const peer of candidates) {
      if (unheld !== undefined && !unheld.holders.admits(peer.mspId)) continue;
      if (Date.now() >= answerBy) throw new GatewayRpcError(GrpcStatus.DEADLINE_EXCEEDED, EVALUATE_TIMEOUT, details);
      const asked = Date.now();
      const answer = await untilDeadline(answerBy, signal, (s) =>
        peer === local ? this.evaluateLocally(proposal, s) : evaluateRemotely(peer, signed, Date.now() + this.support.endorsementTimeoutMs, s),
      );
      if (answer === undefined) {
        details.push({ address: peer.address, mspId: peer.mspId, message: `no answer within ${Date.now() - asked} ms, when the client's deadline was near` });
        throw new GatewayRpcError(GrpcStatus.DEADLINE_EXCEEDED, EVALUATE_TIMEOUT, details);
      }
      if (answer.result !== undefined) {
        const holders = this.holdersOf(answer.interest, proposal.channelId);
        const lacking = holders?.unheldBy(peer.mspId) ?? [];
        if (holders === undefined || lacking.length === 0) {
          const { status, message, payload } = answer.result;
          // EvaluateResponse{result = 1: Response{status = 1, message = 2, payload = 3}}, encoded as google-protobuf does.
          return wireMessage(wireLenField(1, submessage(int32Field(1, status), stringField(2, message), wireLenField(3, payload, true)), false));
        }
        unheld ??= { collections: lacking, holders };
        details.push({ address: peer.address, mspId: peer.mspId, message: unheldAnswer(lacking) });
        continue;
      }
      details.push({ address: peer.address, mspId: peer.mspId, message: answer.status.message });
      code = answer.status.code;
      if (!answer.status.retry) throw new GatewayRpcError(code, `evaluate call to endorser returned error: ${answer.status.message}`, details);
    }
    if (unheld !== undefined) throw new GatewayRpcError(GrpcStatus.FAILED_PRECONDITION, privateReadRefusal(unheld.collections, 'evaluate'), details);
    throw new GatewayRpcError(code, 'failed to evaluate transaction, see attached details for more info', details);
  }

  /**
   * Fabric's `Endorse`. `callDeadline` is when the client stops waiting (its gRPC deadline): no
   * endorser is asked past it.
   */
  async endorse(requestBytes: Uint8Array, callDeadline = Number.POSITIVE_INFINITY, signal?: AbortSignal): Promise<Uint8Array> {
    const req = readProposalRequest(requestBytes, 'EndorseRequest');
    const signed = req.proposal;
    if (signed === undefined) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'an endorse request requires a proposal');
    let proposal;
    try {
      proposal = parseSignedProposal(signed);
    } catch (err) {
      throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, (err as Error).message);
    }
    const channel = this.support.channel(proposal.channelId);
    if (channel === undefined || !this.defined(proposal)) {
      // Fabric finds no peer with the chaincode (or the channel) before asking any (planForOrgs, then discovery).
      if (req.orgs.length > 0) throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, `failed to find any endorsing peers for org(s): ${req.orgs.join(', ')}`);
      throw new GatewayRpcError(
        GrpcStatus.FAILED_PRECONDITION,
        `no combination of peers can be derived which satisfy the endorsement policy: No metadata was found for chaincode ${proposal.chaincodeName} in channel ${proposal.channelId}`,
      );
    }
    // Fabric bounds each endorser by `endorsementTimeout` and the whole call only by the client's
    // deadline: after a peer that hung, the next of its org still gets its full time.
    const collected = await this.support.collector.collect(
      proposal,
      signed,
      channel,
      this.support.local,
      this.support.peers(channel.id),
      req.orgs,
      callDeadline,
      this.support.endorsementTimeoutMs,
      signal,
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

  /**
   * Fabric's `Submit` (`internal/pkg/gateway/submit.go`). On a channel whose consensus type is BFT
   * it is `submitBFT` ({@link submitBft}): every orderer at once, a quorum must accept. Otherwise
   * `submitNonBFT`: the envelope goes to one orderer after another until one accepts it; a 4xx
   * answer (the envelope is at fault) is final (ABORTED), anything else moves on, ending UNAVAILABLE.
   */
  async submit(requestBytes: Uint8Array): Promise<Uint8Array> {
    const req = readSubmitRequest(requestBytes);
    // The envelope goes to the orderer exactly as the client sent it.
    const bytes = req.envelope;
    if (bytes === undefined) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'a prepared transaction is required');
    if (req.signature.length === 0) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'prepared transaction must be signed');
    const channelId = req.channelId;
    const channel = this.support.channel(channelId);
    if (channel === undefined) {
      throw new GatewayRpcError(GrpcStatus.FAILED_PRECONDITION, `failed to get config for channel [${channelId}]: could not get last config for channel ${channelId}`);
    }
    const broadcasters = this.support.broadcasters(channelId);
    if (broadcasters.length === 0) throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, 'no orderer nodes available');
    if (channel.resources().config.consensusType === BFT_CONSENSUS_TYPE) {
      // Fabric's cluster size is the number of orderer endpoints the channel config names.
      await submitBft(broadcasters, bytes, broadcasters.length, this.support.broadcastTimeoutMs, (address) => ordererMspId(channel, address));
      return EMPTY;
    }
    const errors: EndpointError[] = [];
    for (const b of broadcasters) {
      const mspId = ordererMspId(channel, b.address);
      let result;
      try {
        result = await b.send(bytes, this.support.broadcastTimeoutMs);
      } catch (err) {
        errors.push({ address: b.address, mspId, message: (err as Error).message });
        continue;
      }
      // SubmitResponse has no fields: its encoding is empty.
      if (result.status === 200) return EMPTY;
      const message = `received unsuccessful response from orderer: status=${statusName(result.status)}, info=${result.info}`;
      // Fabric's client error, final and without details: another orderer would refuse the envelope too.
      if (result.status >= 400 && result.status < 500) throw new GatewayRpcError(GrpcStatus.ABORTED, message);
      errors.push({ address: b.address, mspId, message });
    }
    throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, 'no orderers could successfully process transaction', errors);
  }

  /** Fabric's `CommitStatus` (`internal/pkg/gateway/commitstatus.go`): checks the request, then the `gateway/CommitStatus` ACL. */
  async commitStatus(requestBytes: Uint8Array, signal?: AbortSignal): Promise<Uint8Array> {
    const req = readCommitStatusRequest(requestBytes);
    if (req.request.length === 0) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'a commit status request is required');
    if (req.identity.length === 0) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'no identity provided');
    if (req.channelId === '') throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'no channel ID provided');
    if (req.transactionId === '') throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'transaction ID should not be empty');
    const channel = this.authorize(req.channelId, 'gateway/CommitStatus', { data: req.request, identity: req.identity, signature: req.signature });
    const status = await this.waiter(channel).wait(req.transactionId, signal);
    // CommitStatusResponse{result = 1 (TxValidationCode), block_number = 2}, encoded as google-protobuf does.
    return wireMessage(int32Field(1, status.validationCode), uintField(2, status.blockNumber));
  }

  /**
   * Fabric's `ChaincodeEvents` (`internal/pkg/gateway/chaincodeevents.go`): checks the
   * `gateway/ChaincodeEvents` ACL, then streams `ChaincodeEventsResponse` bytes to `send` until
   * the client leaves (`signal`).
   */
  async chaincodeEvents(requestBytes: Uint8Array, send: (res: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void> {
    const signed = decodeOr(SignedChaincodeEventsRequest, requestBytes, 'SignedChaincodeEventsRequest');
    const inner = signed.getRequest_asU8();
    if (inner.length === 0) throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, 'a chaincode events request is required');
    const req = decodeOr(ChaincodeEventsRequest, inner, 'ChaincodeEventsRequest');
    const channel = this.authorize(req.getChannelId(), 'gateway/ChaincodeEvents', { data: inner, identity: req.getIdentity_asU8(), signature: signed.getSignature_asU8() });
    const stream = new ChaincodeEventStream(channel, req.getChaincodeId(), req.getStartPosition(), req.getAfterTransactionId());
    await stream.run(async (blockNumber, events) => {
      const res = new ChaincodeEventsResponse();
      res.setBlockNumber(blockNumber);
      res.setEventsList(events);
      await send(res.serializeBinary());
    }, signal);
  }

  /** Whether the proposal's chaincode is one the channel's peers can run: a system chaincode, or one with a committed definition. */
  private defined(proposal: ParsedSignedProposal): boolean {
    if (this.support.isSystemChaincode(proposal.chaincodeName)) return true;
    const channel = this.support.channel(proposal.channelId);
    return channel !== undefined && this.lifecycle.definition(channel.ledger, proposal.chaincodeName) !== undefined;
  }

  /** Fabric's `registry.evaluator`: this org's peers (this one first) when targeted, then the other targeted orgs' peers. */
  private evaluators(channelId: string, orgs: readonly string[]): EndorsingPeer[] {
    if (this.support.channel(channelId) === undefined) return [];
    const local = this.support.local;
    const targeted = (mspId: string): boolean => orgs.length === 0 || orgs.includes(mspId);
    const peers = this.support.peers(channelId);
    const own = targeted(local.mspId) ? [local, ...peers.filter((p) => p.mspId === local.mspId && p !== local)] : [];
    return [...own, ...peers.filter((p) => p.mspId !== local.mspId && targeted(p.mspId))];
  }

  /**
   * Simulates on this peer without signing: the chaincode's response, or how the endorser failed.
   * No read/write set is built; the interest comes only with a private read (of the proposal's
   * chaincode, a chaincode it called, or an org's implicit collection), which
   * {@link holdersOf} checks against this peer's org.
   */
  private async evaluateLocally(proposal: ParsedSignedProposal, signal: AbortSignal | undefined): Promise<EvaluateAnswer> {
    let outcome: SimulationOutcome;
    try {
      outcome = await this.support.endorser.simulate(proposal, { readWriteSet: false, signal });
    } catch (err) {
      return { status: localFailureStatus(err) };
    }
    const response: EvaluateResult = outcome.result.response;
    // The chaincode answered (Fabric's endorser sends a payload with any chaincode status >= 500).
    const status = responseStatus(response, true);
    return status.code === GrpcStatus.OK ? { status, result: response, interest: outcome.interest } : { status };
  }

  /** Which orgs hold what an evaluation's `interest` read privately; undefined without an interest (nothing to check). */
  private holdersOf(interest: ChaincodeInterest | undefined, channelId: string): CollectionEndorsers | undefined {
    const channel = this.support.channel(channelId);
    if (interest === undefined || channel === undefined) return undefined;
    // No transient data counts: an evaluation writes nothing, and with transient data it stays in the orgs the client named.
    return collectionEndorsers(interest, false, (cc, coll) => this.lifecycle.collection(channel.ledger, cc, coll));
  }

  close(): void {
    for (const w of this.waiters.values()) w.close();
    this.waiters.clear();
  }

  private waiter(channel: Channel): CommitWaiter {
    let w = this.waiters.get(channel);
    if (w === undefined) {
      w = new CommitWaiter(channel, this.support.committer?.(channel.id));
      this.waiters.set(channel, w);
    }
    return w;
  }

  /**
   * Fabric's `CheckACL(resource, channel, signedData)`: the channel's ACL for `resource` (default
   * `/Channel/Application/Readers`) must admit the signer; PERMISSION_DENIED with Fabric's
   * message otherwise, also for a channel this peer does not have. Returns the channel.
   */
  private authorize(channelId: string, resource: string, signed: SignedData): Channel {
    if (channelId === '') throw new GatewayRpcError(GrpcStatus.PERMISSION_DENIED, 'Invalid channel ID name during check policy on signed data. Name must be different from nil.');
    const channel = this.support.channel(channelId);
    if (channel === undefined) throw new GatewayRpcError(GrpcStatus.PERMISSION_DENIED, `Failed to get policy manager for channel [${channelId}]`);
    const resources = channel.resources();
    const policyPath = resources.aclPolicyPath(resource, '/Channel/Application/Readers');
    let reason: string | undefined;
    try {
      const id = resources.deserializer.deserializeIdentity(signed.identity);
      if (id.expiresAt.getTime() <= Date.now()) reason = `identity expired ${id.expiresAt.toISOString()}`;
      else {
        const r = resources.policy(policyPath).evaluate([signed]);
        if (!r.satisfied) reason = r.reason;
      }
    } catch (err) {
      reason = err instanceof PeerError ? err.message : (err as Error).message;
    }
    if (reason !== undefined) {
      throw new GatewayRpcError(
        GrpcStatus.PERMISSION_DENIED,
        `Failed evaluating policy on signed data during check policy on channel [${channelId}] with policy [${policyPath}]: [${reason}]`,
      );
    }
    return channel;
  }
}

/** The `peer.Response` an evaluation returns. */
interface EvaluateResult {
  readonly status: number;
  readonly message: string;
  readonly payload: Uint8Array;
}

/** One endorser's answer to an evaluation: a result, or a failure and whether to try another. */
interface EvaluateAnswer {
  readonly status: ResponseStatus;
  readonly result?: EvaluateResult;
  /** What the endorser's simulation read, when it built its read/write set. */
  readonly interest?: ChaincodeInterest;
}

async function evaluateRemotely(peer: EndorsingPeer, signed: Uint8Array, deadline: number, signal: AbortSignal | undefined): Promise<EvaluateAnswer> {
  let parsed: ParsedProposalResponse;
  try {
    parsed = parseProposalResponse(await peer.processProposal(signed, deadline, undefined, signal));
  } catch (err) {
    return { status: unreachableStatus(err) };
  }
  const status = responseStatus(parsed.response, parsed.payloadBytes.length > 0);
  if (status.code !== GrpcStatus.OK) return { status };
  // As Fabric, the result is the chaincode action's payload (what the endorser signed) when there is one.
  const payload = parsed.payload?.action.response.payload ?? parsed.response.payload;
  return { status, result: { ...parsed.response, payload }, interest: parsed.interest };
}

function decodeOr<T>(cls: { deserializeBinary(b: Uint8Array): T }, bytes: Uint8Array, what: string): T {
  try {
    return cls.deserializeBinary(bytes);
  } catch (err) {
    throw new GatewayRpcError(GrpcStatus.INVALID_ARGUMENT, `${what} does not decode: ${decodeFailure(err)}`);
  }
}

/**
 * The MSP ID of the orderer org an orderer address belongs to, as Fabric's `ErrorDetail` names
 * it: the org whose `Endpoints` list it, or the only orderer org. '' when the address cannot be
 * told apart (an `ordererAddressOverrides` target, channel-wide addresses with several orgs).
 */
function ordererMspId(channel: Channel, address: string): string {
  const orgs = channel.resources().config.ordererOrgs;
  return (orgs.find((o) => o.endpoints.includes(address)) ?? (orgs.length === 1 ? orgs[0] : undefined))?.mspId ?? '';
}
