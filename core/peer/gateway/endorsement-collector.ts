import { status as GrpcStatus } from '@grpc/grpc-js';
import { bytesEqual } from '../../protocol/bytes';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import { type ParsedProposalResponse, endorsementSignedData, parseProposalResponse } from '../../protocol/proposal-response';
import type { Channel } from '../channel/channel';
import type { EndorsementPolicies, RequiredPolicy } from '../validation/endorsement-policies';
import { rwsetWrites } from '../validation/rwset-writes';
import { LifecycleCache } from '../lifecycle/lifecycle-cache';
import { type CollectionEndorsers, collectionEndorsers, privateReadRefusal, transientDataRefusal, unheldAnswer } from './collection-endorsers';
import type { EndorsingPeer } from './endorser-client';
import { type EndpointError, GatewayRpcError } from '../grpc/grpc-status';
import { responseStatus } from './response-status';

/** An endorsement collected from one peer. */
export interface CollectedEndorsement {
  readonly peer: EndorsingPeer;
  readonly response: ParsedProposalResponse;
}

/** The first endorsement, and the peers (with their errors) that failed before it. */
interface FirstEndorsement {
  readonly endorsement: CollectedEndorsement;
  readonly failed: ReadonlySet<EndorsingPeer>;
  readonly failures: readonly EndpointError[];
}

/** The end of the whole collection, and how long each endorser may take within it. */
interface Limits {
  readonly deadline: number;
  readonly timeoutMs: number | undefined;
  /** Aborts when the client stops waiting: a proposal still queued on this peer is then not run. */
  readonly signal: AbortSignal | undefined;
}

/** How Fabric's lifecycle (and Weft's) says a peer lacks the chaincode a definition names. */
const NOT_INSTALLED = 'but chaincode is not installed';

/**
 * The Gateway's endorsement step: endorse on this peer first, work out from its read/write set
 * which policies the transaction must satisfy (the chaincode's policy, key-level policies,
 * `_lifecycle` rules: the same logic the committer applies), and ask one peer of each further org
 * until they are satisfied. The first endorsement's chaincode interest says which orgs may be
 * asked when the transaction reads private data or carries transient data
 * ({@link collectionEndorsers}); when it read private data this peer's org does not hold, a member
 * org's peer endorses first instead. Every payload must equal the first byte for byte; a mismatch
 * names the endorsers and what differs. Failures are `GatewayRpcError`s with Fabric's
 * `ErrorDetail`s.
 */
export class EndorsementCollector {
  private readonly lifecycle = new LifecycleCache();

  constructor(private readonly policies: EndorsementPolicies) {}

