import * as path from 'node:path';
import { type InProcessNetwork, deployChaincodeInProcess, deployKvInProcess, gatewayOn, startInProcessNetwork } from './in-process-network';
import { CHANNEL, peerClient, propose, proposeUntil, rawEndorser, signerOf } from './network-fixture';

const OFF_LOOP = path.join(__dirname, '../../unit/plugins/runtime-isolated-vm/fixtures/off-loop');
/** Long enough that the steps below, spaced by fractions of it, happen while the first spins run. */
const EXECUTE_TIMEOUT_MS = 4000;
const SANDBOXES = 2;
const QUEUED = 3;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Proposals waiting for a busy chaincode's sandboxes hold nothing: a block commits, and another
 * chaincode's proposal is endorsed, as soon as the transactions actually running end (those hold
 * the channel's state, as Fabric's simulations hold `commitRWLock`), not after the queue behind
 * them; a queued one runs afterwards over the state as it is then; past `queuedPerChaincode`
 * waiting, a new proposal is refused at once. Real peers, gRPC, SQLite and isolated-vm.
 */
describe('a peer does not hold a commit behind proposals queued for a sandbox', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({
      prefix: 'weft-peer-sandbox-queue-',
      peerSection: { chaincodeExecuteTimeoutMs: EXECUTE_TIMEOUT_MS },
      runtimeOptions: { sandboxesPerChaincode: SANDBOXES, queuedPerChaincode: QUEUED },
    });
    await deployChaincodeInProcess(net, { projectDir: OFF_LOOP, label: 'offloop_1', name: 'offloop' });
    await deployKvInProcess(net);
  }, 180_000);

  afterAll(() => net?.close());

  /** Proposals to `offloop` on Org1's peer, each recording its tag in `done` when answered. */
  const proposer = () => {
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    const user = signerOf(net.m.orgs[0]);
    const done: string[] = [];
    const offloop = (tag: string, args: readonly string[]): ReturnType<typeof propose> =>
      propose(endorser, user, CHANNEL, 'offloop', args).then((r) => {
        done.push(tag);
        return r;
      });
    return { endorser, user, done, offloop };
  };

  it('commits a block and endorses another chaincode while spins wait in the queue; the queued ones run after, over the new state', async () => {
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('offloop');
    await contract.submitTransaction('SetBoth', 'old');
    // Endorsed now, committed later: the block that must not wait for the queue.
    const rewrite = await contract.newProposal('SetBoth', { arguments: ['new'] }).endorse();
    const { endorser, user, done, offloop } = proposer();
    try {
      // Both sandboxes busy until the time limit.
      const running = [offloop('spin1', ['Spin']), offloop('spin2', ['Spin'])];
      await pause(EXECUTE_TIMEOUT_MS / 8);
      // Queued, in this order: a reader first, then two more spins, which end one time limit later.
      const reading = offloop('read', ['ReadTwice', '10']);
      await pause(EXECUTE_TIMEOUT_MS / 40);
      const queued = [offloop('queued1', ['Spin']), offloop('queued2', ['Spin'])];
      await pause(EXECUTE_TIMEOUT_MS / 40);
      const refused = await offloop('refused', ['ReadTwice', '10']);
      expect(refused.response.status).toBe(500);
      expect(refused.response.message).toMatch(
        new RegExp(`^error in simulation: chaincode offloop is busy: its ${SANDBOXES} sandboxes are running transactions and ${QUEUED} more wait, the limit \\(runtime option queuedPerChaincode = ${QUEUED}\\); transaction [0-9a-f]{64} was not run: try again later$`),
      );
      const committed = rewrite
        .submit()
        .then((s) => s.getStatus())
        .then((status) => {
          done.push('commit');
          return status;
        });
      // The block reaches the peer (100 ms batches) and waits for the two running spins; a
      // proposal asked for meanwhile waits behind it.
      await pause(EXECUTE_TIMEOUT_MS / 8);
      const other = propose(endorser, user, CHANNEL, 'kv', ['Put', 'k', 'v']).then((r) => {
        done.push('kv');
        return r;
      });
      const [status, put, read, ...spins] = await Promise.all([committed, other, reading, ...running, ...queued]);
      expect(status.successful).toBe(true);
      expect(put.response.status).toBe(200);
      // Refused before anything ended; the block and the other chaincode's proposal before the queued spins.
      expect(done[0]).toBe('refused');
      for (const event of ['commit', 'kv', 'read']) {
        expect(done.indexOf(event)).toBeLessThan(done.indexOf('queued1'));
        expect(done.indexOf(event)).toBeLessThan(done.indexOf('queued2'));
      }
      // The reader ran after the block it waited behind, so it read what the block wrote.
      expect(read.response.status).toBe(200);
      expect(Buffer.from(read.response.payload).toString()).toBe('new,new');
      for (const r of spins) expect(r.response.message).toMatch(/^timeout expired while executing transaction/);
    } finally {
      endorser.close();
    }
  }, 120_000);

  it('drops queued proposals whose client deadline passed (Endorser and Gateway Evaluate): the proposals behind them take their place', async () => {
    const { endorser, user, done, offloop } = proposer();
    const unary = peerClient(net.m.orgs[0], net.ports[0]);
    try {
      const running = [offloop('spin1', ['Spin']), offloop('spin2', ['Spin'])];
      await pause(EXECUTE_TIMEOUT_MS / 8);
      // Queued first on Fabric's unary ProcessProposal, its client gives up long before a sandbox
      // frees: it must not take one.
      const abandoned = proposeUntil(unary, user, 'offloop', ['Spin'], Date.now() + EXECUTE_TIMEOUT_MS / 4);
      // The same through the Gateway's Evaluate, as the official client sends it with a deadline.
      const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('offloop');
      const evaluated = contract
        .newProposal('Spin')
        .evaluate({ deadline: Date.now() + EXECUTE_TIMEOUT_MS / 4 })
        .then(
          () => 'answered',
          (err: Error) => err.message,
        );
      expect(await abandoned).toMatch(/DEADLINE_EXCEEDED|Deadline exceeded/i);
      expect(await evaluated).toMatch(/DEADLINE_EXCEEDED|Deadline exceeded/i);
      // Both clients gave up while the first spins still run: the queue must be empty again.
      const spin = offloop('spin3', ['Spin']);
      await pause(EXECUTE_TIMEOUT_MS / 40);
      const read = offloop('read', ['ReadTwice', '10']);
      const [, , spun, reading] = await Promise.all([...running, spin, read]);
      // Had an abandoned spin run anyway, the reader would wait for it or for spin3 (a whole time limit).
      expect(done.indexOf('read')).toBeLessThan(done.indexOf('spin3'));
      expect(reading.response.status).toBe(200);
      expect(spun.response.message).toMatch(/^timeout expired while executing transaction/);
    } finally {
      unary.close();
      endorser.close();
    }
  }, 120_000);
});
