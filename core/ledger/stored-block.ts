import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { LedgerError } from '../errors';
import { decodeFailure } from '../protocol/bounded-decode';
import { bytesField, forEachField } from './proto-reader';

/** A block as the block store keeps it; one that does not decode is a corrupt store (`LEDGER_CORRUPT`), not a bad request. */
export function decodeStoredBlock(channelId: string, blockNum: number, bytes: Uint8Array): Block {
  try {
    return Block.deserializeBinary(bytes);
  } catch (e) {
    throw new LedgerError('LEDGER_CORRUPT', `channel ${channelId}: stored block ${blockNum} does not decode: ${decodeFailure(e)}`, { channelId, blockNum }, { cause: e });
  }
}

/** The `txNum`-th envelope of a serialized block (Block.data = 2, BlockData.data = 1), read without decoding the rest. */
export function envelopeAt(blockBytes: Uint8Array, txNum: number): Uint8Array | undefined {
  try {
    let n = 0;
    let found: Uint8Array | undefined;
    forEachField(bytesField(blockBytes, 2), (f, v) => {
      if (f === 1 && n++ === txNum && typeof v !== 'number') found = v;
    });
    return found;
  } catch {
    return undefined;
  }
}
