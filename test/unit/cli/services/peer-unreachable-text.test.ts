import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { uninstalledPackageWarning } from '../../../../cli/services/chaincode/uninstalled-package-warning';
import { loadClientIdentity } from '../../../../cli/services/client/client-identity';
import { withPeerClient } from '../../../../cli/services/client/peer-client';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';

/**
 * A peer that is not running, dialled by real grpc-js: its error ends ". Resolution note: " with
 * nothing after it, which every PEER_UNREACHABLE message repeated.
 */
describe('a peer that does not answer', () => {
  let tmp: string;
  let net: string;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-peer-down-'));
    net = path.join(tmp, 'net');
    // Ports nothing listens on: initialised, never started.
    await initNetwork(net, { ...DEFAULT_INIT_OPTIONS, basePort: await findFreePorts(8) });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("is PEER_UNREACHABLE naming the peer and the socket error, without grpc-js's empty resolution note", async () => {
    const layout = openNetwork(net);
    const org = layout.spec.orgs[0]!;
    const peer = layout.peersOf(org)[0]!;
    const admin = loadClientIdentity(layout.user(org, 'Admin'));
    const call = withPeerClient(layout.spec, peer, admin, (c) => c.propose(admin.signer, '', '_lifecycle', ['QueryInstalledChaincodes']));
    await expect(call).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
    const message = await call.catch((err: Error) => err.message);
    expect(message).toMatch(new RegExp(`^peer ${peer.id} \\(${peer.address}\\) did not answer: .*ECONNREFUSED ${peer.address.replace(/\./g, '\\.')}$`));
    expect(message).not.toMatch(/Resolution note/);
  });

  it('gives no warning about an approved package ID when none of the org\'s peers answers', async () => {
    const layout = openNetwork(net);
    await expect(uninstalledPackageWarning(layout, layout.spec.orgs[0]!, 'items_1.0:dead')).resolves.toBeUndefined();
  });
});
