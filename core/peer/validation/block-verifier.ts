import { blockHeaderHash, type ParsedBlock } from '../../protocol/block';
import { bftBlockSignatures } from '../../protocol/bft-config';
import { blockSignatureSignedData } from '../../protocol/block-signatures';
import { bytesEqual, toHex } from '../../protocol/bytes';
import type { ChannelResources } from '../channel/channel-resources';
import { PeerError } from '../peer-error';
import { decodeFailure } from '../../protocol/bounded-decode';
import { LEN, type MessageBytes, WireReader } from '../../protocol/wire-reader';
import { isConfigBlock } from '../../protocol/config-parse';
import { envelopeFormProblem } from '../../protocol/envelope-encoding';

/** Metadata slots Fabric requires of a delivered block (`len(common.BlockMetadataIndex_name)`). */
const METADATA_SLOTS = 5;

/** Entries of the block's `metadata.metadata` as sent: `parseBlock` pads the decoded block, so the count comes from the bytes. */
function sentMetadataSlots(blockBytes: Uint8Array): number {
  const block = new WireReader(blockBytes, 'block', 'Block');
  let metadata: MessageBytes | undefined;
  while (block.next()) {
    if (block.has(3, LEN)) metadata = block.message(metadata);
    else block.skip();
  }
  if (metadata === undefined) return 0;
  const reader = new WireReader(metadata, 'block.metadata', 'BlockMetadata');
  let slots = 0;
  while (reader.next()) {
    if (reader.has(1, LEN)) {
      reader.bytes();
      slots++;
    } else reader.skip();
  }
  return slots;
}

/** Fabric's orderer signature policy for blocks. */
export const BLOCK_VALIDATION_POLICY = '/Channel/Orderer/BlockValidation';

/**
 * Checks a block received from the ordering service before it is queued for commit (Fabric's
 * deliver client `VerifyBlock`): the number follows the ledger, previous_hash chains onto the last
 * block, it carries all five metadata slots and at least one transaction, each in the form a
 * Fabric orderer writes (unless it is a config block), the data hash matches
 * (checked by `parseBlock`), and the orderer signatures satisfy `/Channel/Orderer/BlockValidation`
 * of the current config ({@link verifyBlockSignatures}: one orderer cannot forge the quorum of
 * consenters a BFT channel's BlockValidation asks). Throws `PeerError` naming the defect.
 */
export function verifyBlock(block: ParsedBlock, expectedNumber: number, previousHash: Uint8Array | undefined, resources: ChannelResources): void {
  const channelId = resources.config.channelId;
  if (block.number !== expectedNumber) {
    throw new PeerError('PEER_BLOCK_OUT_OF_ORDER', `channel ${channelId}: expected block ${expectedNumber}, received block ${block.number}`, {
      channelId,
      expected: expectedNumber,
      got: block.number,
    });
  }
  if (previousHash !== undefined && !bytesEqual(block.previousHash, previousHash)) {
    throw new PeerError(
      'PEER_BLOCK_BAD_HASH_CHAIN',
      `channel ${channelId}: block ${block.number} previous_hash ${toHex(block.previousHash)} does not match the hash of block ${expectedNumber - 1} (${toHex(previousHash)})`,
      { channelId, blockNum: block.number },
    );
  }
  const slots = sentMetadataSlots(block.bytes);
  if (slots < METADATA_SLOTS) {
    throw new PeerError('PEER_BLOCK_BAD_METADATA', `channel ${channelId}: block ${block.number} has ${slots} metadata entries, expected ${METADATA_SLOTS}`, {
      channelId,
      blockNum: block.number,
      path: 'block.metadata.metadata',
    });
  }
  // Fabric's BlockDataHash refuses a block without data ("empty block"): no orderer cuts one.
  if (block.envelopes.length === 0) {
    throw new PeerError('PEER_BLOCK_EMPTY', `channel ${channelId}: block ${block.number} holds no transactions; an orderer never cuts an empty block`, {
      channelId,
      blockNum: block.number,
    });
  }
  // Fabric 3's VerifyTransactionsAreWellFormed: every envelope is as an orderer marshals it (no
  // trailing, repeated or reordered fields), so a block is stored in one form only.
  if (!isConfigBlock(block.block)) {
    for (let i = 0; i < block.envelopes.length; i++) {
      const problem = envelopeFormProblem(block.envelopes[i], i);
      if (problem !== undefined) {
        throw new PeerError('PEER_BLOCK_MALFORMED_TX', `channel ${channelId}: block ${block.number}: ${problem}`, { channelId, blockNum: block.number, txNum: i });
      }
    }
  }
  verifyBlockSignatures(block, resources);
}

/**
 * Whether the block's orderer signatures satisfy `/Channel/Orderer/BlockValidation` of
 * `resources`' config (Fabric's `VerifyBlockAttestation` when that is all there is to check: a
 * header delivered without its transactions). On a V3_0 channel a signature may name its signer by
 * consenter id (SmartBFT), checked against the config's consenter mapping. Throws `PeerError`
 * PEER_BLOCK_BAD_SIGNATURE.
 */
export function verifyBlockSignatures(block: ParsedBlock, resources: ChannelResources): void {
  const { config } = resources;
  const channelId = config.channelId;
  let signed;
  try {
    signed = blockSignatureSignedData(block.block, bftBlockSignatures(config.capabilities.channel) ? { consenters: config.consenters } : undefined);
  } catch (err) {
    throw new PeerError('PEER_BLOCK_BAD_SIGNATURE', `channel ${channelId}: block ${block.number} signatures do not parse: ${decodeFailure(err)}`, {
      channelId,
      blockNum: block.number,
    });
  }
  const result = resources.policy(BLOCK_VALIDATION_POLICY).evaluate(signed);
  if (!result.satisfied) {
    throw new PeerError(
      'PEER_BLOCK_BAD_SIGNATURE',
      `channel ${channelId}: block ${block.number} does not satisfy ${BLOCK_VALIDATION_POLICY}: ${result.reason}`,
      { channelId, blockNum: block.number },
    );
  }
}

/** The header hash of stored block bytes' header, for chaining the next block. */
export function headerHashOf(block: ParsedBlock): Uint8Array {
  return blockHeaderHash({ number: block.number, previousHash: block.previousHash, dataHash: block.dataHash });
}
