import * as fs from 'node:fs';
import * as path from 'node:path';
import { readSnapshotMetadata } from '../../../core/ledger/snapshot-metadata';
import type { Logger } from '../../../core/node/logger';
import { SnapshotManager, completedSnapshotDir } from '../../../core/peer/snapshot/snapshot-manager';
import { PendingSnapshots } from '../../../core/peer/snapshot/pending-snapshots';
import { blockHeaderHash, newBlock, parseBlock, type ParsedBlock } from '../../../core/protocol/block';
import { signBlock } from '../../../core/protocol/block-signatures';
import { type Harness, definitionWrites, endorsedTx, openHarness } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';

/**
 * The peer's snapshot manager over a real channel (SQLite ledger, committer): Fabric's
 * `snapshot_mgmt.go` rules for when a snapshot is taken, what a failed one leaves, and what a
 * restart resumes; and Weft's own rule that later blocks wait only until the export has fixed its
 * view (the ledger fails an export whose view moved: `LEDGER_SNAPSHOT_MOVED`).
 */
describe('snapshot generation on a channel', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let root: string;
  let logs: { level: string; msg: string; obj: Record<string, unknown> }[];
  let logger: Logger;

  beforeAll(async () => {
    dir = tmpDir('weft-snapshot-generation-');
    m = await generateMaterial(dir);
  }, 60_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    const sub = fs.mkdtempSync(path.join(dir, 'case-'));
    h = openHarness(m, path.join(sub, 'ledgers'));
    root = path.join(sub, 'snapshots');
    logs = [];
    const log = (level: string) => (obj: Record<string, unknown>, msg: string) => logs.push({ level, msg, obj });
    logger = { error: log('error'), warn: log('warn'), info: log('info'), debug: log('debug') } as unknown as Logger;
  });
  afterEach(() => h.channels.close());

  let serial = 0;
  /** The next `count` blocks after the channel's last, each with one transaction, chained and orderer-signed, not yet committed. */
  const nextBlocks = (count: number): ParsedBlock[] => {
    const ledger = h.joined.channel.ledger;
    let prev = parseBlock(ledger.getBlockBytes(ledger.height() - 1) as Uint8Array, { verifyDataHash: false });
    const blocks: ParsedBlock[] = [];
    for (let i = 0; i < count; i++) {
      const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites(`cc${++serial}`) });
      const block = newBlock(prev.number + 1, blockHeaderHash({ number: prev.number, previousHash: prev.previousHash, dataHash: prev.dataHash }), [tx.envelope]);
      signBlock(block, h.orderer, { lastConfigIndex: 0 });
      prev = parseBlock(block.serializeBinary());
      blocks.push(prev);
    }
    return blocks;
  };

  it('exports as of the requested block even when the next block is already queued behind it', async () => {
    const manager = new SnapshotManager({ rootDir: root, logger });
    manager.attach(h.joined);
    manager.submit(CHANNEL, 3);
    // Blocks 1 to 5 are handed to the committer at once, as a puller with a backlog does.
    await Promise.all(nextBlocks(5).map((b) => h.joined.committer.commit(b)));
    await manager.idle();
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    const metadata = readSnapshotMetadata(completedSnapshotDir(root, CHANNEL, 3));
    expect(metadata.lastBlockNumber).toBe(3);
    expect(Buffer.from(metadata.lastBlockHash)).toEqual(Buffer.from(blockHeaderHash(parseBlock(h.joined.channel.ledger.getBlockBytes(3) as Uint8Array).block.getHeader()!)));
    expect(logs.find((l) => l.msg === 'Generated snapshot')?.obj).toMatchObject({ channel: CHANNEL, block: 3, snapshot_hash: Buffer.from(metadata.snapshotHash).toString('hex') });
    expect(manager.list(CHANNEL)).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'temp', CHANNEL))).toEqual([]);
  }, 60_000);

  it('drops a request whose export fails, logging why, and the channel keeps committing', async () => {
    const manager = new SnapshotManager({ rootDir: root, logger });
    manager.attach(h.joined);
    manager.submit(CHANNEL, 2);
    // Where the export's parent directory must go, a file.
    fs.mkdirSync(path.join(root, 'temp'), { recursive: true });
    fs.writeFileSync(path.join(root, 'temp', CHANNEL), 'in the way');
    for (const b of nextBlocks(3)) await h.joined.committer.commit(b);
    await manager.idle();
    expect(logs.filter((l) => l.level === 'error').map((l) => [l.msg, l.obj.block])).toEqual([['Failed to generate snapshot', 2]]);
    expect(manager.list(CHANNEL)).toEqual([]);
    expect(fs.existsSync(completedSnapshotDir(root, CHANNEL, 2))).toBe(false);
    expect(h.joined.channel.height()).toBe(4);
  }, 60_000);

  it('after a restart, generates a request for the last block that has no snapshot yet (Fabric regenrateMissedSnapshot)', async () => {
    for (const b of nextBlocks(2)) await h.joined.committer.commit(b);
    // The peer stopped after committing block 2 and before writing its snapshot.
    PendingSnapshots.open(root).add(CHANNEL, 2);
    const manager = new SnapshotManager({ rootDir: root, logger });
    manager.attach(h.joined);
    await manager.idle();
    expect(readSnapshotMetadata(completedSnapshotDir(root, CHANNEL, 2)).lastBlockNumber).toBe(2);
    expect(manager.list(CHANNEL)).toEqual([]);
    // And the peer drops the requests of channels it no longer has.
    PendingSnapshots.open(root).add('gone', 9);
    const restarted = new SnapshotManager({ rootDir: root, logger });
    restarted.forgetAllBut([CHANNEL]);
    expect(PendingSnapshots.open(root).channels()).toEqual([]);
  }, 60_000);
});
