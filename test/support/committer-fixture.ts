import type { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { blockHeaderHash, newBlock, parseBlock, type ParsedBlock } from '../../core/protocol/block';
import type { Logger } from '../../core/node/logger';
import type { CommitResult } from '../../core/peer/channel/peer-ledger';

/** A peer ledger of stored block bytes for BlockCommitter tests: each test says in `commit` what the ledger does. */
export abstract class BlockBytesLedger {
  readonly blocks: Uint8Array[] = [];
  async exclusive<T>(fn: () => T): Promise<T> {
    return fn();
  }
  height(): number {
    return this.blocks.length;
  }
  getBlockBytes(n: number): Uint8Array | undefined {
    return this.blocks[n];
  }
  getTxLocation(): undefined {
    return undefined;
  }
  abstract commit(block: Block, flags: Uint8Array): CommitResult;
}

/** A logger whose entries land in `logs`, level, fields and message each. */
export function recordingLogger(): { logger: Logger; logs: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const logs: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => logs.push({ level, obj, msg });
  return { logger: { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } as unknown as Logger, logs };
}

/** The next block of a hash chain from block 0, with `txs` transactions of a few bytes each. */
export function blockChain(): (txs?: number) => ParsedBlock {
  let prev: Uint8Array = new Uint8Array(0);
  let height = 0;
  return (txs = 1) => {
    const block = newBlock(height++, prev, Array.from({ length: txs }, (_, i) => Buffer.from(`tx${i}`)));
    prev = blockHeaderHash(block.getHeader()!);
    return parseBlock(block.serializeBinary());
  };
}
