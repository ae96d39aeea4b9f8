import * as fs from 'node:fs';
import * as path from 'node:path';
import { Block, type BlockHeader, type BlockMetadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { headerHashOf, verifyBlock } from '../../../core/peer/validation/block-verifier';
import { getLastConfigIndex, newBlock, parseBlock } from '../../../core/protocol/block';
import { signBlock } from '../../../core/protocol/block-signatures';
import { cat, len, vint } from '../../support/raw-protobuf';
import { type Harness, endorsedTx, openHarness, rwset } from './channel-harness';
import { generateMaterial, tmpDir } from './network-fixture';

/**
 * A block an orderer sends in an encoding google-protobuf misreads, taken through a peer's intake
 * (parse, `verifyBlock`, commit) as the block puller does. A Fabric peer decodes the block with
 * protobuf-go (`protoutil.UnmarshalBlock`, protoutil/unmarshalers.go:23): a singular message
 * field seen twice is merged (google.golang.org/protobuf internal/impl/codec_field.go:183-186)
 * and a known field with another wire type is skipped as unknown (internal/impl/decode.go:176-226).
 * So it commits this block: the same header, data and metadata as the orderer's well-formed one.
 */
describe('peer intake of a block encoded unusually by its orderer', () => {
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-block-go-decode-');
    h = openHarness(await generateMaterial(dir), path.join(dir, 'ledger'));
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('verifies and commits a signed block with a split header and metadata and a mistyped field, as a Fabric peer does', async () => {
    const channel = h.joined.channel;
    const height = channel.height();
    const previous = headerHashOf(parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false }));
    const txs = [0, 1].map((i) => endorsedTx({ creator: h.users[i], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { [`k${i}`]: Buffer.from('v') } }) }).envelope);
    const block = newBlock(height, previous, txs);
    signBlock(block, h.orderer, { lastConfigIndex: 0 });
    const header = block.getHeader() as BlockHeader;
    const slots = (block.getMetadata() as BlockMetadata).getMetadataList_asU8();
    const entries = (from: number, to: number): Uint8Array => cat(...slots.slice(from, to).map((s) => len(1, s)));
    const crafted = cat(
      len(1, vint(1, header.getNumber())),
      vint(2, 1), // data with a varint's wire type: unknown to protobuf-go
      len(2, cat(...txs.map((t) => len(1, t)))),
      len(3, entries(0, 3)),
      len(1, cat(len(2, header.getPreviousHash_asU8()), len(3, header.getDataHash_asU8()))),
      len(3, entries(3, 5)),
    );

    const parsed = parseBlock(crafted);
    expect(parsed.number).toBe(height);
    expect(parsed.envelopes).toEqual(txs);
    verifyBlock(parsed, height, previous, channel.resources());
    let flags: number[] = [];
    const off = channel.onBlock((b) => void (flags = [...b.flags]));
    try {
      await h.joined.committer.commit(parsed);
    } finally {
      off();
    }
    // Chaincode `cc` is not defined on the channel: both transactions committed, as INVALID_CHAINCODE.
    expect(flags).toEqual([25, 25]);
    expect(channel.height()).toBe(height + 1);

    // Stored as the block protobuf-go read: every reader of the ledger decodes it again.
    const stored = channel.ledger.getBlockBytes(height) as Uint8Array;
    const again = Block.deserializeBinary(stored);
    expect(again.getHeader()?.getNumber()).toBe(height);
    expect(again.getData()?.getDataList_asU8()).toEqual(txs);
    expect(getLastConfigIndex(again)).toBe(0);
    expect(headerHashOf(parseBlock(stored))).toEqual(headerHashOf(parsed));
  });
});
