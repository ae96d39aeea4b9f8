import * as path from 'node:path';
import type { ChaincodeResult } from '../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { ledgerWorld, type LedgerWorld } from '../../../cli/testing/ledger-world';
import { creator } from '../../unit/core/chaincode/fixtures';

/**
 * A query iterator kept in module scope past its transaction (the sandbox's context outlives
 * transactions, as a Fabric chaincode process does): in a later transaction it fails, as a Fabric
 * shim's iterator does when its transaction's context is gone, and never reads or closes the
 * iterator that transaction opened at the same position.
 */
describe('query iterators kept past their transaction', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 5000 });
  let world: LedgerWorld;
  let packageId = '';
  let n = 0;

  function run(args: string[], commit = false): Record<string, unknown> {
    const txId = `kept${++n}`;
    const simulator = world.simulator(txId);
    const r: ChaincodeResult = rt.invokeSync(
      packageId,
      { chaincodeName: 'kept', channelId: 'mychannel', txId, args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' },
      { simulator, invokeChaincode: () => ({ status: 500, message: 'unused', payload: new Uint8Array(0) }) },
    );
    const rwset = simulator.getTxSimulationResults();
    simulator.done();
    expect(r.response).toMatchObject({ status: 200 });
    if (commit) world.commit(simulator, rwset, txId);
    return JSON.parse(Buffer.from(r.response.payload).toString()) as Record<string, unknown>;
  }

  beforeAll(async () => {
    world = ledgerWorld();
    packageId = (await rt.install((await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'kept-iterators'), label: 'kept' })).packageBytes)).packageId;
    run(['seed', '250'], true);
  });
  afterAll(async () => {
    world.close();
    await rt.close();
  });

  it("fails next() in a later transaction instead of reading that transaction's own iterator", () => {
    expect(run(['keep', 'k', 'l'])).toEqual({ first: 'k000' });
    const used = run(['useKept', 'k', 'l', '150']);
    expect(used).toEqual({ ownFirst: 'k000', ownNext: 'k001', seenCount: 0, error: expect.stringMatching(/^query iterator not found: /) });
    expect(used.error).toContain('opened by transaction kept2, which has ended');
  });

  it("fails close() in a later transaction instead of closing that transaction's own iterator", () => {
    run(['keep', 'k', 'l']);
    expect(run(['closeKept', 'k', 'l'])).toEqual({ ownCount: 250, error: expect.stringMatching(/^query iterator not found: /) });
  });
});
