import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findFreePorts } from '../../../../cli/services/free-ports';
import { peerAnswers, peersToWaitFor } from '../../../../cli/services/network/config-block-peers';
import { openNetwork } from '../../../../cli/services/network/network-access';
import { DEFAULT_INIT_OPTIONS, initNetwork } from '../../../../cli/services/network/network-init';
import type { NetworkLayout, NodeLayout } from '../../../../cli/services/network/network-layout';
import { startNode, stopNode } from '../../../../cli/services/network/node-processes';

/**
 * A host that is never this machine and where nothing answers: `.invalid` names resolve nowhere
 * (RFC 6761), so the probe fails at once, leaving no TCP connect pending as an unrouted address would.
 */
const ELSEWHERE = 'peer2.elsewhere.invalid';

/**
 * Which peers a config update waits for (`peersToWaitFor`), decided as `weft network status` tells a
 * running node. On a network `weft network init` made with three peers: peer0 runs here (a real
 * peer process), peer1 is stopped here, peer2 is placed on another host.
 */
describe('the peers a config update waits for', () => {
  let tmp: string;
  let layout: NetworkLayout;
  let peer: (name: string) => NodeLayout;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-config-block-peers-'));
    const net = path.join(tmp, 'net');
    const options = { ...DEFAULT_INIT_OPTIONS, orgs: 1, peersPerOrg: 3, consensus: 'solo' as const, hosts: [`peer2.org1.example.com=${ELSEWHERE}`] };
    await initNetwork(net, { ...options, basePort: await findFreePorts(9) });
    layout = openNetwork(net);
    peer = (name) => layout.peers().find((p) => p.id === `${name}.org1.example.com`)!;
    startNode(peer('peer0'));
  });
  afterAll(async () => {
    if (layout !== undefined) await stopNode(peer('peer0'), 5000);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const split = (plan: Awaited<ReturnType<typeof peersToWaitFor>>): { waited: string[]; notWaited: string[][] } => ({
    waited: plan.waited.map((p) => p.id),
    notWaited: plan.notWaited.map((n) => [n.peer.id, n.why]),
  });

  it('waits for a peer running here; names one stopped here without calling it; one on another host that does not answer is not waited for either', async () => {
    const asked: string[] = [];
    // The real probe (one gRPC call, to an address where nothing answers), recording whom it asks.
    const plan = await peersToWaitFor(layout, layout.peers(), (l, p) => (asked.push(p.id), peerAnswers(l, p)));
    expect(asked).toEqual(['peer2.org1.example.com']);
    expect(split(plan)).toEqual({
      waited: ['peer0.org1.example.com'],
      notWaited: [
        ['peer1.org1.example.com', 'does not run here: started, it takes the new config block from the orderer'],
        ['peer2.org1.example.com', `does not answer at ${peer('peer2').address}: up again, it takes the new config block from the orderer`],
      ],
    });
  });

  it('waits for a peer on another host that answers: having no pid here does not make it stopped', async () => {
    const plan = await peersToWaitFor(layout, layout.peers(), async () => true);
    expect(split(plan).waited).toEqual(['peer0.org1.example.com', 'peer2.org1.example.com']);
  });

  it("asks a peer of this machine whose keys are not in this directory (run from another org's directory) whether it answers, as status does", async () => {
    const keystore = path.join(peer('peer1').mspDir, 'keystore');
    const moved = `${keystore}.elsewhere`;
    fs.renameSync(keystore, moved);
    try {
      const asked: string[] = [];
      const plan = await peersToWaitFor(layout, [peer('peer1')], async (_l, p) => (asked.push(p.id), true));
      expect(asked).toEqual(['peer1.org1.example.com']);
      expect(split(plan)).toEqual({ waited: ['peer1.org1.example.com'], notWaited: [] });
    } finally {
      fs.renameSync(moved, keystore);
    }
  });

  it('probes a peer that does not answer once per command, however many channels and layouts of the network ask', async () => {
    // peer1's keys moved away: a peer of another org's directory, so asked. Its port takes connections and closes them unanswered.
    const keystore = path.join(peer('peer1').mspDir, 'keystore');
    const moved = `${keystore}.elsewhere`;
    fs.renameSync(keystore, moved);
    let connections = 0;
    const closer = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => closer.listen(Number(peer('peer1').address.split(':').pop()), resolve));
    try {
      // One command's network (loaded once) and a layout it derives for a channel: the second config update finds the answer made.
      const network = openNetwork(layout.dir);
      const first = await peersToWaitFor(network, network.peers().filter((p) => p.id === peer('peer1').id));
      const probes = connections;
      const channel = network.forChannel(network.spec.channel.name);
      const second = await peersToWaitFor(channel, channel.peers().filter((p) => p.id === peer('peer1').id));
      expect(probes).toBeGreaterThan(0);
      expect(connections).toBe(probes);
      for (const plan of [first, second]) expect(split(plan)).toEqual({ waited: [], notWaited: [['peer1.org1.example.com', `does not answer at ${peer('peer1').address}: up again, it takes the new config block from the orderer`]] });

      // Another command loads the network anew and asks again.
      const again = openNetwork(layout.dir);
      await peersToWaitFor(again, again.peers().filter((p) => p.id === peer('peer1').id));
      expect(connections).toBeGreaterThan(probes);
    } finally {
      closer.close();
      fs.renameSync(moved, keystore);
    }
  });
});
