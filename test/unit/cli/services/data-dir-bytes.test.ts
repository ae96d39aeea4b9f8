import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { mebibytes } from '../../../../cli/services/network/data-dir-bytes';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { networkStatus } from '../../../../cli/services/network/network-control';
import { stoppedNetwork } from '../../../support/stopped-network';

/**
 * Before and after `weft network prune`, an operator looks at each peer's disk. Neither
 * `weft network status` nor the metrics said how much a node's ledgers take: it took `du` on
 * paths the operator had to know. Status now gives each node run from here its data directory's bytes.
 */
describe("network status: each node's data on disk", () => {
  const stopped = stoppedNetwork('weft-data-bytes-');

  it("sums the files under a node's data directory, not following links, and says nothing for a node that never ran", async () => {
    const [peer1, peer2] = openNetwork(stopped.dir).peers();
    fs.mkdirSync(path.join(peer1!.dataDir, 'ledgers', 'mychannel'), { recursive: true });
    fs.writeFileSync(path.join(peer1!.dataDir, 'ledgers', 'mychannel', 'blocks.sqlite'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(peer1!.dataDir, 'peer.lock'), Buffer.alloc(24));
    // A link to a large file elsewhere: du does not count what it points to, nor does status.
    const elsewhere = path.join(stopped.dir, '..', 'big.bin');
    fs.writeFileSync(elsewhere, Buffer.alloc(4096));
    fs.symlinkSync(elsewhere, path.join(peer1!.dataDir, 'link.bin'));

    const status = await networkStatus(stopped.dir);
    const byId = new Map(status.peers.map((p) => [p.id, p]));
    expect(byId.get(peer1!.id)?.dataBytes).toBe(1024);
    expect(byId.get(peer2!.id)).not.toHaveProperty('dataBytes');
    expect(mebibytes(7654321)).toBe('7.3 MiB');
  });
});
