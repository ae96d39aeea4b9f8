import { ConfigError, WeftError } from '../../../core/errors';
import { blockHeaderHash, blockNumber, decodeBlock, getLastConfigIndex } from '../../../core/protocol/block';
import { toHex } from '../../../core/protocol/bytes';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { channelPeer, channelReader, peerChainInfo, QSCC_ACCESS_DENIED, qsccRead, readingPeer } from '../network/network-access';
import { ordererBlock } from './orderer-block-source';
import { shellWord } from '../../../core/node/shell-word';

/** `newest`, `oldest`, `config` (the latest config block) or a block number. */
export type BlockRef = 'newest' | 'oldest' | 'config' | number;

export function parseBlockRef(text: string): BlockRef {
  if (text === 'newest' || text === 'oldest' || text === 'config') return text;
  if (/^\d+$/.test(text)) return Number(text);
  throw new ConfigError('BAD_BLOCK_REF', `"${text}" is not a block: expected a number, newest, oldest or config`, {
    suggestions: ['weft block show <dir> newest', 'weft block show <dir> 0'],
  });
}

/** How a block was read: from the peer, or (its qscc refused) from an orderer, which has no validation flags. */
export interface FetchedBlock {
  readonly number: number;
  readonly bytes: Uint8Array;
  /** Set when the block is an orderer's copy: its id, and the peer's refusal that sent the CLI there. */
  readonly fromOrderer?: { readonly orderer: string; readonly refusal: string };
}

/**
 * Reads a committed block from a peer (qscc GetBlockByNumber): the peer's copy carries the
 * validation flags it wrote, which the orderer's does not. When the channel's ACL refuses the
 * CLI's qscc reads (`QSCC_ACCESS_DENIED`), a config block (`config`, or the number of one) is read
 * from an orderer's Deliver instead, so that `weft channel update` can still read the config and
 * see its own update land, and so undo such an ACL; with `anyFromOrderer` (`weft block show`, an
 * operator diagnosing the channel) any block is, else another block keeps the refusal, so that no
 * caller takes an orderer's block for one whose flags a peer wrote. Such a block is the orderer's:
 * it is there once the orderer cut it, which may be before `peer` committed it.
 */
export async function fetchBlock(layout: NetworkLayout, ref: BlockRef, peer: NodeLayout = readingPeer(layout), options: { anyFromOrderer?: boolean } = {}): Promise<FetchedBlock> {
  try {
    return await peerBlock(layout, ref, peer);
  } catch (err) {
    if (!(err instanceof WeftError && err.code === QSCC_ACCESS_DENIED)) throw err;
    const channel = layout.spec.channel.name;
    const read = await ordererBlock(layout, channelReader(layout, peer, channel), ref);
    if (ref !== 'config' && options.anyFromOrderer !== true && !isConfigBlock(read.bytes)) throw err;
    return { number: read.number, bytes: read.bytes, fromOrderer: { orderer: read.orderer, refusal: err.message } };
  }
}

/** The channel's height and current block hash as a peer has them (qscc GetChainInfo) or, when its ACL refuses that, as an orderer has them. */
export interface ChainInfo {
  readonly height: number;
  readonly currentBlockHash: string;
  readonly snapshotBlock?: number;
  readonly fromOrderer?: FetchedBlock['fromOrderer'];
}

/**
 * {@link peerChainInfo}, or on `QSCC_ACCESS_DENIED` the orderer's newest block: its number + 1 and
 * its header hash, which is what Fabric's BlockchainInfo carries (`currentBlockHash`).
 */
export async function chainInfo(layout: NetworkLayout, peer: NodeLayout): Promise<ChainInfo> {
  const channel = layout.spec.channel.name;
  try {
    return await peerChainInfo(layout, peer, channel);
  } catch (err) {
    if (!(err instanceof WeftError && err.code === QSCC_ACCESS_DENIED)) throw err;
    const read = await ordererBlock(layout, channelReader(layout, peer, channel), 'newest');
    const header = decodeBlock(read.bytes).getHeader()!;
    return { height: read.number + 1, currentBlockHash: toHex(blockHeaderHash(header)), fromOrderer: { orderer: read.orderer, refusal: err.message } };
  }
}

