import type { Identity } from '../../msp/identity';
import type { IdentityDeserializer } from '../../msp/msp';
import { toHex } from '../../protocol/bytes';
import { type ParsedSignedProposal, parseSignedProposal } from '../../protocol/proposal';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';

/** What the endorser's checks need from the peer. */
export interface ProposalCheckSupport {
  /** The local MSP, for channel-less proposals. */
  readonly localDeserializer: IdentityDeserializer;
  channel(channelId: string): Channel | undefined;
  isSystemChaincode(name: string): boolean;
  /** `peer.authentication.timewindow` in ms. */
  readonly timeWindowMs: number;
  now(): number;
}

/** Which of Fabric's pre-simulation checks refused a proposal (each has its own endorser metric). */
export type RejectingCheck = 'validation' | 'duplicate' | 'acl';

/**
 * A proposal refused by Fabric's pre-simulation checks (`UnpackProposal`, `preProcess`, the auth
 * filters): Fabric's endorser answers these with a gRPC error rather than a status-500 response.
 */
export class ProposalRejectedError extends PeerError {
  constructor(
    readonly check: RejectingCheck,
    code: string,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(code, message, details, options);
  }
}

/** A proposal that passed Fabric's pre-simulation checks. */
export interface CheckedProposal {
  readonly proposal: ParsedSignedProposal;
  readonly channel: Channel | undefined;
  readonly creator: Identity;
}

/**
 * Fabric's auth filters and endorser `preProcess`: unpack and validate the header chain (type,
 * creator, nonce, txid derivation), find the channel, refuse an expired creator and a timestamp
 * outside the window (the filters), deserialize and validate the creator (MSP chain), verify the
 * proposal signature, reject a txid already in the ledger,
 * and for application chaincodes check `/Channel/Application/Writers`. Throws
 * {@link ProposalRejectedError} with Fabric's message text, except for an unknown channel, which
 * Fabric answers with a status-500 response (a plain `PeerError`).
 */
export function checkProposal(input: Uint8Array | ParsedSignedProposal, support: ProposalCheckSupport): CheckedProposal {
  let proposal: ParsedSignedProposal;
  try {
    // An already parsed proposal (the Gateway parsed it) passed the same structural checks.
    proposal = input instanceof Uint8Array ? parseSignedProposal(input) : input;
  } catch (err) {
    throw new ProposalRejectedError('validation', 'PEER_BAD_PROPOSAL', `error validating proposal: ${(err as Error).message}`, { cause: (err as Error).message }, { cause: err });
  }
  const channelId = proposal.channelId;
  let channel: Channel | undefined;
  let deserializer = support.localDeserializer;
  if (channelId !== '') {
    channel = support.channel(channelId);
    if (channel === undefined) throw new PeerError('PEER_UNKNOWN_CHANNEL', `channel '${channelId}' not found`, { channelId });
    deserializer = channel.resources().deserializer;
  }
  // Deserialized once for the expiry filter and the endorser's own checks after it.
  let identity: Identity | Error;
  try {
    identity = deserializer.deserializeIdentity(proposal.creator);
  } catch (err) {
    identity = err as Error;
  }
  if (!(identity instanceof Error)) checkExpiry(identity, support.now());
  checkTimeWindow(proposal, support);
  const creator = authenticate(proposal, identity, channelId);
  if (channel !== undefined) {
    if (channel.ledger.getTxLocation(proposal.txId) !== undefined) {
      throw new ProposalRejectedError('duplicate', 'PEER_DUPLICATE_TXID', `duplicate transaction found [${proposal.txId}]. Creator [${toHex(proposal.creator)}]`, {
        txId: proposal.txId,
        channelId,
        chaincode: proposal.chaincodeName,
      });
    }
    if (!support.isSystemChaincode(proposal.chaincodeName)) {
      const resources = channel.resources();
      const policyPath = resources.aclPolicyPath('peer/Propose', '/Channel/Application/Writers');
      const writers = resources.policy(policyPath);
      const signed = { data: proposal.proposalBytes, identity: proposal.creator, signature: proposal.signature };
      // The signature was verified just above: the policy must not pay for it again.
      const result = resources.deserializer.withVerified([{ ...signed, valid: true }], () => writers.evaluate([signed]));
      if (!result.satisfied) {
        throw new ProposalRejectedError(
          'acl',
          'PEER_ACCESS_DENIED',
          `access denied for [${proposal.chaincodeName}]: [Failed evaluating policy on signed data during check policy on channel [${channelId}] with policy [${policyPath}]: [${result.reason}]]`,
          { channelId, chaincode: proposal.chaincodeName, policy: policyPath },
        );
      }
    }
  }
  return { proposal, channel, creator };
}

/**
 * Fabric's `ExpirationCheck` auth filter, in front of the endorser: an expired creator certificate
 * is refused before anything else looks at it, with the filter's bare text (the Gateway tries
 * another peer, as for any error without a response). A creator that does not even deserialize is
 * left for {@link authenticate} to name.
 */
function checkExpiry(creator: Identity, now: number): void {
  const expiresAt = creator.expiresAt;
  if (expiresAt.getTime() < now) {
    throw new ProposalRejectedError('validation', 'PEER_IDENTITY_EXPIRED', 'proposal client identity expired', { expiredAt: expiresAt.toISOString() });
  }
}

/** Fabric's `TimeWindowCheck` auth filter, next after {@link checkExpiry}, with its text. */
function checkTimeWindow(proposal: ParsedSignedProposal, support: ProposalCheckSupport): void {
  const now = support.now();
  const ts = proposal.timestamp?.getTime();
  if (ts !== undefined && Math.abs(now - ts) <= support.timeWindowMs) return;
  // Go's time.RFC3339 and Duration.String().
  const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  throw new ProposalRejectedError(
    'validation',
    'PEER_BAD_TIMESTAMP',
    `request unauthorized due to incorrect timestamp ${ts === undefined ? '0001-01-01T00:00:00Z' : rfc3339(ts)}, peer time ${rfc3339(now)}, peer.authentication.timewindow ${goDuration(support.timeWindowMs)}`,
    { txId: proposal.txId },
  );
}

/** Go's `time.Duration.String()` for whole milliseconds: `15m0s`, `1h0m0s`, `2.5s`, `500ms`. */
function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

/** The endorser's creator checks, on the creator as deserialized (or the reason it did not deserialize). */
function authenticate(proposal: ParsedSignedProposal, creator: Identity | Error, channelId: string): Identity {
  if (creator instanceof Error) {
    throw new ProposalRejectedError('validation', 'PEER_ACCESS_DENIED', `error validating proposal: access denied: channel [${channelId}] creator org unknown, creator is malformed`, {
      channelId,
      cause: creator.message,
    });
  }
  try {
    creator.validate();
  } catch (err) {
    throw new ProposalRejectedError('validation', 'PEER_ACCESS_DENIED', `error validating proposal: access denied: channel [${channelId}] creator org [${creator.mspId}]: ${(err as Error).message}`, {
      channelId,
      mspId: creator.mspId,
    });
  }
  if (!creator.verify(proposal.proposalBytes, proposal.signature)) {
    throw new ProposalRejectedError('validation', 'PEER_ACCESS_DENIED', `error validating proposal: access denied: channel [${channelId}] creator org [${creator.mspId}]: signature is invalid`, {
      channelId,
      mspId: creator.mspId,
    });
  }
  return creator;
}
