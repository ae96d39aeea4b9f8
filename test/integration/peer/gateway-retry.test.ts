import { CommitError, EndorseError, StatusCode } from '@hyperledger/fabric-gateway';
import { submitWithRetry } from '../../examples/submit-with-retry';
import { CHANNEL } from './network-fixture';
import { type InProcessNetwork, deployKvInProcess, gatewayOn, startInProcessNetwork } from './in-process-network';

const utf8 = new TextDecoder();

/**
 * The README's retry helper for fabric-gateway applications (test/examples/submit-with-retry.ts,
 * quoted there verbatim), run against Weft's Gateway: concurrent read-modify-writes of one key
 * conflict, and the helper's retries commit every one of them exactly once.
 */
describe("the README's fabric-gateway retry helper against Weft's Gateway", () => {
  let net: InProcessNetwork;

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-gateway-retry-' });
    await deployKvInProcess(net);
  }, 120_000);
  afterAll(async () => net?.close(), 60_000);

  it('commits every concurrent increment of one key, retrying those that conflicted', async () => {
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
    await contract.submitTransaction('Increment', 'counter');
    const conflicts: number[] = [];
    const writers = 4;
    const results = await Promise.all(
      // A disagreement of the endorsers (one peer a block behind the other) is retried too, but is no commit code.
      Array.from({ length: writers }, () => submitWithRetry(contract, 'Increment', ['counter'], 10, (err) => err instanceof CommitError && conflicts.push(err.code))),
    );
    // Each increment saw a different count: none was lost, none applied twice.
    expect(results.map((r) => Number(utf8.decode(r))).sort()).toEqual([2, 3, 4, 5]);
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'counter'))).toBe(String(writers + 1));
    // Submitted together, they read the same version: all but one conflicted at least once.
    expect(conflicts.length).toBeGreaterThanOrEqual(writers - 1);
    expect(new Set(conflicts)).toEqual(new Set([StatusCode.MVCC_READ_CONFLICT]));
  }, 60_000);

  it('throws any other failure at once, without retrying', async () => {
    const contract = gatewayOn(net, 0).getNetwork(CHANNEL).getContract('kv');
    let conflicts = 0;
    const err = await submitWithRetry(contract, 'Fail', ['refused by the contract'], 10, () => conflicts++).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndorseError);
    expect((err as EndorseError).details.map((d) => d.message).join('\n')).toMatch(/refused by the contract/);
    expect(conflicts).toBe(0);
  }, 60_000);
});