/** Whether the block is a config block (its last-config index points at itself). */
function isConfigBlock(bytes: Uint8Array): boolean {
  const block = decodeBlock(bytes);
  return getLastConfigIndex(block) === blockNumber(block);
}

async function peerBlock(layout: NetworkLayout, ref: BlockRef, peer: NodeLayout): Promise<FetchedBlock> {
  const channel = layout.spec.channel.name;
  const { height, snapshotBlock } = await peerChainInfo(layout, peer, channel);
  // A peer that joined from a snapshot, or was pruned to one, holds the blocks after the snapshot's last block only.
  const first = snapshotBlock === undefined ? 0 : snapshotBlock + 1;
  let number: number;
  if (ref === 'newest') number = height - 1;
  else if (ref === 'oldest') number = first;
  // A peer that holds no block yet (joined from, or pruned to, a snapshot at its newest block) cannot say which is the config block.
  else if (ref === 'config') number = height - 1 < first ? height - 1 : getLastConfigIndex(decodeBlock(await blockBytes(layout, peer, channel, height - 1)));
  else number = ref;
  if (number >= height) {
    throw new WeftError('BLOCK_NOT_FOUND', `block ${number} does not exist yet: ${peer.id} holds ${heldBlocks(first, height)} of ${channel}`, {
      suggestions: [height > first ? `weft block show ${shellWord(layout.dir)} newest` : `read the blocks from a peer that holds them: --peer <id> (${HOLDS_EVERY_BLOCK})`],
    });
  }
  if (number < first) {
    const what = ref !== 'config' ? `block ${number}` : height - 1 < first ? 'the latest config block' : `the latest config block (${number})`;
    throw new WeftError('BLOCK_BELOW_SNAPSHOT', `${peer.id} holds no block of ${channel} below ${first} (${snapshotStart(snapshotBlock!)}), so not ${what}`, {
      peer: peer.id,
      block: number,
      snapshotBlock,
      suggestions: [
        `read it from a peer that holds it: --peer <id> (${HOLDS_EVERY_BLOCK})`,
        ...(height > first ? [`its blocks start at ${first}: weft block show ${shellWord(layout.dir)} oldest --peer ${peer.id}`] : []),
      ],
    });
  }
  return { number, bytes: await blockBytes(layout, peer, channel, number) };
}

/** Which peers hold the blocks below a snapshot: not one pruned, whatever it joined from. */
const HOLDS_EVERY_BLOCK = 'one that joined from the genesis block and was not pruned; weft channel info --peer <id> says where its ledger starts';

/**
 * The blocks a peer holds from `first` (0, or the one after its snapshot) below `height`, in words.
 * A peer joined from (or pruned to) a snapshot at its newest block holds none: no range to print.
 */
export function heldBlocks(first: number, height: number): string {
  return height > first ? `blocks ${first}…${height - 1}` : `no block yet (its first will be block ${first})`;
}

/**
 * A peer whose ledger starts after a snapshot's block, in words. qscc's bootstrapping snapshot info
 * is the same for a peer joined from a snapshot and one pruned to it (`weft network prune`), so
 * the words name both: a pruned peer read "joined from a snapshot" in status.
 */
export function snapshotStart(snapshotBlock: number): string {
  return `ledger from the snapshot at block ${snapshotBlock}, joined from it or pruned to it`;
}

/** `--peer` of the block commands: a peer of the channel by id, or the default reading peer. */
export function blockPeer(layout: NetworkLayout, id: string | undefined): NodeLayout {
  return id === undefined ? readingPeer(layout) : channelPeer(layout, id);
}

function blockBytes(layout: NetworkLayout, peer: NodeLayout, channel: string, n: number): Promise<Uint8Array> {
  return qsccRead(layout, peer, channel, ['GetBlockByNumber', channel, String(n)]);
}