  async collect(
    proposal: ParsedSignedProposal,
    signedProposal: Uint8Array,
    channel: Channel,
    local: EndorsingPeer,
    others: readonly EndorsingPeer[],
    requestedOrgs: readonly string[],
    deadline: number,
    /**
     * How long each endorser may take (Fabric's `gateway.endorsementTimeout`, per endorser), within
     * `deadline`: after one that hung, another peer of its org still gets its full time.
     */
    timeoutMs?: number,
    signal?: AbortSignal,
  ): Promise<CollectedEndorsement[]> {
    const limits = { deadline, timeoutMs, signal };
    if (requestedOrgs.length > 0) {
      // Fabric's planForOrgs: each named org's peers (this one first), asked in turn until one endorses.
      const orgs = [...new Set(requestedOrgs)];
      const groups = orgs.map((org) => [local, ...others.filter((p) => p !== local)].filter((p) => p.mspId === org));
      const missing = orgs.filter((_, i) => groups[i].length === 0);
      if (missing.length > 0) throw new GatewayRpcError(GrpcStatus.UNAVAILABLE, `failed to find any endorsing peers for org(s): ${missing.join(', ')}`);
      const results = (await Promise.all(groups.map((peers) => this.inTurn(peers, signedProposal, limits, proposal)))).flat();
      const endorsed = results.filter((r) => r.error === undefined);
      if (endorsed.length < orgs.length) {
        throw new GatewayRpcError(
          GrpcStatus.ABORTED,
          'failed to collect enough transaction endorsements, see attached details for more info',
          results.filter((r) => r.error !== undefined).map((r) => r.error as EndpointError),
        );
      }
      return this.compared(endorsed);
    }

    const confinedBy = (response: ParsedProposalResponse): CollectionEndorsers =>
      collectionEndorsers(response.interest, proposal.transient.size > 0, (cc, coll) => this.lifecycle.collection(channel.ledger, cc, coll));
    const { first, confined } = await this.memberFirst(await this.firstEndorsement(proposal, signedProposal, local, others, limits), others, signedProposal, limits, proposal, confinedBy);
    const collected = [first.endorsement];
    const required = this.requiredPolicies(proposal, first.endorsement.response, channel);
    if (this.unsatisfied(required, collected, channel).length === 0) return collected;

    // Peers that already failed the first endorsement (this org's, when none has the chaincode) are
    // not asked again, nor are orgs outside the collections the transaction's privacy confines it to.
    const endorsedOrgs = new Set(collected.map((c) => c.peer.mspId));
    const byOrg = new Map<string, EndorsingPeer[]>();
    let excluded = false;
    for (const p of others) {
      if (endorsedOrgs.has(p.mspId) || first.failed.has(p)) continue;
      if (confined.admits(p.mspId)) byOrg.set(p.mspId, [...(byOrg.get(p.mspId) ?? []), p]);
      else excluded = true;
    }
    const more = (await Promise.all([...byOrg.values()].map((candidates) => this.inTurn(candidates, signedProposal, limits)))).flat();
    const all = this.compared([...collected, ...more.filter((r) => r.response !== undefined)]);
    const failing = this.unsatisfied(required, all, channel);
    if (failing.length > 0) {
      const details: EndpointError[] = [...first.failures, ...more.filter((r) => r.error !== undefined).map((r) => r.error as EndpointError)];
      // Every org allowed endorsed, and only orgs the transient data must not reach could do better.
      if (excluded && confined.protectedCollections.length > 0 && more.every((r) => r.error === undefined)) {
        throw new GatewayRpcError(GrpcStatus.FAILED_PRECONDITION, transientDataRefusal(confined.protectedCollections));
      }
      throw new GatewayRpcError(
        GrpcStatus.ABORTED,
        `failed to collect enough transaction endorsements, see attached details for more info: ${failing.join('; ')}`,
        details,
      );
    }
    return all;
  }

  private requiredPolicies(proposal: ParsedSignedProposal, response: ParsedProposalResponse, channel: Channel): RequiredPolicy[] {
    const results = response.payload?.action.results ?? new Uint8Array(0);
    const req = this.policies.requirementsFor(rwsetWrites(results), channel.resources(), channel.ledger, proposal.chaincodeName);
    if (!req.ok) throw new GatewayRpcError(GrpcStatus.FAILED_PRECONDITION, `transaction cannot be endorsed: ${req.reason}`);
    return req.policies;
  }

  /**
   * Planning counts endorsements by who signed them, without verifying the signatures: as in
   * Fabric's Gateway, they come from the peers this gateway chose, and every committer verifies
   * them (a bad one makes the transaction ENDORSEMENT_POLICY_FAILURE). This saves an ECDSA verify
   * per remote endorsement on the gateway's hot path.
   */
  private unsatisfied(required: readonly RequiredPolicy[], collected: readonly { response: ParsedProposalResponse }[], channel: Channel): string[] {
    const signed = collected.map((c) => endorsementSignedData(c.response.payloadBytes, c.response.endorsement as NonNullable<ParsedProposalResponse['endorsement']>));
    const counted = signed.map((s) => ({ ...s, valid: true }));
    const out: string[] = [];
    channel.resources().deserializer.withVerified(counted, () => {
      for (const { policy, what } of required) {
        const r = policy.evaluate(signed);
        if (!r.satisfied) out.push(`${what}: ${r.reason}`);
      }
    });
    return out;
  }

