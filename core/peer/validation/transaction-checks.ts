import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { ProtocolError } from '../../errors';
import type { Identity } from '../../msp/identity';
import type { SignedData } from '../../policy/policy';
import { type ParsedEnvelope, parseEnvelope } from '../../protocol/envelope';
import { headerTypeName } from '../../protocol/header';
import { type ParsedTransaction, parseEndorserTransaction, transactionEndorsementSignedData } from '../../protocol/transaction';
import { computeTxId } from '../../protocol/txid';
import { LEN, WireReader } from '../../protocol/wire-reader';
import { viewOfConfig } from '../channel/channel-config';
import type { ChannelResources } from '../channel/channel-resources';
import { configTransactionProblem } from './config-tx';
import { DuplicateNamespaceError, type NamespaceWrites, rwsetWrites } from './rwset-writes';
import { decodeFailure } from '../../protocol/bounded-decode';
import { decodeConfigProto } from '../../protocol/config-decode';
import { ConfigEnvelopeSchema } from '../../protocol/config-schemas';

/** What is wrong with a transaction, as the validation code Fabric gives it. */
export interface Defect {
  readonly code: number;
  readonly reason: string;
}

/** An envelope refused before its signature could be checked; `txId` and `headerType` when its header decoded. */
export interface RefusedEnvelope extends Defect {
  readonly txId: string;
  readonly headerType?: number;
}

/**
 * An envelope whose header and creator are sound; its creator signature is still to be verified.
 * The defects found past that point wait for it, because Fabric reports a bad signature first.
 */
export interface CheckedEnvelope {
  readonly index: number;
  readonly env: ParsedEnvelope;
  readonly creator: Identity;
  readonly config: boolean;
  /** The first defect Fabric finds after the signature and before the ledger's duplicate-txid check: txid, structure, channel, config. */
  readonly beforeDuplicateCheck?: Defect;
  /** The first defect of Fabric's validation dispatch (after the duplicate check): chaincode ids, event, read/write set. */
  readonly dispatch?: Defect;
  readonly tx?: ParsedTransaction;
  readonly writes?: NamespaceWrites[];
  readonly endorsements: readonly SignedData[];
}

const ACCEPTED_TYPES = new Set<number>([HeaderType.ENDORSER_TRANSACTION, HeaderType.CONFIG_UPDATE, HeaderType.CONFIG]);

function defect(code: number, reason: string): Defect {
  return { code, reason };
}

/**
 * Fabric's per-transaction checks of a block's envelope (`core/common/validation/msgvalidation.go`
 * `ValidateTransaction`, then the v20 validator and plugin dispatcher), each defect with Fabric's
 * code: an envelope that does not decode (INVALID_OTHER_REASON), a payload that does not
 * (BAD_PAYLOAD), a header that does not, or has an unknown type, a nonzero epoch, no nonce or no
 * creator (BAD_COMMON_HEADER), a creator that is not a valid identity of the channel or did not
 * sign (BAD_CREATOR_SIGNATURE); then per type: CONFIG_UPDATE is UNSUPPORTED_TX_PAYLOAD, an
 * endorser transaction needs its txid (BAD_PROPOSAL_TXID) and a sound structure with a matching
 * proposal hash (INVALID_ENDORSER_TRANSACTION); then the channel (TARGET_CHAIN_NOT_FOUND).
 */
