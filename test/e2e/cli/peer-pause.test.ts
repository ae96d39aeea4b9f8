import * as fs from 'node:fs';
import { loadNodeConfig } from '../../../core/node/config';
import { parsePeerConfig } from '../../../core/peer/peer-config';
import { PeerNode } from '../../../core/peer/peer-node';
import { CHANNEL, freePort, generateMaterial, genesisBlock, tmpDir, writePeerConfig } from '../../integration/peer/network-fixture';
import { errorOf, json, runCli } from './run-cli';

/** `weft peer pause` / `resume` through the real CLI on a stopped peer's directory, `--json` results and typed refusals. */
describe('weft peer pause / resume', () => {
  let dir: string;
  let configFile: string;

  beforeAll(async () => {
    dir = tmpDir('weft-cli-pause-');
    const m = await generateMaterial(dir);
    const [port, opsPort] = [await freePort(), await freePort()];
    configFile = writePeerConfig(m, 0, [port, port + 1], opsPort).configFile;
    const peer = new PeerNode(parsePeerConfig(loadNodeConfig(configFile)));
    await peer.start();
    peer.joinChannel(genesisBlock(m, port + 1));
    peer.joinChannel(genesisBlock(m, port + 1, '100ms', 'other'));
    await peer.stop();
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pauses and resumes a channel; a repeat changes nothing and says so', async () => {
    const pause = ['peer', 'pause', '--config', configFile, '--channel', 'other', '--json'];
    expect(json(await runCli(pause))).toEqual({ channelId: 'other', changed: true, active: [CHANNEL], paused: ['other'] });
    expect(json(await runCli(pause))).toEqual({ channelId: 'other', changed: false, active: [CHANNEL], paused: ['other'] });
    const resume = ['peer', 'resume', '--config', configFile, '--channel', 'other'];
    const resumed = await runCli(resume);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toContain(`resumed channel other; active: ${CHANNEL}, other; paused: none`);
    const again = await runCli(resume);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`channel other was not paused, nothing changed; active: ${CHANNEL}, other; paused: none`);
    expect(errorOf(await runCli(['peer', 'pause', '--config', configFile, '--channel', 'nope', '--json']))).toMatchObject({ code: 'PEER_UNKNOWN_CHANNEL' });
  }, 120_000);
});
