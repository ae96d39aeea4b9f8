import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { findFreePorts } from '../../cli/services/free-ports';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../cli/services/network/network-init';

/**
 * A network directory `weft network init` made on ports nothing listens on, never started: what a
 * command meets when the network is down (a deploy that got as far as installing fails
 * PEER_UNREACHABLE). Made before the suite's tests, removed after them; `dir` is set once made.
 */
export function stoppedNetwork(prefix: string): { readonly dir: string } {
  let tmp = '';
  const network = { dir: '' };
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    network.dir = path.join(tmp, 'net');
    await initNetwork(network.dir, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(8) });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
  return network;
}
