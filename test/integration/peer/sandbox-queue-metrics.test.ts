import * as path from 'node:path';
import { sample } from '../../support/prometheus-text';
import { type InProcessNetwork, deployChaincodeInProcess, deployKvInProcess, gatewayOn, startInProcessNetwork } from './in-process-network';
import { CHANNEL, eventually, peerClient, propose, proposeUntil, rawEndorser, signerOf } from './network-fixture';

const OFF_LOOP = path.join(__dirname, '../../unit/plugins/runtime-isolated-vm/fixtures/off-loop');
/** Long enough that the steps below, spaced by fractions of it, happen while the first spin runs. */
const EXECUTE_TIMEOUT_MS = 4000;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A saturated chaincode shows on `/metrics`: transactions waiting for its sandboxes
 * (`weft_chaincode_queued_transactions`), how long those that waited waited, those refused with the
 * queue full and those dropped because their client left; Fabric's endorser metrics count a refused
 * or dropped proposal as Fabric counts a chaincode execution that failed (a simulation failure).
 * And a Gateway client that leaves stops its endorsement on the other org's peer, which the Gateway
 * reaches over Weft's shared endorsement stream: that peer drops the proposal from its queue
 * unrun, while other proposals on the stream go on. Real peers, gRPC, SQLite and isolated-vm; one
 * sandbox per chaincode, at most two waiting.
 */
