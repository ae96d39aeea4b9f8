import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { loadClientIdentity, resolveUser } from '../../../cli/services/client/client-identity';
import { GatewaySession } from '../../../cli/services/client/gateway-session';
import { openNetwork } from '../../../cli/services/network/network-access';
import { validationCodeName } from '../../../core/protocol/validation-codes';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const PEER1 = 'peer1.org1.example.com';

/** A `weft` command left running: its output so far, a wait for a line, its end. */
interface Running {
  readonly child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs?: number): Promise<void>;
  readonly done: Promise<CliResult>;
}

function startCli(args: readonly string[]): Running {
  const child = spawn(process.execPath, ['--no-node-snapshot', path.join(REPO, 'bin', 'dev.js'), ...args], { cwd: REPO, env: { ...process.env, FORCE_COLOR: '0' } });
  const out = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  const onData = (k: 'stdout' | 'stderr') => (d: Buffer): void => {
    out[k] += d.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout.on('data', onData('stdout'));
  child.stderr.on('data', onData('stderr'));
  const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code: code ?? -1, stdout: out.stdout, stderr: out.stderr, message: out.stderr.replace(/\s+/g, ' ') });
    }),
  );
  const waitFor = async (k: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(out[k])) {
      if (Date.now() > deadline) throw new Error(`no ${pattern} on ${k} within ${timeoutMs} ms:\n${out.stdout}\n${out.stderr}`);
      await Promise.race([new Promise<void>((r) => waiters.push(r)), new Promise((r) => setTimeout(r, 500)), done]);
    }
  };
  return { child, stdout: () => out.stdout, stderr: () => out.stderr, waitFor, done };
}

interface EventLine {
  blockNumber: number;
  transactionId: string;
  chaincode: string;
  eventName: string;
  payload: string;
  payloadEncoding: string;
}
interface BlockLine {
  number: number;
  hash?: string;
  previousHash?: string;
  filtered?: boolean;
  transactions: { txId: string; type: string; validationCode: string }[];
}
const lines = <T>(stdout: string): T[] =>
  stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

/**
 * `weft chaincode events` and `weft block events` on one network of real processes (one org, two
 * peers, the kv-events chaincode): events printed as they commit, `--count`, JSON Lines, a
 * checkpoint file resumed by a second run, a peer restarted under a running watch, filtered blocks
 * with a valid and an MVCC-conflicting transaction, Ctrl-C. Last, on the same network, peers kept
 * on some channels only (network.yaml's channel `peers`): channel create --peer, peer unjoin, up.
 */