export function checkEnvelope(bytes: Uint8Array, index: number, resources: ChannelResources): CheckedEnvelope | RefusedEnvelope {
  if (bytes.length === 0) return { ...defect(TxValidationCode.NIL_ENVELOPE, 'empty envelope'), txId: '' };
  const path = `block.data[${index}]`;
  let env: ParsedEnvelope;
  try {
    env = parseEnvelope(bytes, { path });
  } catch (err) {
    return { ...defect(envelopeDefectCode(err, path), (err as Error).message), txId: '' };
  }
  const { channelHeader: ch, signatureHeader: sh } = env;
  const refuse = (code: number, reason: string): RefusedEnvelope => ({ code, reason, txId: ch.txId, headerType: ch.type });
  if (!ACCEPTED_TYPES.has(ch.type)) return refuse(TxValidationCode.BAD_COMMON_HEADER, `invalid header type ${headerTypeName(ch.type)}`);
  if (ch.epoch !== 0) return refuse(TxValidationCode.BAD_COMMON_HEADER, `invalid epoch in the channel header: expected 0, got ${ch.epoch}`);
  if (sh.nonce.length === 0) return refuse(TxValidationCode.BAD_COMMON_HEADER, 'the signature header has no nonce');
  if (sh.creator.length === 0) return refuse(TxValidationCode.BAD_COMMON_HEADER, 'the signature header has no creator');
  if (env.signature.length === 0) return refuse(TxValidationCode.BAD_CREATOR_SIGNATURE, 'the envelope has no signature');
  let creator: Identity;
  try {
    creator = resources.deserializer.deserializeIdentity(sh.creator);
    creator.validate();
  } catch (err) {
    return refuse(TxValidationCode.BAD_CREATOR_SIGNATURE, `creator: ${(err as Error).message}`);
  }
  const base = { index, env, creator, config: ch.type === HeaderType.CONFIG, endorsements: [] as SignedData[] };
  const channelId = resources.config.channelId;
  const wrongChannel = (): Defect | undefined =>
    ch.channelId === channelId ? undefined : defect(TxValidationCode.TARGET_CHAIN_NOT_FOUND, `channel ${JSON.stringify(ch.channelId)} is not ${channelId}`);

  if (ch.type === HeaderType.CONFIG_UPDATE) {
    return { ...base, beforeDuplicateCheck: defect(TxValidationCode.UNSUPPORTED_TX_PAYLOAD, 'a CONFIG_UPDATE envelope is not a transaction (the orderer turns it into CONFIG)') };
  }
  if (ch.type === HeaderType.CONFIG) return { ...base, beforeDuplicateCheck: configDefect(env, resources) ?? wrongChannel() };
  if (computeTxId(sh.nonce, sh.creator) !== ch.txId) {
    return { ...base, beforeDuplicateCheck: defect(TxValidationCode.BAD_PROPOSAL_TXID, `txid ${ch.txId} is not hex(SHA-256(nonce ‖ creator))`) };
  }
  let tx: ParsedTransaction;
  try {
    tx = parseEndorserTransaction(env, { path, verifyTxId: false });
  } catch (err) {
    const d = defect(transactionDefectCode(err), (err as Error).message);
    return DISPATCH_CODES.has(d.code) ? { ...base, beforeDuplicateCheck: wrongChannel(), dispatch: d } : { ...base, beforeDuplicateCheck: d };
  }
  const endorsements = transactionEndorsementSignedData(tx);
  const { writes, dispatch } = dispatchChecks(tx);
  return { ...base, tx, writes, endorsements, beforeDuplicateCheck: wrongChannel(), dispatch };
}

/** Codes Fabric's dispatcher gives, after the duplicate-txid check. */
const DISPATCH_CODES = new Set<number>([
  TxValidationCode.BAD_HEADER_EXTENSION,
  TxValidationCode.BAD_RESPONSE_PAYLOAD,
  TxValidationCode.INVALID_CHAINCODE,
  TxValidationCode.INVALID_OTHER_REASON,
]);

/**
 * Fabric's `plugindispatcher` checks of a well-formed endorser transaction: a read/write set that
 * decodes (BAD_RWSET), the header's chaincode named by the endorsed action with a version
 * (INVALID_CHAINCODE), an event of that chaincode (INVALID_OTHER_REASON), and each namespace once
 * (ILLEGAL_WRITESET).
 */
function dispatchChecks(tx: ParsedTransaction): { writes?: NamespaceWrites[]; dispatch?: Defect } {
  const action = tx.action.proposalResponsePayload.action;
  let writes: NamespaceWrites[] | undefined;
  let duplicate: string | undefined;
  try {
    writes = rwsetWrites(action.results);
  } catch (err) {
    if (!(err instanceof DuplicateNamespaceError)) return { dispatch: defect(TxValidationCode.BAD_RWSET, `read/write set does not parse: ${decodeFailure(err)}`) };
    duplicate = err.namespace;
  }
  const name = tx.chaincodeName;
  if (action.chaincodeId.name !== name) {
    return { dispatch: defect(TxValidationCode.INVALID_CHAINCODE, `inconsistent chaincode ids: the header names ${name}, the endorsed action ${action.chaincodeId.name}`) };
  }
  if (action.chaincodeId.version === '') return { dispatch: defect(TxValidationCode.INVALID_CHAINCODE, `the endorsed action of ${name} has no chaincode version`) };
  if (action.events.length > 0) {
    let eventChaincode: string;
    try {
      eventChaincode = chaincodeOfEvent(action.events);
    } catch (err) {
      return { dispatch: defect(TxValidationCode.INVALID_OTHER_REASON, `invalid chaincode event: ${(err as Error).message}`) };
    }
    if (eventChaincode !== name) {
      return { dispatch: defect(TxValidationCode.INVALID_OTHER_REASON, `the chaincode event names chaincode ${JSON.stringify(eventChaincode)}, the action ${name}`) };
    }
  }
  if (duplicate !== undefined) return { dispatch: defect(TxValidationCode.ILLEGAL_WRITESET, `namespace ${duplicate} appears twice in the read/write set`) };
  return { writes };
}

