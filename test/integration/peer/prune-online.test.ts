import type * as grpc from '@grpc/grpc-js';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { PruneAnswer } from '../../../core/peer/prune/prune-service';
import { peersInSync } from './in-process-network';
import { CHANNEL } from './network-fixture';
import { qscc, snapshotAhead, usePruneNetwork } from './prune-fixture';
import { peerDeliver, signedSnapshotRequest } from './snapshot-support';

const utf8 = new TextDecoder();

/** One call of `weft.peer.Prune/Prune`; rejects with the gRPC error. */
function pruneCall(client: grpc.Client, request: Uint8Array): Promise<PruneAnswer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/weft.peer.Prune/Prune',
      (b: Uint8Array) => Buffer.from(b),
      (b: Buffer) => new Uint8Array(b),
      request,
      (err, res) => (err ? reject(err) : resolve(JSON.parse(utf8.decode(res!)) as PruneAnswer)),
    );
  });
}

/**
 * A running peer pruned by a local admin's signed request (`weft.peer.Prune`), through its own
 * snapshot, while a client goes on submitting: nothing stops, every transaction commits, and the
 * peer then answers as one joined from that snapshot.
 */
describe('a running peer pruned to its snapshot', () => {
  const fx = usePruneNetwork('weft-prune-online-');
  const { admin, reader, height } = fx;

  it('prunes while transactions commit, refuses a non-admin, and answers below the snapshot as a snapshot-joined peer', async () => {
    const { net, kv } = fx;
    const { target, keptBlock } = await snapshotAhead(fx);

    // A member that is not an admin: the snapshot service's refusal, nothing pruned.
    await expect(pruneCall(net.clients[0]!, signedSnapshotRequest(reader(), CHANNEL, target))).rejects.toMatchObject({
      details: expect.stringMatching(/access denied for \[weft\/prune\]: the creator must be an admin of Org1MSP/) as string,
    });
    // A signature over other bytes than those sent.
    await expect(pruneCall(net.clients[0]!, signedSnapshotRequest(admin(), CHANNEL, target, true))).rejects.toMatchObject({
      details: expect.stringMatching(/signature over the request does not verify/) as string,
    });
    // No completed snapshot at that block.
    await expect(pruneCall(net.clients[0]!, signedSnapshotRequest(admin(), CHANNEL, target - 1))).rejects.toMatchObject({
      details: expect.stringMatching(/no completed snapshot at block/) as string,
    });
    expect((await peerDeliver(net.clients[0]!, reader(), CHANNEL, 0, 0)).blocks).toEqual([0]);

    // A stream from block 0 open across the prune, waiting for a block the prune's commits bring:
    // it either goes on past the snapshot, or, when it reaches a block already deleted, ends with a
    // status; never a gap, a half block or a dropped call.
    const heightBefore = height();
    const across = peerDeliver(net.clients[0]!, reader(), CHANNEL, 0, heightBefore, false);
    const submitted = Array.from({ length: 4 }, (_, i) => kv.submitTransaction('Put', `during${i}`, `value${i}`));
    const answer = await pruneCall(net.clients[0]!, signedSnapshotRequest(admin(), CHANNEL, target));
    expect((await Promise.all(submitted)).map((v) => utf8.decode(v))).toEqual(['value0', 'value1', 'value2', 'value3']);
    expect(answer).toEqual<PruneAnswer>({
      channel: CHANNEL,
      prunedThrough: target,
      blocksRemoved: target + 1,
      bytesBefore: expect.any(Number) as number,
      bytesAfter: expect.any(Number) as number,
      changed: true,
      longestHoldMs: expect.any(Number) as number,
    });
    expect((await pruneCall(net.clients[0]!, signedSnapshotRequest(admin(), CHANNEL, target))).changed).toBe(false);
    const streamed = await across;
    expect(streamed.blocks).toEqual(Array.from({ length: streamed.blocks.length }, (_, i) => i));
    if (streamed.status === Status.SUCCESS) expect(streamed.blocks.length).toBe(heightBefore + 1);
    else expect(streamed.status).toBe(Status.SERVICE_UNAVAILABLE);

    expect(await peerDeliver(net.clients[0]!, reader(), CHANNEL, 0, 0)).toEqual({ blocks: [], status: Status.NOT_FOUND });
    expect(await peerDeliver(net.clients[0]!, reader(), CHANNEL, target + 1, target + 1)).toEqual(keptBlock);
    expect((await qscc(net, ['GetBlockByNumber', CHANNEL, '1'])).message).toMatch(new RegExp(`block 1 is not available on this peer: .*snapshot at block ${target}`));
    // Still serving: reads its kept state, commits, and stays in step with the other peer.
    expect(utf8.decode(await kv.evaluateTransaction('Get', 'during3'))).toBe('value3');
    expect(utf8.decode(await kv.submitTransaction('Put', 'after', 'yes'))).toBe('yes');
    await peersInSync(net.peers);
  }, 240_000);
});
