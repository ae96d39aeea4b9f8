import * as path from 'node:path';
import { type InProcessNetwork, deployChaincodeInProcess, deployKvInProcess, gatewayOn, startInProcessNetwork } from './in-process-network';
import { CHANNEL, propose, rawEndorser, signerOf } from './network-fixture';

const FIXTURES = path.join(__dirname, 'fixtures');
const EXECUTE_TIMEOUT_MS = 3000;

/**
 * A chaincode that computes until its time limit does not freeze the peer: chaincode runs off the
 * peer's event loop (a Fabric chaincode is a process of its own), so proposals to other chaincode,
 * evaluations through the Gateway and Deliver are answered while it runs. Real peers, gRPC, SQLite
 * and isolated-vm (in-process 2-org network).
 */
describe('a peer keeps answering while a chaincode computes', () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-peer-off-loop-', peerSection: { chaincodeExecuteTimeoutMs: EXECUTE_TIMEOUT_MS } });
    await deployChaincodeInProcess(net, { projectDir: path.join(FIXTURES, 'metered'), label: 'metered_1', name: 'metered' });
    await deployKvInProcess(net);
  }, 180_000);

  afterAll(() => net?.close());

  it('answers a proposal, an evaluation and a Deliver before a looping evaluation ends, which still ends with the timeout', async () => {
    const endorser = rawEndorser(net.m.orgs[0], net.ports[0]);
    const user = signerOf(net.m.orgs[0]);
    const network = gatewayOn(net, 0).getNetwork(CHANNEL);
    const done: string[] = [];
    const mark =
      (name: string) =>
      <T>(value: T): T => {
        done.push(name);
        return value;
      };
    try {
      const spinning = propose(endorser, user, CHANNEL, 'metered', ['Spin']).then(mark('spin'));
      // Long enough for the loop to be running; on a peer that runs chaincode on its event loop,
      // this timer (same process) fires only after the loop's time limit.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const proposed = propose(endorser, user, CHANNEL, 'kv', ['Put', 'k', 'v']).then(mark('proposal'));
      const evaluated = network.getContract('kv').evaluateTransaction('Put', 'k2', 'v2').then(mark('evaluate'));
      const delivered = (async () => {
        const events = await network.getBlockEvents({ startBlock: 0n });
        try {
          for await (const block of events) if (block.getHeader()?.getNumber() === 1) break;
        } finally {
          events.close();
        }
      })().then(mark('deliver'));
      const [spun, put, evaluatedPut] = await Promise.all([spinning, proposed, evaluated, delivered]);
      expect(done).toHaveLength(4);
      expect(done.at(-1)).toBe('spin');
      expect(put.response.status).toBe(200);
      expect(Buffer.from(evaluatedPut).toString()).toBe('v2');
      expect(spun.response.status).toBe(500);
      expect(spun.response.message).toMatch(/^timeout expired while executing transaction/);
    } finally {
      endorser.close();
    }
  }, 60_000);
});
