import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig, type PeerConfig, snapshotsRootDir } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { CHANNEL, eventually, freePort, generateMaterial, genesisBlock, peerClient, signerOf, tmpDir, writePeerConfig } from '../../integration/peer/network-fixture';
import { signedSnapshotRequest, snapshotCall } from '../../integration/peer/snapshot-support';
import { errorOf, json, runCli } from './run-cli';

/**
 * `weft peer prune` through the real CLI on a stopped peer's directory: its own snapshot found by
 * `--block`, the `--json` result, a repeat that changes nothing, typed refusals (no such snapshot,
 * the peer running), and a peer that starts again on a ledger that holds no block at all.
 */
describe('weft peer prune', () => {
  let dir: string;
  let configFile: string;
  let config: PeerConfig;

  beforeAll(async () => {
    dir = tmpDir('weft-cli-prune-');
    const m = await generateMaterial(dir);
    const [port, opsPort] = [await freePort(), await freePort()];
    configFile = writePeerConfig(m, 0, [port, port + 1], opsPort).configFile;
    config = parsePeerConfig(loadNodeConfig(configFile));
    const peer = new PeerNode(config);
    await peer.start();
    const client = peerClient(m.orgs[0], port);
    try {
      peer.joinChannel(genesisBlock(m, port + 1));
      // Block 0: at once, of the last block (the genesis block).
      await snapshotCall(client, 'Generate', signedSnapshotRequest(signerOf(m.orgs[0], 'Admin'), CHANNEL, 0));
      await eventually(() => expect(fs.existsSync(path.join(snapshotsRootDir(config), 'completed', CHANNEL, '0'))).toBe(true), 30_000);
    } finally {
      client.close();
      await peer.stop();
    }
  }, 120_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('prunes to its own snapshot; a repeat changes nothing; the peer starts on the pruned ledger', async () => {
    const prune = (...more: string[]) => runCli(['peer', 'prune', '--config', configFile, '--channel', CHANNEL, '--json', ...more]);
    expect(errorOf(await prune('--block', '5'))).toMatchObject({ code: 'PEER_SNAPSHOT_NOT_FOUND', details: expect.objectContaining({ field: 'block', available: [0] }) });
    expect((await prune()).code).not.toBe(0);

    const peer = new PeerNode(config);
    await peer.start();
    try {
      expect(errorOf(await prune('--block', '0'))).toMatchObject({ code: 'NODE_DATA_DIR_IN_USE' });
    } finally {
      await peer.stop();
    }

    // A paused channel is pruned like any other: its ledger is on disk, and its status stays.
    expect((await runCli(['peer', 'pause', '--config', configFile, '--channel', CHANNEL])).code).toBe(0);
    const done = json(await prune('--block', '0'));
    expect(done).toEqual({ channel: CHANNEL, prunedThrough: 0, blocksRemoved: 1, bytesBefore: expect.any(Number), bytesAfter: expect.any(Number), changed: true });
    expect(json(await prune('--block', '0', '--no-vacuum'))).toMatchObject({ channel: CHANNEL, prunedThrough: 0, blocksRemoved: 0, changed: false });
    const text = await runCli(['peer', 'prune', '--config', configFile, '--channel', CHANNEL, '--snapshot', path.join(snapshotsRootDir(config), 'completed', CHANNEL, '0')]);
    expect(text.stdout).toContain(`${CHANNEL}: holds no block at or below 0 already, nothing changed`);

    expect(json(await runCli(['peer', 'resume', '--config', configFile, '--channel', CHANNEL, '--json']))).toMatchObject({ changed: true });
    // The genesis block is gone: the peer runs the config the ledger keeps in state.
    const again = new PeerNode(config);
    await again.start();
    try {
      expect(again.channelIds()).toEqual([CHANNEL]);
      expect(again.height(CHANNEL)).toBe(1);
    } finally {
      await again.stop();
    }
  }, 120_000);
});