  /**
   * Fabric's `planFromFirstEndorser`: the first endorsement, whose read/write set decides which
   * policies apply, comes from this org (this peer, then the org's other peers). Only when no peer
   * of this org has the chaincode installed (Fabric's discovery finds no local endorser) does a peer
   * of another org go first, and not for a proposal with transient data, which must not leave the
   * org unasked. Failures are ABORTED with every endorser's detail; with an endorsement, the peers
   * that failed before it come back too, so that planning does not ask them again.
   */
  private async firstEndorsement(
    proposal: ParsedSignedProposal,
    signedProposal: Uint8Array,
    local: EndorsingPeer,
    others: readonly EndorsingPeer[],
    limits: Limits,
  ): Promise<FirstEndorsement> {
    const failures: EndpointError[] = [];
    const failed = new Set<EndorsingPeer>();
    const firstOf = async (candidates: readonly EndorsingPeer[]): Promise<FirstEndorsement | undefined> => {
      for (const r of await this.inTurn(candidates, signedProposal, limits, proposal)) {
        if (r.error === undefined) return { endorsement: { peer: r.peer, response: r.response }, failed, failures };
        failures.push(r.error);
        failed.add(r.peer);
      }
      return undefined;
    };
    const own = await firstOf([local, ...others.filter((p) => p.mspId === local.mspId && p !== local)]);
    if (own !== undefined) return own;
    if (failures.every((f) => f.message.includes(NOT_INSTALLED))) {
      if (proposal.transient.size > 0) {
        throw new GatewayRpcError(
          GrpcStatus.FAILED_PRECONDITION,
          "no endorsers found in the gateway's organization; retry specifying endorsing organization(s) to protect transient data",
          failures,
        );
      }
      const elsewhere = await firstOf(others.filter((p) => p.mspId !== local.mspId));
      if (elsewhere !== undefined) return elsewhere;
    }
    throw new GatewayRpcError(GrpcStatus.ABORTED, 'failed to endorse transaction, see attached details for more info', failures);
  }

  /**
   * `first` unless its endorser's org is not a member of a collection the transaction read private
   * values of ({@link CollectionEndorsers.unheldBy}): that answer was computed without the data (a
   * private query there finds nothing), and a policy the non-member org satisfies alone would let
   * the client commit it. Then that endorsement is dropped, and the peers of orgs the collections
   * admit are asked in turn; the first whose own answer reads nothing its org lacks endorses first
   * instead, and planning goes on from its read/write set. With none, FAILED_PRECONDITION names the
   * collections, with every peer's detail. Fabric's Gateway keeps the non-member's answer.
   */
  private async memberFirst(
    first: FirstEndorsement,
    others: readonly EndorsingPeer[],
    signedProposal: Uint8Array,
    limits: Limits,
    proposal: ParsedSignedProposal,
    confinedBy: (response: ParsedProposalResponse) => CollectionEndorsers,
  ): Promise<{ first: FirstEndorsement; confined: CollectionEndorsers }> {
    const confined = confinedBy(first.endorsement.response);
    const dropped = first.endorsement.peer;
    const unheld = confined.unheldBy(dropped.mspId);
    if (unheld.length === 0) return { first, confined };
    const failed = new Set([...first.failed, dropped]);
    const failures: EndpointError[] = [...first.failures, { address: dropped.address, mspId: dropped.mspId, message: unheldAnswer(unheld) }];
    for (const peer of others) {
      if (failed.has(peer) || !confined.admits(peer.mspId)) continue;
      if (Date.now() >= limits.deadline) break;
      const [r] = await this.inTurn([peer], signedProposal, limits, proposal);
      const own = r.error === undefined ? confinedBy(r.response) : undefined;
      const lacking = own?.unheldBy(peer.mspId) ?? [];
      if (own !== undefined && lacking.length === 0) return { first: { endorsement: { peer, response: r.response }, failed, failures }, confined: own };
      // Its answer too read a collection its org lacks (the chaincode went another way there).
      failures.push(r.error ?? { address: peer.address, mspId: peer.mspId, message: unheldAnswer(lacking) });
      failed.add(peer);
    }
    throw new GatewayRpcError(GrpcStatus.FAILED_PRECONDITION, privateReadRefusal(unheld, 'endorse'), failures);
  }

