import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultLedgerOptions } from '../../../../../core/ledger/ledger-options';
import { KvPeerLedger } from '../../../../../core/peer/channel/kv-peer-ledger';
import { ProposalSimulation } from '../../../../../core/peer/endorser/proposal-simulation';
import { SqliteLedgerStoreProvider } from '../../../../../plugins/ledger-sqlite';

/**
 * A proposal's simulation holds the channel's state only from `open()` to `done()`, and `done()`
 * releases it however far opening got. A commit (`exclusive`) going straight through shows the
 * state is not held. Real SQLite ledger.
 */
describe('ProposalSimulation', () => {
  let dir: string;
  let ledger: KvPeerLedger;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-proposal-simulation-'));
    ledger = KvPeerLedger.open(new SqliteLedgerStoreProvider({ rootDir: dir }), 'simch', defaultLedgerOptions, 'Org1MSP');
  });
  afterAll(() => {
    ledger.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Whether a commit asked for now runs before `other` settles. */
  async function commitsBefore(other: Promise<unknown>): Promise<boolean> {
    const order: string[] = [];
    await Promise.all([ledger.exclusive(() => order.push('commit')), other.then(() => order.push('other'))]);
    return order[0] === 'commit';
  }

  test('holds nothing until opened, then holds the state until done; open is asked once', async () => {
    const simulation = new ProposalSimulation(ledger, 'tx-1');
    expect(await commitsBefore(Promise.resolve())).toBe(true);
    const simulator = await simulation.open();
    expect(await simulation.open()).toBe(simulator);
    expect(simulation.simulator).toBe(simulator);
    const ended = new Promise<void>((resolve) => setTimeout(resolve, 50)).then(() => simulation.done());
    expect(await commitsBefore(ended)).toBe(false);
    expect(await commitsBefore(Promise.resolve())).toBe(true);
  });

  test('done while its hold waits behind a commit releases the hold once granted', async () => {
    const holder = await ledger.openTxSimulator('holder');
    const commit = ledger.exclusive(() => 'committed');
    // Waits behind the pending commit (writer preference).
    const simulation = new ProposalSimulation(ledger, 'tx-2');
    const opening = simulation.open();
    simulation.done();
    holder.done();
    expect(await commit).toBe('committed');
    await opening;
    expect(simulation.simulator).toBeUndefined();
    expect(await commitsBefore(Promise.resolve())).toBe(true);
  });

  test('never opened: done releases nothing and a later open is refused; channel-less has no simulator', async () => {
    const simulation = new ProposalSimulation(ledger, 'tx-3');
    simulation.done();
    await expect(simulation.open()).rejects.toThrow('the simulation of transaction tx-3 has already ended');
    expect(await new ProposalSimulation(undefined, 'tx-4').open()).toBeUndefined();
  });
});
