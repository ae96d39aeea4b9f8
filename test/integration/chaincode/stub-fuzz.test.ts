import * as path from 'node:path';
import { packageChaincode } from '../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { ledgerWorld, type LedgerWorld } from '../../../cli/testing/ledger-world';
import { creator } from '../../unit/core/chaincode/fixtures';

const SEEDS = 12;
const CALLS = 250;

interface Report {
  ok: number;
  threw: number;
  messages: string[];
}

/**
 * Seeded random stub calls from inside the real sandbox onto a real SQLite ledger: every argument
 * type a chaincode can pass (functions, symbols, proxies, lone surrogates, NUL keys, 70 kB strings,
 * broken selectors) to every stub method. Each bad call must be a plain error the chaincode can
 * catch, with a short message that quotes nothing of the chaincode; what the transaction did
 * manage to record must commit VALID.
 */
describe('a chaincode calling the stub with anything', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 20_000 });
  let world: LedgerWorld;
  let packageId = '';

  beforeAll(async () => {
    world = ledgerWorld();
    packageId = (await rt.install((await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'stub-fuzz'), label: 'fz' })).packageBytes)).packageId;
  }, 60_000);
  afterAll(() => {
    rt.close();
    world?.close();
  });

  test(`${SEEDS} transactions of ${CALLS} random calls: typed errors only, and their writes commit`, () => {
    const totals = { ok: 0, threw: 0 };
    const methodsThatThrew = new Set<string>();
    for (let seed = 1; seed <= SEEDS; seed++) {
      const txId = `fuzz${seed}`;
      const simulator = world.simulator(txId);
      const r = rt.invokeSync(
        packageId,
        { chaincodeName: 'fz', channelId: 'mychannel', txId, args: [Buffer.from(String(seed)), Buffer.from(String(CALLS))], creator: creator('user1'), timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' },
        { simulator, invokeChaincode: () => ({ status: 200, message: '', payload: new Uint8Array(0) }) },
      );
      expect(r.response).toMatchObject({ status: 200 });
      const report = JSON.parse(Buffer.from(r.response.payload).toString()) as Report;
      totals.ok += report.ok;
      totals.threw += report.threw;
      for (const message of report.messages) {
        methodsThatThrew.add(message.slice(0, message.indexOf(':')));
        expect(message.length).toBeLessThan(300);
        expect(message).not.toMatch(/could not be cloned|secretSource|never quoted/);
      }
      const rwset = simulator.getTxSimulationResults();
      simulator.done();
      world.commit(simulator, rwset, txId);
    }
    // Both outcomes, across most of the stub: the seeds reach the paths they are meant to.
    expect(totals.ok).toBeGreaterThan(SEEDS * CALLS * 0.2);
    expect(totals.threw).toBeGreaterThan(SEEDS * CALLS * 0.2);
    expect(methodsThatThrew.size).toBeGreaterThan(15);
    expect(world.ledger.height()).toBe(SEEDS);
  });
});
