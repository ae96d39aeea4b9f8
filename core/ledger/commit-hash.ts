import { createHash } from 'node:crypto';
import { type Block, Metadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { LedgerError } from '../errors';
import { BlockMetadataIndex, getBlockMetadata, setBlockMetadata } from '../protocol/block';
import { toHex } from '../protocol/bytes';
import { putVarint, varintBytes, varintSize } from '../protocol/wire-writer';
import type { LedgerTx } from './block-txs';
import { compareUtf8 } from './ledger-keys';
import { EXPIRY_NAMESPACE, expiryBlockPrefix, hashedNamespace, parseExpiryKey } from './private-data';
import type { StateUpdate } from './versioned-state-store';

/**
 * Fabric's commit hash (`kvledger.addBlockCommitHash`, metadata slot `COMMIT_HASH`): a running
 * SHA-256 over each committed block's validation flags and the state changes it applied, which
 * operators compare across peers to find one whose state forked. A peer starts the chain at block 1
 * (or from a snapshot's `last_block_commit_hash`); a ledger that reached a later block without one
 * never starts it, as in Fabric.
 */

/** What `hashedNamespace` puts between a chaincode's namespace and a collection's name. */
const HASHED_MARK = hashedNamespace('', '');

/** Where a state namespace's writes go in Fabric's update batch: a chaincode's public writes, a collection's hashed writes, or none. */
function batchPlace(namespace: string): { namespace: string; collection: string } | undefined {
  // "" holds the channel config, which Fabric leaves out (its proto has maps, so its bytes are not
  // deterministic); the other derived namespaces ($$p private values, $$expiry, $$missing…) are not
  // in Fabric's public or hashed batch.
  if (namespace === '') return undefined;
  const mark = namespace.indexOf('$$');
  if (mark < 0) return { namespace, collection: '' };
  if (mark === 0 || !namespace.startsWith(HASHED_MARK, mark)) return undefined;
  return { namespace: namespace.slice(0, mark), collection: namespace.slice(mark + HASHED_MARK.length) };
}

/**
 * The hashed keys whose deletion is this block's expiry of collection data, not a transaction's
 * write: Fabric adds expiries to its batch after it took the batch's bytes (`txmgr.Commit`). An
 * expiry deletes at transaction 0's version; a deletion by a valid transaction 0 itself is kept.
 */
function expiredKeys(blockNum: number, state: readonly StateUpdate[], txZero: LedgerTx | undefined): Set<string> {
  const prefix = expiryBlockPrefix(blockNum);
  const expired = new Set<string>();
  for (const u of state) {
    if (u.namespace !== EXPIRY_NAMESPACE || u.value !== undefined || !u.key.startsWith(prefix)) continue;
    const { namespace, collection, keyHash } = parseExpiryKey(u.key);
    const writtenByTxZero = txZero?.rwsets?.some((ns) => ns.namespace === namespace && ns.collections.some((c) => c.collection === collection && c.writes.some((w) => toHex(w.keyHash) === keyHash)));
    if (writtenByTxZero !== true) expired.add(`${hashedNamespace(namespace, collection)}\0${keyHash}`);
  }
  return expired;
}

/** One `KVWrite` of the batch, its fields' sizes taken before any byte is written. */
interface BatchWrite {
  /** Written on the namespace's and the collection's first entry only, as Fabric does; '' otherwise. */
  readonly namespace: string;
  readonly collection: string;
  readonly update: StateUpdate;
  /** A hashed key is the hex of its hash, written as the raw hash (hex keeps the bytes' order). */
  readonly hexKey: boolean;
  /** The size of `version_bytes`. */
  readonly versionSize: number;
  /** The `KVWrite` message's size. */
  readonly size: number;
}

const lenFieldSize = (length: number): number => (length === 0 ? 0 : 1 + varintSize(length) + length);

/**
 * Fabric's `EncodeOrderPreservingVarUint64` (see `orderPreservingUint`), sized and written in place:
 * each write's `version_bytes` is two of them, and a block's batch has a write per key.
 */
function orderPreservingSize(value: number): number {
  let size = 1;
  for (let v = value; v > 0; v = Math.floor(v / 256)) size++;
  return size;
}

function putOrderPreserving(out: Buffer, at: number, value: number): number {
  const length = orderPreservingSize(value) - 1;
  out[at] = length;
  for (let i = length, v = value; i >= 1; i--, v = Math.floor(v / 256)) out[at + i] = v % 256;
  return at + 1 + length;
}

function batchWrite(namespace: string, collection: string, update: StateUpdate, hexKey: boolean): BatchWrite {
  const keyLength = hexKey ? update.key.length / 2 : Buffer.byteLength(update.key, 'utf8');
  const versionSize = orderPreservingSize(update.version.blockNum) + orderPreservingSize(update.version.txNum);
  const size =
    lenFieldSize(Buffer.byteLength(namespace, 'utf8')) +
    lenFieldSize(Buffer.byteLength(collection, 'utf8')) +
    lenFieldSize(keyLength) +
    (update.value === undefined ? 2 : lenFieldSize(update.value.length)) +
    lenFieldSize(versionSize);
  return { namespace, collection, update, hexKey, versionSize, size };
}

/** Writes a length-delimited field's tag and length at `at`; returns where its content goes. */
function putLenHeader(out: Buffer, at: number, field: number, length: number): number {
  out[at] = field * 8 + 2;
  return putVarint(out, at + 1, length);
}

function putString(out: Buffer, at: number, field: number, value: string, encoding: 'utf8' | 'hex'): number {
  if (value.length === 0) return at;
  const length = encoding === 'hex' ? value.length / 2 : Buffer.byteLength(value, 'utf8');
  const pos = putLenHeader(out, at, field, length);
  return pos + out.write(value, pos, length, encoding);
}

function putBytes(out: Buffer, at: number, field: number, value: Uint8Array): number {
  if (value.length === 0) return at;
  const pos = putLenHeader(out, at, field, value.length);
  out.set(value, pos);
  return pos + value.length;
}

/** UTF-16 code units at or above U+D800: where a string's order differs from its UTF-8 bytes'. */
const NOT_UTF8_ORDERED = /[\uD800-\uFFFF]/;

/** Sorts by key in UTF-8 byte order (Go's), with the engine's own comparison when the keys allow it. */
function sortByKey(updates: StateUpdate[]): StateUpdate[] {
  if (updates.some((u) => NOT_UTF8_ORDERED.test(u.key))) return updates.sort((a, b) => compareUtf8(a.key, b.key));
  return updates.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/**
 * Fabric's `deterministicBytesForPubAndHashUpdates` over one block's state updates as
 * `MvccValidator` made them: `Updates{kvwrites}` of the public and hashed writes, namespaces in byte
 * order, in each the public keys then each collection's hashed keys (collections and keys in byte
 * order), the namespace and collection named on their first entry only. `txs` and `codes` tell a
 * transaction's hashed delete from an expiry (see {@link expiredKeys}). Sizes first, then one buffer:
 * it runs on every commit.
 */
export function updateBatchBytes(blockNum: number, state: readonly StateUpdate[], txs: readonly LedgerTx[], codes: ArrayLike<number>): Uint8Array {
  const txZero = codes[0] === TxValidationCode.VALID ? txs[0] : undefined;
  const expired = expiredKeys(blockNum, state, txZero);
  const byNamespace = new Map<string, Map<string, StateUpdate[]>>();
  for (const u of state) {
    const place = batchPlace(u.namespace);
    if (place === undefined) continue;
    if (u.value === undefined && u.version.txNum === 0 && expired.has(`${u.namespace}\0${u.key}`)) continue;
    let collections = byNamespace.get(place.namespace);
    if (collections === undefined) byNamespace.set(place.namespace, (collections = new Map()));
    const updates = collections.get(place.collection);
    if (updates === undefined) collections.set(place.collection, [u]);
    else updates.push(u);
  }
  const writes: BatchWrite[] = [];
  let total = 0;
  for (const namespace of [...byNamespace.keys()].sort(compareUtf8)) {
    let first = true;
    const collections = byNamespace.get(namespace) as Map<string, StateUpdate[]>;
    // '' (the public writes) sorts before every collection name.
    for (const collection of [...collections.keys()].sort(compareUtf8)) {
      for (const [i, u] of sortByKey(collections.get(collection) as StateUpdate[]).entries()) {
        const w = batchWrite(first ? namespace : '', i === 0 ? collection : '', u, collection !== '');
        writes.push(w);
        total += 1 + varintSize(w.size) + w.size;
        first = false;
      }
    }
  }
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  for (const w of writes) {
    at = putLenHeader(out, at, 1, w.size);
    at = putString(out, at, 1, w.namespace, 'utf8');
    at = putString(out, at, 2, w.collection, 'utf8');
    at = putString(out, at, 3, w.update.key, w.hexKey ? 'hex' : 'utf8');
    if (w.update.value === undefined) {
      out[at++] = 4 * 8;
      out[at++] = 1;
    } else at = putBytes(out, at, 5, w.update.value);
    at = putOrderPreserving(out, putLenHeader(out, at, 6, w.versionSize), w.update.version.blockNum);
    at = putOrderPreserving(out, at, w.update.version.txNum);
  }
  if (at !== total) throw new Error(`commit hash: wrote ${at} update batch bytes, sized ${total}`);
  return out;
}

/** `SHA-256(uvarint(len(filter)) ‖ filter ‖ updateBytes ‖ previous)`, Fabric's `addBlockCommitHash`. */
export function nextCommitHash(filter: Uint8Array, updateBytes: Uint8Array, previous: Uint8Array): Uint8Array {
  return createHash('sha256').update(varintBytes(filter.length)).update(filter).update(updateBytes).update(previous).digest();
}

/** Fabric's rule: the chain starts at block 1, and goes on only from a hash (a ledger that had none before never starts it). */
export function carriesCommitHash(blockNum: number, previous: Uint8Array): boolean {
  return blockNum === 1 || previous.length > 0;
}

/** Writes `Metadata{value: hash}` into the block's `COMMIT_HASH` slot. */
export function setCommitHash(block: Block, hash: Uint8Array): void {
  const md = new Metadata();
  md.setValue(hash);
  setBlockMetadata(block, BlockMetadataIndex.COMMIT_HASH, md.serializeBinary());
}

/**
 * The commit hash a stored block carries (Fabric's `lastPersistedCommitHash`): empty when its slot
 * is. Throws `LEDGER_CORRUPT` when the slot does not decode as a `Metadata`.
 */
export function storedCommitHash(channelId: string, block: Block): Uint8Array {
  const blockNum = block.getHeader()?.getNumber();
  try {
    return Metadata.deserializeBinary(getBlockMetadata(block, BlockMetadataIndex.COMMIT_HASH)).getValue_asU8();
  } catch (e) {
    throw new LedgerError('LEDGER_CORRUPT', `channel ${channelId}: stored block ${blockNum} has a COMMIT_HASH metadata slot that is not a common.Metadata: ${(e as Error).message}`, {
      blockNum,
    });
  }
}