  /**
   * Asks the candidates in turn until one endorses (as Fabric's Gateway moves on to another
   * endorser of a group). Returns that endorsement last, after every failure before it.
   */
  private async inTurn(
    candidates: readonly EndorsingPeer[],
    signedProposal: Uint8Array,
    { deadline, timeoutMs, signal }: Limits,
    parsed?: ParsedSignedProposal,
  ): Promise<{ peer: EndorsingPeer; response: ParsedProposalResponse; error?: EndpointError }[]> {
    const out: { peer: EndorsingPeer; response: ParsedProposalResponse; error?: EndpointError }[] = [];
    for (const peer of candidates) {
      const callDeadline = timeoutMs === undefined ? deadline : Math.min(deadline, Date.now() + timeoutMs);
      const [r] = await this.endorseAll([peer], signedProposal, callDeadline, true, parsed, signal);
      out.push(r);
      if (r.error === undefined || Date.now() >= deadline) break;
    }
    return out;
  }

  /** Endorses on each peer in parallel; without `tolerant`, any failure aborts with its details. */
  private async endorseAll(
    peers: readonly EndorsingPeer[],
    signedProposal: Uint8Array,
    deadline: number,
    tolerant = false,
    parsed?: ParsedSignedProposal,
    signal?: AbortSignal,
  ): Promise<{ peer: EndorsingPeer; response: ParsedProposalResponse; error?: EndpointError }[]> {
    const results = await Promise.all(
      peers.map(async (peer) => {
        try {
          const response = parseProposalResponse(await peer.processProposal(signedProposal, deadline, parsed, signal));
          const { status, message } = response.response;
          if (status < 200 || status >= 400 || response.endorsement === undefined) {
            // Fabric's responseStatus: a 500 without a payload is the peer's own failure, named bare.
            const failed = status >= 200 && status < 400 ? `chaincode response ${status}, ${message}` : responseStatus(response.response, response.payloadBytes.length > 0).message;
            return { peer, response: undefined, error: { address: peer.address, mspId: peer.mspId, message: failed } };
          }
          return { peer, response };
        } catch (err) {
          const message = (err as { details?: string }).details ?? (err as Error).message;
          return { peer, response: undefined, error: { address: peer.address, mspId: peer.mspId, message } };
        }
      }),
    );
    const failed = results.filter((r) => r.error !== undefined);
    if (!tolerant && failed.length > 0) {
      throw new GatewayRpcError(
        GrpcStatus.ABORTED,
        'failed to endorse transaction, see attached details for more info',
        failed.map((r) => r.error as EndpointError),
      );
    }
    return results as { peer: EndorsingPeer; response: ParsedProposalResponse; error?: EndpointError }[];
  }

  /** Checks that every payload equals the first; names the endorsers and the differing part otherwise. */
  private compared(results: readonly { peer: EndorsingPeer; response: ParsedProposalResponse }[]): CollectedEndorsement[] {
    const [first, ...rest] = results;
    for (const r of rest) {
      if (!bytesEqual(first.response.payloadBytes, r.response.payloadBytes)) {
        const what = differences(first.response, r.response);
        const message = `ProposalResponsePayloads do not match: ${first.peer.address} (${first.peer.mspId}) and ${r.peer.address} (${r.peer.mspId}) differ in ${what}`;
        throw new GatewayRpcError(GrpcStatus.ABORTED, `failed to assemble transaction: ${message}`, [
          { address: first.peer.address, mspId: first.peer.mspId, message },
          { address: r.peer.address, mspId: r.peer.mspId, message },
        ]);
      }
    }
    return results.map((r) => ({ peer: r.peer, response: r.response }));
  }
}

function differences(a: ParsedProposalResponse, b: ParsedProposalResponse): string {
  const pa = a.payload?.action;
  const pb = b.payload?.action;
  if (pa === undefined || pb === undefined) return 'payload presence';
  const out: string[] = [];
  if (!bytesEqual(a.payload?.proposalHash ?? new Uint8Array(0), b.payload?.proposalHash ?? new Uint8Array(0))) out.push('proposal hash');
  if (!bytesEqual(pa.results, pb.results)) out.push('read/write set');
  if (!bytesEqual(pa.events, pb.events)) out.push('chaincode event');
  if (pa.response.status !== pb.response.status || pa.response.message !== pb.response.message) out.push('chaincode response status/message');
  if (!bytesEqual(pa.response.payload, pb.response.payload)) out.push('chaincode response payload');
  if (pa.chaincodeId.name !== pb.chaincodeId.name || pa.chaincodeId.version !== pb.chaincodeId.version) out.push('chaincode id/version');
  return out.length > 0 ? out.join(', ') : 'encoding';
}
