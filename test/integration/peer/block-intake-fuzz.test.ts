import * as path from 'node:path';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ProtocolError } from '../../../core/errors';
import { PeerError } from '../../../core/peer/peer-error';
import { headerHashOf, verifyBlock } from '../../../core/peer/validation/block-verifier';
import { blockDataHash, newBlock, parseBlock } from '../../../core/protocol/block';
import { signBlock } from '../../../core/protocol/block-signatures';
import { mutateMessage, rewriteAt } from '../../support/protobuf-mutator';
import { seededRandom } from '../../support/seeded-random';
import { endorsedTx, type Harness, openHarness, PEER_PAIR_DIRS, rwset, usePeerPair } from './channel-harness';

const BLOCKS = 200;
/** Block, header, data, metadata, the metadata's slots. */
const LAYERS = [[], [1], [2], [3], [3, 1]];

/**
 * A peer's block intake against a hostile or faulty orderer: each next block, with valid
 * transactions, gets a random change anywhere, and is mostly signed again by the orderer (often
 * with its data hash fixed and a LAST_CONFIG naming any block). The peer either refuses it with a
 * typed error (parse, hash chain, signature policy) or commits it; two peers decide alike, and a
 * restart reopens the ledger at the same height and config.
 */
describe('block intake from an orderer that sends mutated, signed blocks', () => {
  const pair = usePeerPair('weft-block-fuzz-');

  /** Verifies and commits `bytes` on one peer as its block puller would; returns the flags, or the refusal's code. */
  async function intake(p: Harness, bytes: Uint8Array): Promise<string> {
    const channel = p.joined.channel;
    const height = channel.height();
    const previous = parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false });
    let parsed;
    try {
      parsed = parseBlock(bytes);
      verifyBlock(parsed, height, headerHashOf(previous), channel.resources());
    } catch (err) {
      expect(err instanceof ProtocolError || err instanceof PeerError).toBe(true);
      return `refused ${(err as ProtocolError).code}`;
    }
    let flags: number[] = [];
    const off = channel.onBlock((b) => void (flags = [...b.flags]));
    try {
      await p.joined.committer.commit(parsed);
    } finally {
      off();
    }
    return `committed ${flags.join(',')}`;
  }

  it(`refuses or commits ${BLOCKS} mutated blocks alike on two peers, and reopens where it was`, async () => {
    const { dir, m, genesis, peers } = pair;
    const h = peers[0];
    const rnd = seededRandom(0xb10c);
    const outcomes = new Set<string>();
    for (let i = 0; i < BLOCKS; i++) {
      const channel = h.joined.channel;
      const height = channel.height();
      const previous = parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false });
      const txs = Array.from({ length: 1 + Math.floor(rnd() * 3) }, (_, j) =>
        endorsedTx({ creator: h.users[j % 2], endorsers: h.peers, chaincode: 'kv', results: rwset({ kv: { [`k${i}-${j}`]: Buffer.from('v') } }) }).envelope,
      );
      const block = newBlock(height, headerHashOf(previous), txs);
      signBlock(block, h.orderer, { lastConfigIndex: 0 });
      const layer = LAYERS[Math.floor(rnd() * LAYERS.length)];
      let bytes = layer.length === 0 ? mutateMessage(block.serializeBinary(), rnd) : rewriteAt(block.serializeBinary(), layer, (b) => mutateMessage(b, rnd, 0.6));
      const hostility = rnd();
      if (hostility < 0.7) {
        let signed: Block;
        try {
          signed = Block.deserializeBinary(bytes);
        } catch {
          continue; // not a block the orderer could sign
        }
        if (hostility < 0.4) signed.getHeader()?.setDataHash(blockDataHash(signed.getData()?.getDataList_asU8() ?? []));
        signBlock(signed, h.orderer, { lastConfigIndex: rnd() < 0.3 ? Math.floor(rnd() * (height + 10)) : 0 });
        bytes = signed.serializeBinary();
      }
      const [a, b] = [await intake(peers[0], bytes), await intake(peers[1], bytes)];
      expect({ block: i, outcome: b }).toEqual({ block: i, outcome: a });
      outcomes.add(a.replace(/ [\d,]*$/, ''));
    }
    expect([...outcomes].sort()).toEqual(
      expect.arrayContaining(['committed', 'refused PEER_BLOCK_BAD_HASH_CHAIN', 'refused PEER_BLOCK_BAD_SIGNATURE', 'refused PROTOCOL_BAD_FIELD']),
    );
    const [height, sequence] = [peers[0].joined.channel.height(), peers[0].joined.channel.resources().config.sequence];
    expect(peers[1].joined.channel.height()).toBe(height);
    peers[0].channels.close();
    peers[0] = openHarness(m, path.join(dir, PEER_PAIR_DIRS[0]), genesis);
    expect(peers[0].joined.channel.height()).toBe(height);
    expect(peers[0].joined.channel.resources().config.sequence).toBe(sequence);
  }, 120_000);
});