/** `ChaincodeEvent.chaincode_id` (field 1). */
function chaincodeOfEvent(bytes: Uint8Array): string {
  const r = new WireReader(bytes, 'chaincode_event', 'ChaincodeEvent');
  let id = '';
  while (r.next()) {
    if (r.has(1, LEN)) id = r.string();
    // tx_id and event_name are strings too: protobuf-go refuses the event when they are not UTF-8.
    else if (r.has(2, LEN) || r.has(3, LEN)) r.string();
    else r.skip();
  }
  return id;
}

/**
 * A config transaction is re-validated as Fabric's committer does: the next sequence (a replayed
 * or stale config never applies), and an update that the current config's policies authorize and
 * that produces exactly the carried config.
 */
function configDefect(env: ParsedEnvelope, resources: ChannelResources): Defect | undefined {
  let sequence: number;
  try {
    const config = decodeConfigProto(ConfigEnvelope, ConfigEnvelopeSchema, env.data, 'config_envelope').getConfig();
    if (config === undefined) throw new Error('config_envelope.config is missing');
    sequence = viewOfConfig(resources.config.channelId, config).sequence;
  } catch (err) {
    return defect(TxValidationCode.INVALID_CONFIG_TRANSACTION, `config envelope does not parse: ${decodeFailure(err)}`);
  }
  const expected = resources.config.sequence + 1;
  if (sequence !== expected) return defect(TxValidationCode.INVALID_CONFIG_TRANSACTION, `config sequence ${sequence} is not the next one (${expected})`);
  const problem = configTransactionProblem(env.data, resources);
  return problem === undefined ? undefined : defect(TxValidationCode.INVALID_CONFIG_TRANSACTION, problem);
}

/** The code of an envelope that does not decode, by where it fails. */
function envelopeDefectCode(err: unknown, root: string): number {
  if (!(err instanceof ProtocolError)) return TxValidationCode.INVALID_OTHER_REASON;
  const path = String(err.details.path ?? '');
  if (path === root) return TxValidationCode.INVALID_OTHER_REASON;
  // An absent payload decodes in Fabric as one without a header.
  if (path === `${root}.payload`) return err.code === 'PROTOCOL_MISSING_FIELD' ? TxValidationCode.BAD_COMMON_HEADER : TxValidationCode.BAD_PAYLOAD;
  // The Header message is part of the Payload: when its framing fails, UnmarshalPayload fails
  // (BAD_PAYLOAD); an absent one, or header bytes that do not decode, fail validateCommonHeader.
  if (path === `${root}.payload.header`) return err.code === 'PROTOCOL_MISSING_FIELD' ? TxValidationCode.BAD_COMMON_HEADER : TxValidationCode.BAD_PAYLOAD;
  if (path.startsWith(`${root}.payload.header.`)) return TxValidationCode.BAD_COMMON_HEADER;
  return TxValidationCode.BAD_PAYLOAD;
}

/** The code of an endorser transaction whose structure `parseEndorserTransaction` refused, by where. */
function transactionDefectCode(err: unknown): number {
  if (!(err instanceof ProtocolError)) return TxValidationCode.INVALID_OTHER_REASON;
  const path = String(err.details.path ?? '');
  // An absent chaincode id (or name) is the dispatcher's finding; one that does not decode fails
  // the whole extension or action, as protobuf-go unmarshals them in one piece.
  const missing = err.code === 'PROTOCOL_MISSING_FIELD';
  if (missing && path.endsWith('channel_header.extension.chaincode_id.name')) return TxValidationCode.INVALID_CHAINCODE;
  if (missing && path.endsWith('channel_header.extension.chaincode_id')) return TxValidationCode.INVALID_OTHER_REASON;
  if (path.endsWith('channel_header.extension')) {
    // An empty extension decodes in Fabric as one without a chaincode id.
    return err.code === 'PROTOCOL_MISSING_FIELD' ? TxValidationCode.INVALID_OTHER_REASON : TxValidationCode.BAD_HEADER_EXTENSION;
  }
  if (path.includes('channel_header.extension')) return TxValidationCode.BAD_HEADER_EXTENSION;
  if (missing && path.endsWith('proposal_response_payload.extension.chaincode_id')) return TxValidationCode.INVALID_OTHER_REASON;
  if (path.includes('proposal_response_payload.extension')) return TxValidationCode.BAD_RESPONSE_PAYLOAD;
  return TxValidationCode.INVALID_ENDORSER_TRANSACTION;
}
