import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net_ from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { WeftError } from '../../../core/errors';
import { findFreePorts } from '../../../cli/services/free-ports';
import { openNetwork, type Progress } from '../../../cli/services/network/network-access';
import { networkPrune } from '../../../cli/services/network/network-prune';
import { pendingSnapshots } from '../../../cli/services/snapshot/snapshot-service';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const ORG1 = 'peer0.org1.example.com';
const ORG2 = 'peer0.org2.example.com';
/**
 * The longest one step here may take before the test fails naming it: a CLI command (its process
 * then killed), an in-process prune, a query. Well under each test's timeout, so a hang fails at the
 * await that hung instead of at jest's timeout, which names none.
 */
const STEP_MS = 90_000;

interface Pruned {
  channel: string;
  block: number;
  snapshotHash?: string;
  peers: { peer: string; changed: boolean; blocksRemoved: number; bytesBefore?: number; bytesAfter?: number; heightAfter: number; mode?: string }[];
}

/**
 * `weft network prune` on a 2-org network of real processes (one peer per org): every refusal comes
 * before any peer stops (a block the channel has not reached, pruning every peer without --all,
 * snapshots that are not one ledger, a peer past the block without a snapshot); then both peers
 * prune themselves while serving, one after the other, from snapshots taken at the last block, no
 * process stopped; both refuse the old blocks, keep their state, commit new blocks alike, and a
 * repeat changes nothing; a prune that fails on the stop-and-prune path (--vacuum) restarts that
 * peer on its old ledger; a block ahead of the channel is waited for (each peer snapshots it as it
 * commits), and a wait that times out or is interrupted takes back the requests it made; a peer
 * that stops answering mid-run fails the run at its step, the next peer untouched.
 */
