import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChaincodeInvocation, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../core/chaincode/packager';
import { RwSetBuilder } from '../../../core/ledger';
import { defaultLedgerOptions } from '../../../core/ledger/ledger-options';
import { buildRwSetEnvelope, TestChain } from '../../../core/ledger/test-blocks';
import type { TxSimulator } from '../../../core/ledger/tx-simulator';
import { KvPeerLedger } from '../../../core/peer/channel/kv-peer-ledger';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite';
import { IsolatedVmRuntime } from '../../../plugins/runtime-isolated-vm';
import { creator } from '../../unit/core/chaincode/fixtures';

const FIXTURE = path.join(__dirname, '../../unit/plugins/runtime-isolated-vm/fixtures/off-loop');
const CHANNEL = 'holdch';
const VALID = Uint8Array.of(0);

const inv = (txId: string, args: readonly string[]): ChaincodeInvocation => ({
  chaincodeName: 'offloop',
  channelId: CHANNEL,
  txId,
  args: args.map((a) => Buffer.from(a)),
  creator: creator('user1'),
  timestamp: { seconds: 1, nanos: 0 },
  mspId: 'Org1MSP',
});

const support = (simulator: TxSimulator): RuntimeSupport => ({ simulator, invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }) });

/** The next block of `chain`: one valid transaction writing A and B of `offloop` to `value`. */
function writeBoth(chain: TestChain, txId: string, value: string): ReturnType<TestChain['block']> {
  const rw = new RwSetBuilder();
  rw.addWrite('offloop', 'A', Buffer.from(value));
  rw.addWrite('offloop', 'B', Buffer.from(value));
  return chain.block([buildRwSetEnvelope({ txId, rwset: rw.build().serializeBinary(), channelId: CHANNEL })]);
}

/**
 * Chaincode runs off the event loop, so a block could commit between two stub calls of one
 * simulation. As Fabric's `commitRWLock`: a simulation holds the channel's state from its start to
 * `done()`, a commit waits for it, and a simulation asked for while a commit waits runs after it.
 * Real SQLite ledger, real isolated-vm.
 */
describe("a simulation sees one committed state while a block commits (the channel's state lock)", () => {
  let dir: string;
  let ledger: KvPeerLedger;
  let rt: IsolatedVmRuntime;
  let packageId: string;
  let chain: TestChain;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-state-hold-'));
    ledger = KvPeerLedger.open(new SqliteLedgerStoreProvider({ rootDir: dir }), CHANNEL, defaultLedgerOptions, 'Org1MSP');
    chain = new TestChain();
    ledger.commit(writeBoth(chain, 'seed', 'old'), VALID);
    rt = new IsolatedVmRuntime();
    packageId = (await rt.install((await packageChaincode({ projectDir: FIXTURE, label: 'offloop_1' })).packageBytes)).packageId;
  }, 60_000);

  afterAll(async () => {
    await rt?.close();
    ledger?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a commit asked for between two reads waits for the simulation; one asked for afterwards sees the new state', async () => {
    const order: string[] = [];
    const simulator = await ledger.openTxSimulator('read-twice');
    // The commit is asked for once A has been read, while the chaincode computes before reading B.
    const getState = simulator.getState.bind(simulator);
    let readA = (): void => undefined;
    const aRead = new Promise<void>((resolve) => (readA = resolve));
    simulator.getState = (ns: string, key: string): Uint8Array | undefined => {
      if (key === 'A') readA();
      return getState(ns, key);
    };
    const reading = rt.invoke(packageId, inv('read-twice', ['ReadTwice', '20000000']), support(simulator)).finally(() => {
      order.push('simulation');
      simulator.done();
    });
    await aRead;
    const committing = ledger.exclusive(() => ledger.commit(writeBoth(chain, 'update', 'new'), VALID)).then((r) => {
      order.push('commit');
      return r;
    });
    // Asked for while the commit waits: runs after it (writer-preferring), so commits are not starved.
    const later = ledger.openTxSimulator('later').then((s) => {
      order.push('later');
      return s;
    });
    const [read, committed, after] = await Promise.all([reading, committing, later]);
    expect(Buffer.from(read.response.payload).toString()).toBe('old,old');
    expect(committed.blockNum).toBe(1);
    expect(order).toEqual(['simulation', 'commit', 'later']);
    try {
      expect(Buffer.from(after.getState('offloop', 'A') as Uint8Array).toString()).toBe('new');
    } finally {
      after.done();
    }
    // Released: a commit now goes straight through.
    expect((await ledger.exclusive(() => ledger.commit(writeBoth(chain, 'again', 'newer'), VALID))).blockNum).toBe(2);
  }, 60_000);

  test('a simulator that fails to open holds nothing', async () => {
    await expect(ledger.openTxSimulator('')).rejects.toThrow(/newTxSimulator\(txId\) needs the transaction's id/);
    expect((await ledger.exclusive(() => ledger.height()))).toBe(3);
  });
});
