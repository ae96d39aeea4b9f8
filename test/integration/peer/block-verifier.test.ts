import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BlockMetadata } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { headerHashOf, verifyBlock } from '../../../core/peer/validation/block-verifier';
import { newBlock, parseBlock } from '../../../core/protocol/block';
import { goEnvelope } from '../../../core/protocol/envelope-encoding';
import { cat, len } from '../../support/raw-protobuf';
import { signBlock } from '../../../core/protocol/block-signatures';
import { type Harness, endorsedTx, openHarness, rwset } from './channel-harness';
import { generateMaterial, tmpDir } from './network-fixture';

/** What the block puller refuses before a block reaches the committer (Fabric's `BlockVerificationAssistant.VerifyBlock`). */
describe('verifying a block from the ordering service', () => {
  let dir: string;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-block-verifier-');
    h = openHarness(await generateMaterial(dir), path.join(dir, 'ledger'));
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a signed, chained block without all five metadata slots, as Fabric', () => {
    const channel = h.joined.channel;
    const height = channel.height();
    const previous = headerHashOf(parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false }));
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { k: Buffer.from('v') } }) });
    const block = newBlock(height, previous, [tx.envelope]);
    signBlock(block, h.orderer, { lastConfigIndex: 0, writeLastConfig: false });
    expect(() => verifyBlock(parseBlock(block.serializeBinary()), height, previous, channel.resources())).not.toThrow();
    // The signatures slot alone: what the orderer signed is intact, the block is not a whole one.
    const metadata = block.getMetadata() as BlockMetadata;
    metadata.setMetadataList(metadata.getMetadataList_asU8().slice(0, 1));
    expect(() => verifyBlock(parseBlock(block.serializeBinary()), height, previous, channel.resources())).toThrow(
      expect.objectContaining({ code: 'PEER_BLOCK_BAD_METADATA', message: `channel mychannel: block ${height} has 1 metadata entries, expected 5` }),
    );
  });

  it('refuses a signed, chained block with no transactions, as Fabric ("empty block")', () => {
    const channel = h.joined.channel;
    const height = channel.height();
    const previous = headerHashOf(parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false }));
    const empty = newBlock(height, previous, []);
    signBlock(empty, h.orderer, { lastConfigIndex: 0 });
    expect(() => verifyBlock(parseBlock(empty.serializeBinary()), height, previous, channel.resources())).toThrow(
      expect.objectContaining({ code: 'PEER_BLOCK_EMPTY', message: `channel mychannel: block ${height} holds no transactions; an orderer never cuts an empty block` }),
    );
  });

  it('refuses a signed block holding an envelope not in the form an orderer marshals it, as Fabric 3 (VerifyTransactionsAreWellFormed)', () => {
    const channel = h.joined.channel;
    const height = channel.height();
    const previous = headerHashOf(parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false }));
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { k: Buffer.from('v2') } }) });
    const { payload, signature } = goEnvelope(tx.envelope);
    // The same payload and signature, signature first: any decoder reads the same envelope.
    const reordered = cat(len(2, signature), len(1, payload));
    const trailing = Buffer.concat([tx.envelope, Buffer.from([0x12, 0x01, 0x00])]);
    const verify = (envelope: Uint8Array): void => {
      const block = newBlock(height, previous, [envelope]);
      signBlock(block, h.orderer, { lastConfigIndex: 0 });
      verifyBlock(parseBlock(block.serializeBinary()), height, previous, channel.resources());
    };
    expect(() => verify(tx.envelope)).not.toThrow();
    expect(() => verify(reordered)).toThrow(
      expect.objectContaining({
        code: 'PEER_BLOCK_MALFORMED_TX',
        message: `channel mychannel: block ${height}: transaction 0 (${tx.envelope.length} bytes re-encoded) does not match its raw form (${reordered.length} bytes)`,
      }),
    );
    // A repeated signature field: the last one (a single zero byte) wins, so the re-encoding is shorter.
    expect(() => verify(trailing)).toThrow(expect.objectContaining({ code: 'PEER_BLOCK_MALFORMED_TX', message: expect.stringMatching(/transaction 0 has \d+ trailing bytes$/) }));
  });
});