describe('weft network prune (real processes)', () => {
  let tmp: string;
  let net: string;
  const weft = (...args: string[]): Promise<CliResult> => within(`weft ${args.join(' ')}`, STEP_MS, runCli([...args, '--json'], { timeoutMs: STEP_MS + 1_000 }));
  const prune = (options: Parameters<typeof networkPrune>[1], progress: Progress): Promise<unknown> =>
    within(`networkPrune(${JSON.stringify(options)})`, STEP_MS, networkPrune(net, options, progress).then(() => undefined, (e: unknown) => e));
  const put = async (key: string, value: string) => json(await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', key, value));
  const get = async (key: string, peer: string) => (json(await weft('chaincode', 'query', net, '--name', 'kv', 'Get', key, '--peer', peer)) as { result: string }).result;
  const info = async (peer: string) => json(await weft('channel', 'info', net, '--peer', peer)) as { height: number; currentBlockHash: string; snapshotBlock?: number };
  const pid = (peer: string): string => fs.readFileSync(path.join(net, 'run', `${peer}.pid`), 'utf8').trim();
  const pids = (): string[] => [pid(ORG1), pid(ORG2)];
  const snapshotDir = (peer: string, block: number): string => path.join(net, 'nodes', peer, 'data', 'snapshots', 'completed', 'mychannel', String(block));
  /** Each peer's pending snapshot requests, asked of the peer (Fabric's listpending). */
  const pending = async (): Promise<Record<string, number[]>> => {
    const layout = openNetwork(net).forChannel(undefined);
    const of = (id: string) => within(`${id}'s pending snapshot requests`, STEP_MS, pendingSnapshots(layout, layout.peers().find((p) => p.id === id)!));
    return { [ORG1]: await of(ORG1), [ORG2]: await of(ORG2) };
  };
  /** Both peers' last block, once they agree on it. */
  const lastBlock = async (): Promise<number> => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [a, b] = [await info(ORG1), await info(ORG2)];
      if (a.height === b.height && a.currentBlockHash === b.currentBlockHash) return a.height - 1;
      if (Date.now() > deadline) throw new Error(`the peers do not agree: ${ORG1} height ${a.height}, ${ORG2} height ${b.height}`);
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
    const ahead = errorOf(await weft('network', 'prune', net, '--block', String(last + 3), '--all', '--max-ahead', '2'));
    expect(ahead).toMatchObject({ code: 'CHANNEL_NOT_AT_BLOCK', details: { field: '--block', maxAhead: 2, heights: { [ORG1]: last + 1, [ORG2]: last + 1 } } });
    expect(ahead.message).toContain('3 more blocks to go');

    const every = errorOf(await weft('network', 'prune', net, '--block', String(last)));
    expect(every).toMatchObject({ code: 'PRUNE_WOULD_DROP_EVERY_BLOCK', details: { peers: [ORG1, ORG2] } });
    // Neither refusal asked for a snapshot.
    expect(await pending()).toEqual({ [ORG1]: [], [ORG2]: [] });
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
      // Pruned, not joined from the snapshot: the words name both, and no other peer holds the block either.
      expect(errorOf(await weft('block', 'show', net, String(block), '--peer', peer))).toMatchObject({
        code: 'BLOCK_BELOW_SNAPSHOT',
        message: expect.stringContaining(`holds no block of mychannel below ${block + 1} (ledger from the snapshot at block ${block}, joined from it or pruned to it)`),
        details: { suggestions: [expect.stringContaining('one that joined from the genesis block and was not pruned')] },
      });
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
    const err = await prune({ block, all: true, vacuum: true, timeoutMs: 60_000 }, progress);
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

  it('a block ahead: both peers take their snapshots as it commits, then both prune at exactly it', async () => {
    const last = await lastBlock();
    const block = last + 3;
    const run = weft('network', 'prune', net, '--block', String(block), '--all');
    // Transactions come while it waits: one block each (the CLI waits for each commit).
    await until(`both peers asked for a snapshot at block ${block}`, async () => { const p = await pending(); return p[ORG1]!.includes(block) && p[ORG2]!.includes(block); });
    for (const v of ['a', 'b', 'c']) await put('ahead', v);
    const done = await run;
    const result = json(done) as unknown as Pruned;
    expect(result).toMatchObject({ block, snapshotHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(result.peers.map((p) => [p.peer, p.changed, p.mode])).toEqual([[ORG1, true, 'online'], [ORG2, true, 'online']]);
    expect(done.stderr).toContain(`snapshot requests for block ${block} of mychannel submitted to ${ORG1}, ${ORG2}`);
    expect(done.stderr).toContain(`channel mychannel at block ${last}, 3 to go`);
    for (const peer of [ORG1, ORG2]) {
      expect(await info(peer)).toMatchObject({ snapshotBlock: block });
      expect(await get('ahead', peer)).toBe('c');
    }
    expect(await pending()).toEqual({ [ORG1]: [], [ORG2]: [] });
  }, 300_000);

  it('a wait that times out cancels the requests it made and keeps one made before it', async () => {
    const block = (await lastBlock()) + 50;
    json(await weft('snapshot', 'submit', net, '--peer', ORG2, '--block', String(block)));
    const err = errorOf(await weft('network', 'prune', net, '--block', String(block), '--all', '--timeout', '2'));
    expect(err).toMatchObject({ code: 'PRUNE_WAIT_TIMEOUT', details: { field: '--timeout', block, cancelled: [ORG1], pending: [ORG2] } });
    expect(err.message).toContain('50 to go');
    expect(err.message).toContain(`snapshot requests cancelled: ${ORG1}; left pending: ${ORG2}`);
    expect(await pending()).toEqual({ [ORG1]: [], [ORG2]: [block] });
    json(await weft('snapshot', 'cancel', net, '--peer', ORG2, '--block', String(block)));
  }, 120_000);

  it('Ctrl-C while it waits cancels the requests it made', async () => {
    const block = (await lastBlock()) + 50;
    const child = spawn(process.execPath, ['--no-node-snapshot', path.join(REPO, 'bin', 'dev.js'), 'network', 'prune', net, '--block', String(block), '--all', '--json'], {
      cwd: REPO,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let interrupted = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      // Once: a second Ctrl-C ends the process as usual.
      if (!interrupted && stderr.includes('to go')) interrupted = child.kill('SIGINT');
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const code = await within('the interrupted weft network prune to exit', 60_000, exited).finally(() => child.kill('SIGKILL'));
    expect({ code, stderr }).toEqual({ code: 1, stderr: expect.stringContaining('to go') });
    const err = (JSON.parse(stdout) as { error: { code: string; details: Record<string, unknown> } }).error;
    expect(err).toMatchObject({ code: 'PRUNE_INTERRUPTED', details: { block, cancelled: [ORG1, ORG2], pending: [] } });
    expect(await pending()).toEqual({ [ORG1]: [], [ORG2]: [] });
  }, 120_000);

  it('a peer that stops answering mid-run fails the run at its step; the next peer is not touched', async () => {
    await put('color', 'teal');
    const block = await lastBlock();
    const org2Before = await info(ORG2);
    const org2Pid = pid(ORG2);
    const lines: string[] = [];
    const progress = (m: string): void => {
      lines.push(m);
      if (m === `[1/2] ${ORG1}: pruning while it serves`) process.kill(Number(pid(ORG1)), 'SIGKILL');
    };
    const err = await prune({ block, all: true, vacuum: false, timeoutMs: 60_000 }, progress);
    expect(err).toMatchObject({ code: 'NETWORK_PRUNE_FAILED', details: { peer: ORG1, step: 'prune online', causeCode: 'PEER_UNREACHABLE' } });
    expect((err as Error).message).toContain(`${ORG1}, step prune online`);
    expect(lines.some((l) => l.startsWith('[2/2]'))).toBe(false);
    expect(pid(ORG2)).toBe(org2Pid);
    expect((await info(ORG2)).snapshotBlock).toBe(org2Before.snapshotBlock);
  }, 120_000);

  it('stopped for its prune (--vacuum), a peer that cannot start again fails the run at step start, pruned; the next peer is not touched', async () => {
    json(await weft('network', 'up', net, '--node', ORG1));
    await put('color', 'amber');
    const block = await lastBlock();
    const org2Before = await info(ORG2);
    const org2Pid = pid(ORG2);
    const peer1 = openNetwork(net).forChannel(undefined).peers().find((p) => p.id === ORG1)!;
    // Its port taken while it is down: the restart cannot listen. Whatever connects meanwhile (Org2's
    // peer dials it every membership interval) is dropped at once: a TLS client waits for a handshake
    // a plain server never answers and keeps the connection open, and close() waits for every
    // connection to end, so one kept would hold close() (and the test) forever.
    const squatter = net_.createServer((socket) => socket.destroy());
    const port = Number(peer1.address.split(':').pop());
    const squatting = new Promise<void>((resolve, reject) => {
      squatter.once('listening', resolve);
      squatter.once('error', reject);
    });
    squatting.catch(() => undefined); // awaited below; a failed listen must not be an unhandled rejection first
    const lines: string[] = [];
    const progress = (m: string): void => {
      lines.push(m);
      // listen() binds before it returns: the port is taken before the prune goes on to start the peer.
      if (m.startsWith(`${ORG1}: pruned through block ${block}`)) squatter.listen(port);
    };
    try {
      const err = await prune({ block, all: true, vacuum: true, timeoutMs: 60_000, graceMs: 5_000 }, progress);
      await within(`the squatter listening on ${ORG1}'s port ${port}`, 5_000, squatting);
      expect(err).toMatchObject({ code: 'NETWORK_PRUNE_FAILED', details: { peer: ORG1, step: 'start' } });
      expect((err as { details: { suggestions: string[] } }).details.suggestions[0]).toContain(`weft network up ${net} --node ${ORG1}`);
    } finally {
      await within(`the squatter on ${ORG1}'s port ${port} to close`, 10_000, new Promise((r) => squatter.close(r)));
    }
    expect(lines.some((l) => l.startsWith('[2/2]'))).toBe(false);
    expect(pid(ORG2)).toBe(org2Pid);
    expect((await info(ORG2)).snapshotBlock).toBe(org2Before.snapshotBlock);
    // As the error says: it is pruned; started by hand, it serves from the snapshot.
    json(await weft('network', 'up', net, '--node', ORG1));
    expect(await info(ORG1)).toMatchObject({ snapshotBlock: block });
  }, 180_000);
});

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await within(what, Math.max(deadline - Date.now(), 1), check()))) {
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${timeoutMs / 1000}s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `work`, or a failure naming `what` once `ms` have passed without it settling. */
async function within<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`waited ${ms / 1000}s for ${what}: not done`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
