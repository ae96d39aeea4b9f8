import { X509Certificate } from 'node:crypto';
import { HeaderType, Metadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { BlockMetadataIndex, getLastConfigIndex, parseBlock } from '../../../core/protocol/block';
import { toHex } from '../../../core/protocol/bytes';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { headerTypeName } from '../../../core/protocol/header';
import { parseSerializedIdentity } from '../../../core/protocol/serialized-identity';
import { parseEndorserTransaction } from '../../../core/protocol/transaction';
import { validationCodeInfo, validationCodeName } from '../../../core/protocol/validation-codes';

/** A block as `weft block show` prints it: every field readable, bytes as hex or UTF-8 text. */
export interface BlockJson {
  readonly number: number;
  readonly previousHash: string;
  readonly dataHash: string;
  readonly transactions: TransactionJson[];
  readonly lastConfigIndex?: number;
  /** Set for a block whose validation flags are not known (an orderer's copy): why, in words. */
  readonly validation?: string;
  /**
   * The committing peer's Fabric commit hash (metadata slot COMMIT_HASH), a running hash of the state
   * changes it applied up to this block: peers whose states agree show the same one, Weft's and
   * Fabric's alike. Absent on an orderer's copy and on blocks a peer committed without one.
   */
  readonly commitHash?: string;
}

export interface TransactionJson {
  readonly index: number;
  readonly type: string;
  readonly txId: string;
  readonly channelId: string;
  readonly timestamp: string | undefined;
  /** From the block's TRANSACTIONS_FILTER metadata, as the committing peer wrote it. */
  readonly validationCode: string;
  /** For every code but VALID: what it means in Weft, whether endorsing again can succeed, what to do. */
  readonly explanation?: ValidationExplanationJson;
  readonly creator?: IdentityJson;
  readonly chaincode?: { name: string; version: string };
  readonly function?: string;
  readonly args?: string[];
  readonly response?: { status: number; message: string; payload: string };
  readonly endorsers?: IdentityJson[];
  readonly rwsets?: NamespaceRwSetJson[];
  readonly event?: { chaincode: string; name: string; payload: string };
  readonly config?: Record<string, unknown>;
  /** Set when the envelope could not be decoded; the block is shown anyway. */
  readonly error?: string;
}

export interface ValidationExplanationJson {
  readonly meaning: string;
  readonly retryable: boolean;
  readonly advice: string;
}

export interface IdentityJson {
  readonly mspId: string;
  readonly subject?: string;
}

export interface NamespaceRwSetJson {
  readonly namespace: string;
  readonly reads: { key: string; version?: string }[];
  readonly writes: { key: string; isDelete: boolean; value: string }[];
  readonly rangeQueries: { startKey: string; endKey: string; itrExhausted: boolean }[];
}

/** Bytes as UTF-8 when they are printable text, otherwise as `0x…` hex. */
function readable(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8');
  if (!text.includes('\uFFFD') && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return text;
  return `0x${toHex(bytes)}`;
}

function identity(bytes: Uint8Array): IdentityJson {
  try {
    const id = parseSerializedIdentity(bytes, 'identity');
    try {
      return { mspId: id.mspId, subject: new X509Certificate(Buffer.from(id.idBytes)).subject.replace(/\n/g, ', ') };
    } catch {
      return { mspId: id.mspId };
    }
  } catch {
    return { mspId: '(undecodable)' };
  }
}

function rwsets(bytes: Uint8Array): NamespaceRwSetJson[] {
  if (bytes.length === 0) return [];
  const set = TxReadWriteSet.deserializeBinary(bytes);
  return set.getNsRwsetList().map((ns) => {
    const kv = KVRWSet.deserializeBinary(ns.getRwset_asU8());
    return {
      namespace: ns.getNamespace(),
      reads: kv.getReadsList().map((r) => {
        const v = r.getVersion();
        return { key: r.getKey(), ...(v ? { version: `${v.getBlockNum()}:${v.getTxNum()}` } : {}) };
      }),
      writes: kv.getWritesList().map((w) => ({ key: w.getKey(), isDelete: w.getIsDelete(), value: readable(w.getValue_asU8()) })),
      rangeQueries: kv.getRangeQueriesInfoList().map((q) => ({ startKey: q.getStartKey(), endKey: q.getEndKey(), itrExhausted: q.getItrExhausted() })),
    };
  });
}

function configSummary(blockBytes: Uint8Array): Record<string, unknown> {
  const c = parseConfigBlock(blockBytes);
  return {
    sequence: c.sequence,
    applicationOrgs: c.applicationOrgs.map((o) => ({ name: o.name, mspId: o.mspId, anchorPeers: o.anchorPeers.map((p) => `${p.host}:${p.port}`) })),
    ordererOrgs: c.ordererOrgs.map((o) => ({ name: o.name, mspId: o.mspId, endpoints: o.endpoints })),
    batchSize: c.batchSize,
    batchTimeout: c.batchTimeout,
    consensusType: c.consensusType.type,
    capabilities: c.capabilities,
  };
}

/** The catalogue's word on an invalid transaction's code; nothing for VALID. */
function explanation(validationCode: string): { explanation?: ValidationExplanationJson } {
  if (validationCode === 'VALID') return {};
  const info = validationCodeInfo(validationCode);
  if (info === undefined) return { explanation: { meaning: 'a code this version of Weft does not know', retryable: false, advice: "see the committing peer's log" } };
  return { explanation: { meaning: info.when, retryable: info.retryable, advice: info.advice } };
}

/** What `validation` says of an orderer's copy read because a peer refused qscc: the operator reads it as "no flags", not "all valid". */
export const ORDERER_COPY_VALIDATION = "unknown (orderer's copy: the peer's ACL refused qscc)";

/** The code an orderer's copy of a block shows: no peer wrote its flags, so none of Fabric's codes applies. */
export const VALIDATION_UNKNOWN = 'UNKNOWN';

function transaction(index: number, envelope: Uint8Array, flag: number | 'unknown' | undefined, blockBytes: Uint8Array): TransactionJson {
  const validationCode = flag === 'unknown' ? VALIDATION_UNKNOWN : flag === undefined ? 'NOT_VALIDATED' : validationCodeName(flag);
  const validation = flag === 'unknown' ? { validationCode } : { validationCode, ...explanation(validationCode) };
  let env;
  try {
    env = parseEnvelope(envelope);
  } catch (err) {
    return { index, type: 'UNKNOWN', txId: '', channelId: '', timestamp: undefined, ...validation, error: (err as Error).message };
  }
  const ch = env.channelHeader;
  const base = {
    index,
    type: headerTypeName(ch.type),
    txId: ch.txId,
    channelId: ch.channelId,
    timestamp: ch.timestamp?.toISOString(),
    ...validation,
    ...(env.signatureHeader.creator.length > 0 ? { creator: identity(env.signatureHeader.creator) } : {}),
  };
  try {
    if (ch.type === HeaderType.CONFIG) return { ...base, config: configSummary(blockBytes) };
    if (ch.type !== HeaderType.ENDORSER_TRANSACTION) return base;
    const tx = parseEndorserTransaction(env);
    const action = tx.action.proposalResponsePayload.action;
    const [fn, ...args] = tx.action.invocation.args.map((a) => readable(a));
    let event: TransactionJson['event'];
    if (action.events.length > 0) {
      const ev = ChaincodeEvent.deserializeBinary(action.events);
      if (ev.getEventName() !== '') event = { chaincode: ev.getChaincodeId(), name: ev.getEventName(), payload: readable(ev.getPayload_asU8()) };
    }
    return {
      ...base,
      chaincode: { name: action.chaincodeId.name, version: action.chaincodeId.version },
      function: fn,
      args,
      response: { status: action.response.status, message: action.response.message, payload: readable(action.response.payload) },
      endorsers: tx.action.endorsements.map((e) => identity(e.endorser)),
      rwsets: rwsets(action.results),
      ...(event ? { event } : {}),
    };
  } catch (err) {
    return { ...base, error: (err as Error).message };
  }
}

function commitHashOf(slot: Uint8Array | undefined): { commitHash?: string } {
  if (slot === undefined || slot.length === 0) return {};
  try {
    const hash = Metadata.deserializeBinary(slot).getValue_asU8();
    return hash.length > 0 ? { commitHash: toHex(hash) } : {};
  } catch {
    return {};
  }
}

/**
 * Decodes a serialized `common.Block` into {@link BlockJson}. With `validationUnknown` (the block is
 * an orderer's copy, whose TRANSACTIONS_FILTER no peer wrote) each transaction's code is
 * {@link VALIDATION_UNKNOWN} and the block's `validation` says why, rather than reading flags that mean nothing.
 */
export function blockToJson(bytes: Uint8Array, options: { validationUnknown?: string } = {}): BlockJson {
  const block = parseBlock(bytes);
  const flags = block.metadata[BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array(0);
  let lastConfigIndex: number | undefined;
  try {
    lastConfigIndex = getLastConfigIndex(block.block);
  } catch {
    lastConfigIndex = undefined;
  }
  return {
    number: block.number,
    previousHash: toHex(block.previousHash),
    dataHash: toHex(block.dataHash),
    ...(lastConfigIndex !== undefined ? { lastConfigIndex } : {}),
    ...(options.validationUnknown !== undefined && { validation: options.validationUnknown }),
    ...commitHashOf(block.metadata[BlockMetadataIndex.COMMIT_HASH]),
    transactions: block.envelopes.map((env, i) => transaction(i, env, options.validationUnknown !== undefined ? 'unknown' : flags.length > i ? flags[i] : undefined, bytes)),
  };
}
