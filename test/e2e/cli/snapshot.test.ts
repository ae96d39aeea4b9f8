import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findFreePorts } from '../../../cli/services/free-ports';
import { type CliResult, REPO, errorOf, json, runCli } from './run-cli';

const KV = path.join(REPO, 'test', 'integration', 'peer', 'fixtures', 'kv-events');
const NEW_PEER = 'peer1.org1.example.com';

interface PeerSnapshots {
  peer: string;
  pending: number[];
  completed?: { block: number; dir: string; snapshotHash: string }[];
}

/**
 * Ledger snapshots end to end on one 2-org network of real processes (two peers per org): peers of
 * both orgs asked for a snapshot at a future block write it when the block commits, with one
 * `snapshot_hash`; `verify` checks the files and compares the orgs'; a peer whose ledger of the
 * channel is gone (a new peer, as far as the channel is concerned) joins from the other org's
 * snapshot, answers from the imported state, endorses and commits new blocks that hash as the
 * others', and refuses to show a block below the snapshot. A tampered snapshot is refused before
 * the peer is asked anything.
 */
describe('weft snapshot and channel join --snapshot (real processes)', () => {
  let tmp: string;
  let net: string;
  const weft = (...args: string[]): Promise<CliResult> => runCli([...args, '--json']);
  const put = async (key: string, value: string, ...more: string[]) => json(await weft('chaincode', 'invoke', net, '--name', 'kv', 'Put', key, value, ...more));
  const get = async (key: string, peer: string) => (json(await weft('chaincode', 'query', net, '--name', 'kv', 'Get', key, '--peer', peer)) as { result: string }).result;
  const info = async (peer: string) => json(await weft('channel', 'info', net, '--peer', peer)) as { height: number; currentBlockHash: string; snapshotBlock?: number };
  const listed = async () => (json(await weft('snapshot', 'list', net)) as { peers: PeerSnapshots[] }).peers;
  let target: number;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-e2e-snapshot-'));
    net = path.join(tmp, 'net');
    const base = await findFreePorts(12);
    json(await weft('network', 'init', net, '--orgs', '2', '--peers-per-org', '2', '--base-port', String(base), '--batch-timeout', '250ms'));
    json(await weft('network', 'up', net));
    json(await weft('chaincode', 'deploy', net, KV, '--name', 'kv'));
    await put('color', 'blue');
    await put('size', '7');
  }, 180_000);
  afterAll(async () => {
    await runCli(['network', 'down', net, '--grace', '5']);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a snapshot asked for a future block is written on every peer when it commits, with one snapshot_hash across orgs', async () => {
    target = (await info('peer0.org1.example.com')).height + 1;
    const submitted = json(await weft('snapshot', 'submit', net, '--block', String(target))) as { requests: { peer: string; block: number }[] };
    expect(submitted.requests.map((r) => r.peer).sort()).toEqual(['peer0.org1.example.com', 'peer0.org2.example.com', 'peer1.org1.example.com', 'peer1.org2.example.com']);
    // The same block twice is Fabric's duplicate, refused in its words.
    expect(errorOf(await weft('snapshot', 'submit', net, '--block', String(target), '--peer', 'peer0.org1.example.com'))).toMatchObject({
      code: 'SNAPSHOT_REQUEST_REFUSED',
      message: expect.stringContaining(`duplicate snapshot request for block number ${target}`),
    });
    // A request can be cancelled while pending; cancelled twice, the peer says there is none.
    const far = String(target + 1000);
    json(await weft('snapshot', 'submit', net, '--block', far, '--peer', 'peer0.org2.example.com'));
    json(await weft('snapshot', 'cancel', net, '--block', far, '--peer', 'peer0.org2.example.com'));
    expect(errorOf(await weft('snapshot', 'cancel', net, '--block', far, '--peer', 'peer0.org2.example.com'))).toMatchObject({
      code: 'SNAPSHOT_REQUEST_REFUSED',
      message: expect.stringContaining(`no snapshot request exists for block number ${far}`),
    });
    expect((await listed()).every((p) => p.pending.length === 1 && p.pending[0] === target && p.completed?.length === 0)).toBe(true);

    await put('color', 'green'); // block target - 1 … target: one block per invoke at this load
    while ((await info('peer0.org2.example.com')).height <= target) await put('filler', String(Date.now()));
    await put('after', 'snapshot'); // not in the snapshot

    // --wait on a request already done waits for nothing more: it finds the pending list empty and the directory there.
    const waited = json(await weft('snapshot', 'submit', net, '--block', '0', '--peer', 'peer0.org2.example.com', '--wait')) as { snapshots: { block: number; snapshotHash: string }[] };
    expect(waited.snapshots[0]!.block).toBeGreaterThan(target);

    let peers = await listed();
    for (let i = 0; i < 50 && peers.some((p) => !p.completed?.some((c) => c.block === target)); i++) {
      await new Promise((r) => setTimeout(r, 200));
      peers = await listed();
    }
    const atTarget = peers.map((p) => p.completed!.find((c) => c.block === target)!);
    expect(peers.every((p) => !p.pending.includes(target))).toBe(true);
    expect(atTarget.every((c) => c.dir.endsWith(path.join('snapshots', 'completed', 'mychannel', String(target))))).toBe(true);
    expect(new Set(atTarget.map((c) => c.snapshotHash)).size).toBe(1);
    expect(atTarget[0]!.snapshotHash).toMatch(/^[0-9a-f]{64}$/);
  }, 120_000);

  const snapshotOf = (peer: string): string => path.join(net, 'nodes', peer, 'data', 'snapshots', 'completed', 'mychannel', String(target));

  it('verify checks the files and that both orgs wrote the same snapshot; a tampered copy fails naming the file', async () => {
    const ok = json(await weft('snapshot', 'verify', snapshotOf('peer0.org1.example.com'), '--against', snapshotOf('peer0.org2.example.com'))) as { agree: boolean; snapshots: { block: number }[] };
    expect(ok).toMatchObject({ agree: true, snapshots: [{ block: target }, { block: target }] });
    const tampered = path.join(tmp, 'tampered');
    fs.cpSync(snapshotOf('peer0.org2.example.com'), tampered, { recursive: true });
    const state = path.join(tampered, 'public_state.data');
    fs.chmodSync(state, 0o644);
    fs.appendFileSync(state, Buffer.from([0]));
    expect(errorOf(await weft('snapshot', 'verify', tampered))).toMatchObject({ code: 'LEDGER_BAD_SNAPSHOT', message: expect.stringContaining('public_state.data') });
  }, 60_000);

  it('a peer without the channel joins from the other org\'s snapshot, serves its state, and commits blocks that hash as the others\'', async () => {
    // The channel's ledger on peer1.org1 is removed; started again without joining, it is a new peer for the channel.
    json(await weft('network', 'down', net, '--node', NEW_PEER));
    json(await weft('peer', 'unjoin', '--config', path.join(net, 'nodes', NEW_PEER, 'peer.yaml'), '--channel', 'mychannel'));
    json(await weft('network', 'up', net, '--node', NEW_PEER, '--no-join'));
    const channelsOf = async () => (json(await weft('channel', 'list', net)) as { nodes: { id: string; channels: string[] }[] }).nodes.find((n) => n.id === NEW_PEER)!.channels;
    expect(await channelsOf()).toEqual([]);

    // Refused here, before the peer is asked: it still has no channel.
    const tampered = path.join(tmp, 'tampered');
    expect(errorOf(await weft('channel', 'join', net, '--snapshot', tampered, '--peer', NEW_PEER))).toMatchObject({ code: 'LEDGER_BAD_SNAPSHOT' });
    expect(await channelsOf()).toEqual([]);

    const joined = json(await weft('channel', 'join', net, '--snapshot', snapshotOf('peer0.org2.example.com'), '--peer', NEW_PEER)) as { snapshotBlock: number; nodes: { id: string; height: number }[] };
    expect(joined).toMatchObject({ snapshotBlock: target, nodes: [{ id: NEW_PEER, height: expect.any(Number) }] });
    expect(joined.nodes[0]!.height).toBeGreaterThanOrEqual(target + 1);

    // The imported state, then what came after the snapshot, pulled from the orderer.
    expect(await get('color', NEW_PEER)).toBe('green');
    expect(await get('after', NEW_PEER)).toBe('snapshot');
    await put('joined', 'yes', '--peer', NEW_PEER);
    expect(await get('joined', NEW_PEER)).toBe('yes');

    const reference = await info('peer0.org1.example.com');
    let mine = await info(NEW_PEER);
    for (let i = 0; i < 50 && mine.height < reference.height; i++) {
      await new Promise((r) => setTimeout(r, 200));
      mine = await info(NEW_PEER);
    }
    expect(mine).toMatchObject({ height: reference.height, currentBlockHash: reference.currentBlockHash, snapshotBlock: target });
    const newest = (peer: string) => runCli(['block', 'show', net, String(reference.height - 1), '--peer', peer, '--json']).then(json);
    expect(await newest(NEW_PEER)).toEqual(await newest('peer0.org1.example.com'));

    const status = json(await weft('network', 'status', net)) as { peers: { id: string; snapshotBlock?: number }[] };
    expect(status.peers.find((p) => p.id === NEW_PEER)).toMatchObject({ snapshotBlock: target });
    expect(status.peers.find((p) => p.id === 'peer0.org1.example.com')!.snapshotBlock).toBeUndefined();

    // Below the snapshot it holds nothing, and says so.
    expect(errorOf(await weft('block', 'show', net, String(target), '--peer', NEW_PEER))).toMatchObject({
      code: 'BLOCK_BELOW_SNAPSHOT',
      message: expect.stringContaining(`holds no block of mychannel below ${target + 1} (ledger from the snapshot at block ${target}, joined from it or pruned to it)`),
    });
    expect((json(await weft('block', 'show', net, 'oldest', '--peer', NEW_PEER)) as { number: number }).number).toBe(target + 1);

    // Restarted with joining on, it is not joined again from the genesis block: it lists the channel, still from the snapshot.
    json(await weft('network', 'down', net, '--node', NEW_PEER));
    json(await weft('network', 'up', net, '--node', NEW_PEER));
    expect(await info(NEW_PEER)).toMatchObject({ snapshotBlock: target });
    expect(await get('joined', NEW_PEER)).toBe('yes');
  }, 120_000);
});