describe("a chaincode's queue for its sandboxes, seen by operators and left by clients", () => {
  let net: InProcessNetwork;
  let packageId = '';

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-queue-metrics-',
      peerSection: { chaincodeExecuteTimeoutMs: EXECUTE_TIMEOUT_MS },
      runtimeOptions: { sandboxesPerChaincode: 1, queuedPerChaincode: 2 },
    });
    packageId = await deployChaincodeInProcess(net, { projectDir: OFF_LOOP, label: 'offloop_1', name: 'offloop' });
    await deployKvInProcess(net);
  }, 180_000);

  afterAll(() => net?.close());

  const metricsOf = async (peer: number): Promise<string> => (await fetch(`http://${net.peers[peer].operationsAddress() as string}/metrics`)).text();
  /** The queue metrics of `offloop` on `peer`, and Fabric's endorser counters. */
  const read = async (peer: number) => {
    const text = await metricsOf(peer);
    const labels = { channel: CHANNEL, chaincode: packageId };
    return {
      queued: sample(text, 'weft_chaincode_queued_transactions', labels),
      waited: sample(text, 'weft_chaincode_queue_wait_seconds_count', labels),
      refused: sample(text, 'weft_chaincode_queue_refused_total', labels),
      cancelled: sample(text, 'weft_chaincode_queue_cancelled_total', labels),
      received: sample(text, 'endorser_proposals_received'),
      successful: sample(text, 'endorser_successful_proposals'),
      simulationFailures: sample(text, 'endorser_proposal_simulation_failures', { channel: CHANNEL, chaincode: 'offloop' }),
      endorsementFailures:
        sample(text, 'endorser_endorsement_failures', { channel: CHANNEL, chaincode: 'offloop', chaincodeerror: 'true' }) +
        sample(text, 'endorser_endorsement_failures', { channel: CHANNEL, chaincode: 'offloop', chaincodeerror: 'false' }),
      puts: sample(text, 'chaincode_shim_requests_received', { type: 'PUT_STATE', channel: CHANNEL, chaincode: packageId }),
    };
  };

  it('counts waiting, refused and dropped transactions, back to none waiting once all ran; the endorser metrics count them as failed executions', async () => {
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    const unary = peerClient(net.m.orgs[0], net.ports[0]);
    const user = signerOf(net.m.orgs[0]);
    const done: string[] = [];
    const offloop = (tag: string, args: readonly string[]): ReturnType<typeof propose> =>
      propose(endorser, user, CHANNEL, 'offloop', args).finally(() => done.push(tag));
    try {
      const before = await read(0);
      expect(before.queued).toBe(0);
      // The only sandbox busy until the time limit: it took a free sandbox, so it never waited.
      const spin = offloop('spin', ['Spin']);
      await pause(EXECUTE_TIMEOUT_MS / 8);
      const first = offloop('first', ['Echo', 'first', '1', '10']);
      // Queued second, on Fabric's unary ProcessProposal, by a client that gives up before the sandbox frees.
      const leaving = proposeUntil(unary, user, 'offloop', ['Echo', 'leaving', '1', '10'], Date.now() + EXECUTE_TIMEOUT_MS / 4);
      await pause(EXECUTE_TIMEOUT_MS / 40);
      const refused = await offloop('refused', ['Echo', 'refused', '1', '10']);
      expect(refused.response.message).toMatch(/^error in simulation: chaincode offloop is busy/);
      const full = await read(0);
      expect(done).toEqual(['refused']);
      expect([full.queued, full.refused - before.refused, full.cancelled - before.cancelled]).toEqual([2, 1, 0]);

      expect(await leaving).toMatch(/DEADLINE_EXCEEDED|Deadline exceeded/i);
      // The peer hears of the client leaving as its deadline passes: the queue holds one, before the spin ends.
      const left = await eventually(async () => {
        const m = await read(0);
        if (m.cancelled - before.cancelled !== 1) throw new Error(`cancelled: ${m.cancelled - before.cancelled}`);
        return m;
      });
      expect(done).toEqual(['refused']);
      expect(left.queued).toBe(1);

      const [spun, ran] = await Promise.all([spin, first]);
      expect(spun.response.message).toMatch(/^timeout expired while executing transaction/);
      expect(ran.response.status).toBe(200);
      const after = await read(0);
      // Only the one that waited and then ran is in the wait histogram.
      expect([after.queued, after.waited - before.waited, after.refused - before.refused, after.cancelled - before.cancelled]).toEqual([0, 1, 1, 1]);
      // Fabric's endorser (core/endorser/endorser.go callChaincode): a chaincode execution that returns
      // an error is a simulation failure; a chaincode answer of 500 (the timeout) is in no failure counter.
      expect({
        received: after.received - before.received,
        successful: after.successful - before.successful,
        simulationFailures: after.simulationFailures - before.simulationFailures,
        endorsementFailures: after.endorsementFailures - before.endorsementFailures,
      }).toEqual({ received: 4, successful: 1, simulationFailures: 2, endorsementFailures: 0 });
    } finally {
      unary.close();
      endorser.close();
    }
  }, 120_000);

  it("drops on the other org's peer a Gateway endorsement whose client left, while the others on the same stream complete", async () => {
    // Org2's peer: its only offloop sandbox busy until the time limit.
    const org2 = rawEndorser(net.m.orgs[1], net.ports[1]);
    const done: string[] = [];
    const queuedOnOrg2 = (n: number): Promise<void> =>
      eventually(async () => {
        const q = (await read(1)).queued;
        if (q !== n) throw new Error(`${q} queued on Org2, not ${n}`);
      });
    try {
      const before = await read(1);
      const spin = propose(org2, signerOf(net.m.orgs[1]), CHANNEL, 'offloop', ['Spin']).finally(() => done.push('spin'));
      await pause(EXECUTE_TIMEOUT_MS / 8);
      // Each endorsed on Org1's peer (free) at once, then queued on Org2's behind the spin, over
      // Org1's one endorsement stream to it. The first one's client gives up long before the spin ends;
      // the second keeps the stream open meanwhile, so that only a cancel frame can drop the first.
      const gateway = gatewayOn(net, 0).getNetwork(CHANNEL);
      const endorse = (tag: string, deadline?: number): Promise<string> =>
        gateway
          .getContract('offloop')
          .newProposal('Echo', { arguments: [tag, '1', '10'] })
          .endorse(deadline === undefined ? undefined : { deadline })
          .then(
            () => 'endorsed',
            (err: Error) => err.message,
          )
          .finally(() => done.push(tag));
      const leaving = endorse('leaving', Date.now() + EXECUTE_TIMEOUT_MS / 2);
      await queuedOnOrg2(1);
      const staying = endorse('staying');
      await queuedOnOrg2(2);
      // Another chaincode's endorsement over the same stream, while those two wait on Org2's peer.
      await gateway.getContract('kv').newProposal('Put', { arguments: ['queued-stream', 'v'] }).endorse();
      done.push('other');
      expect(await leaving).toMatch(/DEADLINE_EXCEEDED|Deadline exceeded/i);
      // Org2's peer dropped it from its queue, before its sandbox freed.
      await eventually(async () => {
        const cancelled = (await read(1)).cancelled - before.cancelled;
        if (cancelled !== 1) throw new Error(`${cancelled} cancelled on Org2`);
      });
      await queuedOnOrg2(1);
      expect(done).toEqual(['other', 'leaving']);
      expect(await staying).toBe('endorsed');
      expect(done).toEqual(['other', 'leaving', 'spin', 'staying']);
      expect((await spin).response.message).toMatch(/^timeout expired while executing transaction/);
      const after = await read(1);
      // Only the one whose client waited ran on Org2's peer: each Echo writes once (a PUT_STATE there).
      expect(after.puts - before.puts).toBe(1);
      expect([after.queued, after.waited - before.waited, after.cancelled - before.cancelled]).toEqual([0, 1, 1]);
    } finally {
      org2.close();
    }
  }, 120_000);
});