describe('weft chaincode events / block events (real processes)', () => {
  let tmp: string;
  let net: string;

  const put = async (key: string, value: string): Promise<{ transactionId: string; blockNumber: string }> =>
    json(await runCli(['chaincode', 'invoke', net, '--name', 'kv', 'Put', key, value, '--json'])) as { transactionId: string; blockNumber: string };
  const height = async (): Promise<number> => (json(await runCli(['channel', 'info', net, '--json'])) as { height: number }).height;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-events-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(8);
    json(await runCli(['network', 'init', net, '--orgs', '1', '--peers-per-org', '2', '--base-port', String(base), '--batch-timeout', '250ms', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--json']));
  }, 120_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('prints the events of three invokes as they commit, in order with their payloads; --count stops; --json prints JSON Lines', async () => {
    const watch = startCli(['chaincode', 'events', net, '--name', 'kv', '--count', '3']);
    await watch.waitFor('stderr', /listening for kv events/);
    const txs = [await put('a', '1'), await put('b', 'two words'), await put('c', '{"n":3}')];
    const r = await watch.done;
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      `block ${txs[0]!.blockNumber} tx ${txs[0]!.transactionId} Put utf8 {"key":"a","value":"1"}`,
      `block ${txs[1]!.blockNumber} tx ${txs[1]!.transactionId} Put utf8 {"key":"b","value":"two words"}`,
      `block ${txs[2]!.blockNumber} tx ${txs[2]!.transactionId} Put utf8 {"key":"c","value":"{\\"n\\":3}"}`,
    ]);
    expect(r.stderr).toContain('stopped: 3 events (--count 3 reached)');

    const again = await runCli(['chaincode', 'events', net, '--name', 'kv', '--start-block', txs[0]!.blockNumber, '--count', '3', '--json']);
    expect(again.code).toBe(0);
    expect(lines<EventLine>(again.stdout)).toEqual(
      txs.map((t, i) => ({
        blockNumber: Number(t.blockNumber),
        transactionId: t.transactionId,
        chaincode: 'kv',
        eventName: 'Put',
        payload: JSON.stringify({ key: ['a', 'b', 'c'][i], value: ['1', 'two words', '{"n":3}'][i] }),
        payloadEncoding: 'utf8',
      })),
    );
  }, 60_000);

  it('with --checkpoint, a second run prints exactly the events after the first run\'s last; another stream\'s checkpoint is refused, unchanged', async () => {
    const checkpoint = path.join(tmp, 'kv.checkpoint');
    const first = [await put('e1', '1'), await put('e2', '2')];
    const run1 = await runCli(['chaincode', 'events', net, '--name', 'kv', '--start-block', first[0]!.blockNumber, '--checkpoint', checkpoint, '--count', '2', '--json']);
    expect(run1.code).toBe(0);
    expect(lines<EventLine>(run1.stdout).map((e) => e.transactionId)).toEqual(first.map((t) => t.transactionId));
    const next = [await put('e3', '3'), await put('e4', '4')];
    // The start block is ignored: the checkpoint wins, as in the Gateway client.
    const run2 = await runCli(['chaincode', 'events', net, '--name', 'kv', '--start-block', '0', '--checkpoint', checkpoint, '--timeout', '3s', '--json']);
    expect(run2.code).toBe(0);
    expect(lines<EventLine>(run2.stdout).map((e) => e.transactionId)).toEqual(next.map((t) => t.transactionId));
    expect(run2.stderr).toContain('stopped: 2 events (--timeout 3s elapsed)');
    expect(run2.stderr).toContain('--start-block 0 is ignored');

    const saved = fs.readFileSync(checkpoint, 'utf8');
    const refused = await runCli(['chaincode', 'events', net, '--name', 'other', '--checkpoint', checkpoint, '--count', '1', '--json']);
    // A JSON Lines stream's failure is one line too.
    expect(refused.stdout.trimEnd().split('\n')).toHaveLength(1);
    const other = errorOf(refused);
    expect(other).toMatchObject({ code: 'CHECKPOINT_MISMATCH', details: { field: '--checkpoint', checkpoint: { stream: 'chaincode', chaincode: 'kv' } } });
    expect(errorOf(await runCli(['block', 'events', net, '--checkpoint', checkpoint, '--count', '1', '--json']))).toMatchObject({ code: 'CHECKPOINT_MISMATCH' });
    expect(fs.readFileSync(checkpoint, 'utf8')).toBe(saved);
  }, 60_000);

  it('keeps watching across a restart of its peer: the events committed while it was down are printed once each', async () => {
    const watch = startCli(['chaincode', 'events', net, '--name', 'kv', '--peer', PEER1, '--count', '3', '--json']);
    const blocks = startCli(['block', 'events', net, '--peer', PEER1, '--filtered', '--count', '3', '--json']);
    await watch.waitFor('stderr', /listening for kv events/);
    await blocks.waitFor('stderr', /listening for filtered blocks/);
    const before = await put('r1', '1');
    await watch.waitFor('stdout', new RegExp(before.transactionId));
    json(await runCli(['network', 'down', net, '--node', PEER1, '--json']));
    // Committed on the orderer and peer0 while peer1 is down: peer1 pulls them when it is back.
    const during = [await put('r2', '2'), await put('r3', '3')];
    json(await runCli(['network', 'up', net, '--node', PEER1, '--json']));
    const r = await watch.done;
    expect(r.code).toBe(0);
    expect(lines<EventLine>(r.stdout).map((e) => e.transactionId)).toEqual([before, ...during].map((t) => t.transactionId));
    expect(r.stderr).toMatch(new RegExp(`lost ${PEER1.replace(/\./g, '\\.')} .*reconnecting in`));
    expect(r.stderr).toContain(`reconnected to ${PEER1}`);
    expect(r.stderr).toMatch(/stopped: 3 events \(--count 3 reached, \d+ reconnects?\)/);
    // The block stream too: the three blocks, each once, in order, though peer1 came back behind them.
    const b = await blocks.done;
    expect(b.code).toBe(0);
    expect(lines<BlockLine>(b.stdout).map((x) => x.transactions.map((t) => t.txId))).toEqual([before, ...during].map((t) => [t.transactionId]));
    expect(b.stderr).toContain(`reconnected to ${PEER1}`);
  }, 60_000);

  it('block events --filtered shows a valid and an MVCC-conflicting transaction with their codes; full blocks chain by hash; Ctrl-C stops cleanly', async () => {
    const layout = openNetwork(net);
    const from = await height();
    const watch = startCli(['block', 'events', net, '--filtered', '--json']);
    await watch.waitFor('stderr', /listening for filtered blocks/);
    // Both endorsed against the same version of the counter before either is submitted: whichever
    // commits second read a version that is gone, whatever block it lands in.
    const session = new GatewaySession(layout, loadClientIdentity(resolveUser(layout, undefined, undefined)));
    let statuses: { transactionId: string; code: number }[];
    try {
      const contract = session.gateway.getNetwork(layout.spec.channel.name).getContract('kv');
      const endorsed = await Promise.all([0, 1].map(() => contract.newProposal('Increment', { arguments: ['counter'] }).endorse()));
      const submitted = await Promise.all(endorsed.map((t) => t.submit()));
      statuses = await Promise.all(submitted.map((s) => s.getStatus()));
    } finally {
      session.close();
    }
    expect(statuses.map((s) => validationCodeName(s.code)).sort()).toEqual(['MVCC_READ_CONFLICT', 'VALID']);
    const ids = statuses.map((s) => s.transactionId);
    await watch.waitFor('stdout', new RegExp(ids.join('[\\s\\S]*')), 20_000);
    watch.child.kill('SIGINT');
    const r = await watch.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/stopped: \d+ blocks? \(interrupted\)/);
    const seen = lines<BlockLine>(r.stdout).flatMap((b) => b.transactions.map((t) => ({ ...t, block: b.number, filtered: b.filtered })));
    for (const s of statuses) expect(seen).toContainEqual(expect.objectContaining({ txId: s.transactionId, type: 'ENDORSER_TRANSACTION', validationCode: validationCodeName(s.code), filtered: true }));

    // Full blocks, from where the watch started: numbered in order, each naming the previous one's hash.
    const full = await runCli(['block', 'events', net, '--start-block', String(from - 1), '--count', '2', '--json']);
    const [a, b] = lines<BlockLine>(full.stdout);
    expect([a!.number, b!.number]).toEqual([from - 1, from]);
    expect(b!.previousHash).toBe(a!.hash);
  }, 60_000);

  it('says so when the start block is beyond the height, and waits for it (Fabric\'s Deliver would answer NOT_FOUND)', async () => {
    const h = await height();
    const beyond = `block ${h + 5} is beyond peer0.org1.example.com's height on mychannel (${h} blocks, 0…${h - 1}): waiting for it to commit`;
    const [blocks, events] = await Promise.all([
      runCli(['block', 'events', net, '--start-block', String(h + 5), '--timeout', '2s']),
      runCli(['chaincode', 'events', net, '--name', 'kv', '--start-block', String(h + 5), '--timeout', '2s']),
    ]);
    expect(blocks.code).toBe(0);
    expect(blocks.message).toContain(beyond);
    expect(blocks.message).toContain('stopped: 0 blocks (--timeout 2s elapsed)');
    expect(events.code).toBe(0);
    expect(events.message).toContain(beyond);
    expect(events.message).toContain('stopped: 0 events (--timeout 2s elapsed)');
  }, 30_000);

  // Last: it takes peer1 off mychannel, which the tests above watch through.
  it("keeps each peer on the channels network.yaml puts it on: peer1 on a second channel only, across down and up; the CLI's gateway is always a peer of the channel", async () => {
    const PEER0 = 'peer0.org1.example.com';
    const created = json(await runCli(['channel', 'create', net, 'busy', '--peer', PEER1, '--json']));
    expect(created.nodes).toEqual(['orderer.example.com', PEER1]);
    json(await runCli(['chaincode', 'deploy', net, KV, '--name', 'kv', '--channel', 'busy', '--json']));
    // Fabric's `peer node unjoin`, recorded: network up must not join peer1 to mychannel again.
    json(await runCli(['network', 'down', net, '--node', PEER1, '--json']));
    const unjoined = json(await runCli(['peer', 'unjoin', '--config', path.join(net, 'nodes', PEER1, 'peer.yaml'), '--channel', 'mychannel', '--json']));
    expect(unjoined).toMatchObject({ channels: ['busy'], networkFileUpdated: true });
    json(await runCli(['network', 'down', net, '--grace', '5', '--json']));
    json(await runCli(['network', 'up', net, '--json']));
    const listed = json(await runCli(['channel', 'list', net, '--json'])) as { nodes: { id: string; channels: string[]; listed?: string[] }[] };
    expect(listed.nodes.filter((n) => n.id.startsWith('peer'))).toEqual([
      { id: PEER0, kind: 'peer', channels: ['mychannel'], listed: ['mychannel'] },
      { id: PEER1, kind: 'peer', channels: ['busy'], listed: ['busy'] },
    ]);
    const status = json(await runCli(['network', 'status', net, '--channel', 'busy', '--json'])) as { peers: { id: string; height?: number; channels: string[] }[] };
    expect(status.peers.map((p) => [p.id, p.channels, p.height !== undefined])).toEqual([
      [PEER0, ['mychannel'], false],
      [PEER1, ['busy'], true],
    ]);
    // Each channel's invoke and query go through the org's peer on it: peer0 is Org1's first peer, but not on busy.
    json(await runCli(['chaincode', 'invoke', net, '--name', 'kv', 'Put', 'where', 'mychannel', '--json']));
    json(await runCli(['chaincode', 'invoke', net, '--channel', 'busy', '--name', 'kv', 'Put', 'where', 'busy', '--json']));
    expect(json(await runCli(['chaincode', 'query', net, '--name', 'kv', 'Get', 'where', '--json'])).result).toBe('mychannel');
    expect(json(await runCli(['chaincode', 'query', net, '--channel', 'busy', '--name', 'kv', 'Get', 'where', '--json'])).result).toBe('busy');
    const refused = errorOf(await runCli(['chaincode', 'query', net, '--channel', 'busy', '--peer', PEER0, '--name', 'kv', 'Get', 'where', '--json']));
    expect(refused).toMatchObject({ code: 'UNKNOWN_PEER', message: expect.stringContaining(`${PEER0} is not on channel busy`) });
  }, 180_000);
});
