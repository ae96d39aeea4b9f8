import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { readSnapshotMetadata } from '../../../core/ledger/snapshot-metadata';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, type PeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerLedgerAdmin, type PrunedChannel } from '../../../core/peer/peer-ledger-admin';
import { PeerNode } from '../../../core/peer/peer-node';
import { peersInSync } from './in-process-network';
import { CHANNEL, approve, eventually, gatewayFor, signerOf } from './network-fixture';
import { qscc as qsccOn, snapshotAhead, usePruneNetwork } from './prune-fixture';
import { peerDeliver, signedSnapshotRequest, snapshotCall } from './snapshot-support';

const utf8 = new TextDecoder();

/**
 * `weft peer prune` on a real peer: its own snapshot taken, the peer stopped, the blocks up to the
 * snapshot deleted in place, the peer started again. It then answers as a peer joined from that
 * snapshot (Deliver and qscc below it), serves its kept state, endorses, and catches up.
 */
describe('a peer pruned to its snapshot', () => {
  const fx = usePruneNetwork('weft-prune-');
  let config: PeerConfig;
  beforeAll(() => {
    config = parsePeerConfig(loadNodeConfig(fx.net.peerFiles[0].configFile));
  });
  const { reader, height } = fx;
  const qscc = (args: string[], org: 0 | 1 = 0) => qsccOn(fx.net, args, org);
  async function withAdmin<T>(work: (a: PeerLedgerAdmin) => Promise<T>): Promise<T> {
    const a = PeerLedgerAdmin.open(config, 'test');
    try {
      return await work(a);
    } finally {
      a.close();
    }
  }

  it('deletes the blocks up to the snapshot, keeps state and txids, and goes on serving and committing', async () => {
    const { net, kv } = fx;
    const old = kv.newProposal('Put', { arguments: ['a', 'apple'] });
    const oldTxId = old.getTransactionId();
    await (await old.endorse()).submit();
    const { target, snapshotDir, keptBlock } = await snapshotAhead(fx);
    expect(snapshotDir).toBe(path.join(snapshotsRootDir(config), 'completed', CHANNEL, String(target)));
    expect(keptBlock.blocks).toEqual([target + 1]);
    const heightBefore = height();

    await net.peers[0]!.stop();
    // Refused while any process holds the data directory.
    const holder = PeerLedgerAdmin.open(config, 'another admin');
    expect(() => PeerLedgerAdmin.open(config, 'test')).toThrow(/another admin/);
    holder.close();

    // A snapshot whose metadata names another block hash is not of this ledger: refused, nothing written.
    const forged = path.join(net.dir, 'forged-snapshot');
    fs.cpSync(snapshotDir, forged, { recursive: true });
    const metaFile = path.join(forged, '_snapshot_signable_metadata.json');
    fs.chmodSync(metaFile, 0o644);
    const meta = fs.readFileSync(metaFile, 'utf8');
    const forgedMeta = meta.replace(/("last_block_hash": ")([0-9a-f]{64})/, (_, k: string, h: string) => k + (h[0] === '0' ? '1' : '0') + h.slice(1));
    fs.writeFileSync(metaFile, forgedMeta);
    // Hashed again, as someone who forged it would: the files are consistent, only the chain differs.
    const additional = path.join(forged, '_snapshot_additional_metadata.json');
    fs.chmodSync(additional, 0o644);
    fs.writeFileSync(additional, fs.readFileSync(additional, 'utf8').replace(/("snapshot_hash": ")([0-9a-f]{64})/, (_, k: string) => k + createHash('sha256').update(forgedMeta).digest('hex')));
    await withAdmin(async (a) => {
      await expect(a.prune('nochannel', snapshotDir, { vacuum: true })).rejects.toMatchObject({ code: 'PEER_UNKNOWN_CHANNEL' });
      await expect(a.prune(CHANNEL, forged, { vacuum: true })).rejects.toMatchObject({ code: 'PEER_BAD_PRUNE', details: expect.objectContaining({ field: 'lastBlockHash' }) });
      fs.appendFileSync(path.join(forged, 'public_state.data'), 'x');
      await expect(a.prune(CHANNEL, forged, { vacuum: true })).rejects.toMatchObject({ code: 'PEER_BAD_SNAPSHOT', details: expect.objectContaining({ field: 'snapshot' }) });
    });

    const progress: string[] = [];
    const result = await withAdmin((a) => a.prune(CHANNEL, snapshotDir, { vacuum: true, onProgress: (m) => progress.push(m) }));
    expect(result).toEqual<PrunedChannel>({ channel: CHANNEL, prunedThrough: target, blocksRemoved: target + 1, bytesBefore: expect.any(Number) as number, bytesAfter: expect.any(Number) as number, changed: true });
    expect(progress.join('\n')).toMatch(/files match/);
    expect((await withAdmin((a) => a.prune(CHANNEL, snapshotDir, { vacuum: false }))).changed).toBe(false);
    // As for a channel joined from a snapshot: no replay from blocks that are gone.
    await withAdmin(async (a) => expect(() => a.rebuild()).toThrow(expect.objectContaining({ code: 'PEER_BOOTSTRAPPED_FROM_SNAPSHOT' })));

    // Org2 commits while peer0 is down: peer0 catches up once started.
    // (An org2 approval: a kv transaction needs both orgs' endorsements.)
    const org2Admin = gatewayFor(net.m.orgs[1], net.clients[1]!, 'Admin');
    net.gateways.push(org2Admin);
    await approve(org2Admin, 'while-pruned', 1, 'while-pruned:0000', false, CHANNEL);
    const peer = new PeerNode(config);
    await peer.start();
    net.peers[0] = peer;
    await eventually(() => expect(height()).toBe(heightBefore + 1), 30_000);

    expect(await peerDeliver(net.clients[0]!, reader(), CHANNEL, 0, 0)).toEqual({ blocks: [], status: Status.NOT_FOUND });
    expect(await peerDeliver(net.clients[0]!, reader(), CHANNEL, target + 1, target + 1)).toEqual(keptBlock);
    expect((await qscc(['GetBlockByNumber', CHANNEL, '1'])).message).toMatch(new RegExp(`block 1 is not available on this peer: .*snapshot at block ${target}`));
    expect((await qscc(['GetTransactionByID', CHANNEL, oldTxId])).message).toMatch(/is not available on this peer/);
    const info = BlockchainInfo.deserializeBinary((await qscc(['GetChainInfo', CHANNEL])).payload);
    expect(info.getBootstrappingsnapshotinfo()?.getLastblockinsnapshot()).toBe(target);

    // Its kept state answers, it endorses, and its blocks stay those of the other peer.
    expect(utf8.decode(await kv.evaluateTransaction('Get', 'a'))).toBe('apple');
    expect(utf8.decode(await kv.submitTransaction('Put', 'd', 'date'))).toBe('date');
    await peersInSync(net.peers);
    const chainInfo = async (org: 0 | 1) => BlockchainInfo.deserializeBinary((await qscc(['GetChainInfo', CHANNEL], org)).payload);
    const [mine, theirs] = [await chainInfo(0), await chainInfo(1)];
    expect(mine.getHeight()).toBe(theirs.getHeight());
    expect(Buffer.from(mine.getCurrentblockhash_asU8())).toEqual(Buffer.from(theirs.getCurrentblockhash_asU8()));

    // A snapshot "now" on the pruned peer and on the other: the same snapshot_hash.
    const now = height() - 1;
    for (const i of [0, 1] as const) await snapshotCall(net.clients[i]!, 'Generate', signedSnapshotRequest(signerOf(net.m.orgs[i], 'Admin'), CHANNEL, 0));
    const dirs = net.peers.map((p) => path.join(snapshotsRootDir(p.config), 'completed', CHANNEL, String(now)));
    await eventually(() => dirs.forEach((d) => expect(fs.existsSync(d)).toBe(true)), 30_000);
    const [fromPruned, fromOther] = dirs.map((d) => Buffer.from(readSnapshotMetadata(d).snapshotHash).toString('hex'));
    expect(fromPruned).toBe(fromOther);
  }, 240_000);
});
