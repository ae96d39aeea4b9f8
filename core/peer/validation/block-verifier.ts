import { blockHeaderHash, type ParsedBlock } from '../../protocol/block';
import { blockSignatureSignedData } from '../../protocol/block-signatures';
import { bytesEqual, toHex } from '../../protocol/bytes';
import type { ChannelResources } from '../channel/channel-resources';
import { PeerError } from '../peer-error';
import { decodeFailure } from '../../protocol/bounded-decode';

/** Fabric's orderer signature policy for blocks. */
export const BLOCK_VALIDATION_POLICY = '/Channel/Orderer/BlockValidation';

/**
 * Checks a block received from the ordering service before it is queued for commit (Fabric's
 * deliver client `VerifyBlock`): the number follows the ledger, previous_hash chains onto the last
 * block, the data hash matches (checked by `parseBlock`), and the orderer signatures satisfy
 * `/Channel/Orderer/BlockValidation` of the current config. Throws `PeerError` naming the defect.
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
  let signed;
  try {
    signed = blockSignatureSignedData(block.block);
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
