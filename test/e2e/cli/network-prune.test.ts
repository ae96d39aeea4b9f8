import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WeftError } from '../../../core/errors';
import { findFreePorts } from '../../../cli/services/free-ports';
import { networkPrune } from '../../../cli/services/network/network-prune';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const ORG1 = 'peer0.org1.example.com';
const ORG2 = 'peer0.org2.example.com';

interface Pruned {
  channel: string;
  block: number;
  snapshotHash?: string;
  peers: { peer: string; changed: boolean; blocksRemoved: number; bytesBefore?: number; bytesAfter?: number; heightAfter: number }[];
}

/**
 * `weft network prune` on a 2-org network of real processes (one peer per org): every refusal comes
 * before any peer stops (a block the channel has not reached, pruning every peer without --all,
 * snapshots that are not one ledger, a peer past the block without a snapshot); then both peers
 * prune themselves while serving, one after the other, from snapshots taken at the last block, no
 * process stopped; both refuse the old blocks, keep their state, commit new blocks alike, and a
 * repeat changes nothing; a prune that fails on the stop-and-prune path (--vacuum) restarts that
 * peer on its old ledger.
 */
describe('weft network prune (real processes)', () => {
  let tmp: string;
  let net: string;
  const weft = (...args: string[]): Promise<CliResult> => runCli([...args, '--json'], { timeoutMs: 300_000 });
  const put = async (key: string, value: string) => json(await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', key, value));
  const get = async (key: string, peer: string) => (json(await weft('chaincode', 'query', net, '--name', 'kv', 'Get', key, '--peer', peer)) as { result: string }).result;
  const info = async (peer: string) => json(await weft('channel', 'info', net, '--peer', peer)) as { height: number; currentBlockHash: string; snapshotBlock?: number };
  const pid = (peer: string): string => fs.readFileSync(path.join(net, 'run', `${peer}.pid`), 'utf8').trim();
  const pids = (): string[] => [pid(ORG1), pid(ORG2)];
  const snapshotDir = (peer: string, block: number): string => path.join(net, 'nodes', peer, 'data', 'snapshots', 'completed', 'mychannel', String(block));
  /** Both peers' last block, once they agree on it. */
  const lastBlock = async (): Promise<number> => {
    for (;;) {
      const [a, b] = [await info(ORG1), await info(ORG2)];
      if (a.height === b.height && a.currentBlockHash === b.currentBlockHash) return a.height - 1;
      await new Promise((r) => setTimeout(r, 250));
    }
  };

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-netprune-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(8);
    json(await weft('network', 'init', net, '--orgs', '2', '--base-port', String(base), '--batch-timeout', '250ms'));
    json(await weft('network', 'up', net));
    json(await weft('chaincode', 'deploy', net, KV, '--name', 'kv'));
    await put('color', 'blue');
    await put('size', '7');
  }, 300_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('refuses, before any peer stops: a block not reached, every peer without --all, snapshots that differ, a peer past the block without one', async () => {
    const before = pids();
    const last = await lastBlock();
    const ahead = errorOf(await weft('network', 'prune', net, '--block', String(last + 3), '--all'));
    expect(ahead).toMatchObject({ code: 'CHANNEL_NOT_AT_BLOCK', details: { field: '--block', heights: { [ORG1]: last + 1, [ORG2]: last + 1 } } });
    expect(ahead.message).toContain('3 more blocks to go');

    const every = errorOf(await weft('network', 'prune', net, '--block', String(last)));
    expect(every).toMatchObject({ code: 'PRUNE_WOULD_DROP_EVERY_BLOCK', details: { peers: [ORG1, ORG2] } });
    // Neither refusal asked for a snapshot.
    expect(fs.existsSync(snapshotDir(ORG1, last)) || fs.existsSync(snapshotDir(ORG2, last))).toBe(false);

    // Org1's snapshot of an earlier block poses as its snapshot at the block Org2 takes hers: not one ledger.
    json(await weft('snapshot', 'submit', net, '--peer', ORG1, '--wait'));
    await put('shape', 'round');
    const later = await lastBlock();
    json(await weft('snapshot', 'submit', net, '--peer', ORG2, '--wait'));
    fs.cpSync(snapshotDir(ORG1, last), snapshotDir(ORG1, later), { recursive: true });
    const differ = errorOf(await weft('network', 'prune', net, '--block', String(later), '--all'));
    expect(differ.code).toBe('PRUNE_SNAPSHOTS_DISAGREE');
    expect(differ.details.snapshots).toEqual({ [ORG1]: expect.stringMatching(/^[0-9a-f]{64}$/), [ORG2]: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(differ.message).toContain(`${ORG1}: snapshot_hash`);

    // Without it, Org1 is past that block with no snapshot of it: a peer writes one only at its last block or later.
    fs.rmSync(snapshotDir(ORG1, later), { recursive: true });
    await put('shape', 'square');
    expect(errorOf(await weft('network', 'prune', net, '--block', String(later), '--all'))).toMatchObject({ code: 'PRUNE_SNAPSHOT_MISSING', details: { peers: [ORG1] } });
    // The running peer, asked directly (signed as Org1's Admin, weft.peer.Prune): only through a snapshot of its own.
    const direct = errorOf(await weft('peer', 'prune', net, '--peer', ORG1, '--channel', 'mychannel', '--block', String(later)));
    expect(direct).toMatchObject({ code: 'PRUNE_REFUSED', details: { peer: ORG1 } });
    expect(direct.message).toContain(`this peer has no completed snapshot at block ${later}`);
    expect(pids()).toEqual(before);
  }, 300_000);

  it('prunes both peers one at a time while they serve; they refuse the old blocks, keep their state, commit alike; a repeat changes nothing', async () => {
    const before = pids();
    const block = await lastBlock();
    const run = await weft('network', 'prune', net, '--block', String(block), '--all');
    const result = json(run) as unknown as Pruned;
    expect(result).toMatchObject({ channel: 'mychannel', block, snapshotHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(result.peers.map((p) => p.peer)).toEqual([ORG1, ORG2]);
    for (const p of result.peers) {
      expect(p).toEqual({ peer: p.peer, changed: true, blocksRemoved: block + 1, bytesBefore: expect.any(Number), bytesAfter: expect.any(Number), heightAfter: block + 1, mode: 'online' });
    }
    // Each running peer prunes itself (weft.peer.Prune): no process stops, and Org2's starts only once Org1's is done.
    const lines = run.stderr.split('\n');
    const at = (text: string): number => lines.findIndex((l) => l.includes(text));
    expect(at(`[1/2] ${ORG1}: pruning while it serves`)).toBeGreaterThanOrEqual(0);
    expect(at(`${ORG1}: pruned through block ${block}`)).toBeGreaterThan(at(`[1/2] ${ORG1}: pruning while it serves`));
    expect(at(`[2/2] ${ORG2}: pruning while it serves`)).toBeGreaterThan(at(`${ORG1}: pruned through block ${block}`));
    expect(at(`${ORG2}: pruned through block ${block}`)).toBeGreaterThan(at(`[2/2] ${ORG2}: pruning while it serves`));
    expect(run.stderr).not.toContain('stopping');
    const after = pids();
    expect(after).toEqual(before);

    for (const peer of [ORG1, ORG2]) {
      expect(errorOf(await weft('block', 'show', net, String(block), '--peer', peer))).toMatchObject({ code: 'BLOCK_BELOW_SNAPSHOT' });
      expect(await get('shape', peer)).toBe('square');
    }
    await put('color', 'red');
    expect(await lastBlock()).toBeGreaterThan(block);
    for (const peer of [ORG1, ORG2]) {
      expect(await get('color', peer)).toBe('red');
      expect(await info(peer)).toMatchObject({ snapshotBlock: block });
    }

    const again = await weft('network', 'prune', net, '--block', String(block), '--all');
    const repeat = json(again) as unknown as Pruned;
    expect(repeat.peers.map((p) => ({ peer: p.peer, changed: p.changed, blocksRemoved: p.blocksRemoved }))).toEqual([
      { peer: ORG1, changed: false, blocksRemoved: 0 },
      { peer: ORG2, changed: false, blocksRemoved: 0 },
    ]);
    expect(again.stderr).not.toContain('stopping');
    expect(pids()).toEqual(after);
  }, 600_000);

  it('a prune that fails starts the peer again on its old ledger and stops before the next peer', async () => {
    const before = pids();
    const pruned = (await info(ORG1)).snapshotBlock!;
    await put('color', 'violet');
    const block = await lastBlock();
    // In process, to spoil Org1's snapshot after the check and before its prune reads it again (the prune re-hashes the files).
    const lines: string[] = [];
    const progress = (m: string): void => {
      lines.push(m);
      if (m !== `[1/2] ${ORG1}: stopping`) return;
      const state = path.join(snapshotDir(ORG1, block), 'public_state.data');
      fs.chmodSync(state, 0o644);
      fs.appendFileSync(state, Buffer.from([0]));
    };
    const err = await networkPrune(net, { block, all: true, vacuum: true, timeoutMs: 120_000 }, progress).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WeftError);
    expect(err).toMatchObject({ code: 'NETWORK_PRUNE_FAILED', details: { peer: ORG1, step: 'prune', causeCode: 'PEER_BAD_SNAPSHOT' } });
    expect(lines.some((l) => l.startsWith(`[2/2]`))).toBe(false);
    // Restarted (a new process) on the ledger it had: pruned to the earlier block only; Org2's peer never stopped.
    expect(pid(ORG1)).not.toBe(before[0]);
    expect(pid(ORG2)).toBe(before[1]);
    expect(await info(ORG1)).toMatchObject({ snapshotBlock: pruned, height: block + 1 });
    expect(json(await weft('block', 'show', net, String(block), '--peer', ORG1))).toMatchObject({ number: block });
    await put('color', 'indigo');
    expect(await get('color', ORG1)).toBe('indigo');
  }, 300_000);
});
