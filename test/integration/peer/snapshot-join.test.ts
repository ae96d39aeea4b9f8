import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../../../core/node/logger';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { SnapshotManager, completedSnapshotDir } from '../../../core/peer/snapshot/snapshot-manager';
import { blockHeaderHash, getTransactionsFilter, newBlock, parseBlock, type ParsedBlock } from '../../../core/protocol/block';
import { signBlock } from '../../../core/protocol/block-signatures';
import { type Harness, commitBlock, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { CHANNEL, generateMaterial, genesisBlock, tmpDir } from './network-fixture';

const silent = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;

/**
 * A channel joined from a snapshot through the peer's channel manager (real SQLite ledgers and
 * committer): it runs the config kept in state, its first block chains to the snapshot's last
 * block, and a transaction committed before the snapshot is DUPLICATE_TXID at validation, with the
 * same flags and block hashes as on the peer that holds every block.
 */
it('validates the blocks after a snapshot as the peer that took it does, duplicates from before it included', async () => {
  const dir = tmpDir('weft-snapshot-join-');
  const m = await generateMaterial(dir);
  const full = openHarness(m, path.join(dir, 'full'));
  // The joining peer is on another channel already: joining from a snapshot adds one.
  const fresh = openHarness(m, path.join(dir, 'fresh'), genesisBlock(m, 7050, '100ms', 'other'));
  try {
    const tx = (name: string) => endorsedTx({ creator: full.users[0], endorsers: full.peers, chaincode: '_lifecycle', results: definitionWrites(name) });
    const before = tx('before');
    expect(await commitBlock(full, [before.envelope])).toEqual([TxValidationCode.VALID]);
    expect(await commitBlock(full, [tx('more').envelope])).toEqual([TxValidationCode.VALID]);
    const manager = new SnapshotManager({ rootDir: path.join(dir, 'snapshots'), logger: silent });
    manager.attach(full.joined);
    manager.submit(CHANNEL, 0);
    await manager.idle();

    const channel = await fresh.channels.joinBySnapshot(completedSnapshotDir(path.join(dir, 'snapshots'), CHANNEL, 2));
    expect(fresh.channels.list()).toEqual([CHANNEL, 'other']);
    expect(channel.height()).toBe(3);
    // The config comes from state: the same resources (MSPs, policies) as the genesis block's.
    expect(Buffer.from(channel.resources().config.configBytes)).toEqual(Buffer.from(full.joined.channel.resources().config.configBytes));

    // Block 3, as the orderer would send it to both: the old transaction again, and a new one.
    const last = parseBlock(full.joined.channel.ledger.getBlockBytes(2) as Uint8Array, { verifyDataHash: false });
    const block = newBlock(3, blockHeaderHash({ number: last.number, previousHash: last.previousHash, dataHash: last.dataHash }), [before.envelope, tx('after').envelope]);
    signBlock(block, full.orderer, { lastConfigIndex: 0 });
    const commitOn = async (h: Harness): Promise<ParsedBlock> => {
      const joined = h.channels.get(CHANNEL)!;
      await joined.committer.commit(parseBlock(block.serializeBinary()));
      return parseBlock(joined.channel.ledger.getBlockBytes(3) as Uint8Array);
    };
    const [onFull, onFresh] = [await commitOn(full), await commitOn(fresh)];
    expect([...getTransactionsFilter(onFresh.block)]).toEqual([TxValidationCode.DUPLICATE_TXID, TxValidationCode.VALID]);
    expect(onFresh.bytes).toEqual(onFull.bytes);
  } finally {
    full.channels.close();
    fresh.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
