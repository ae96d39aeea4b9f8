import { describe, expect, it } from '@jest/globals';
import { uninstalledPackageWarning } from '../../../../cli/services/chaincode/uninstalled-package-warning';
import { loadClientIdentity } from '../../../../cli/services/client/client-identity';
import { withPeerClient } from '../../../../cli/services/client/peer-client';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { stoppedNetwork } from '../../../support/stopped-network';

/**
 * A peer that is not running, dialled by real grpc-js: its error ends ". Resolution note: " with
 * nothing after it, which every PEER_UNREACHABLE message repeated.
 */
describe('a peer that does not answer', () => {
  const stopped = stoppedNetwork('weft-peer-down-');

  it("is PEER_UNREACHABLE naming the peer and the socket error, without grpc-js's empty resolution note", async () => {
    const layout = openNetwork(stopped.dir);
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
    const layout = openNetwork(stopped.dir);
    await expect(uninstalledPackageWarning(layout, layout.spec.orgs[0]!, 'items_1.0:dead')).resolves.toBeUndefined();
  });
});
