import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Block } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { defaultLedgerOptions, KvLedger, type PrivateDataPolicy, type TxSimulator } from '../../../../core/ledger';
import { buildRwSetEnvelope, TestChain } from '../../../../core/ledger/test-blocks';
import { SqliteLedgerStoreProvider } from '../../../../plugins/ledger-sqlite';

export const CC = 'cc';
export const COLL = 'secrets';

/** The same block as a fresh object: a commit writes its validation codes into the block it is given. */
export function copy(block: Block): Block {
  return Block.deserializeBinary(block.serializeBinary());
}

export function errorOf(fn: () => unknown): { code?: string; message?: string } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code: string };
  }
  return {};
}

export interface Simulated {
  readonly envelope: Uint8Array;
  readonly pvt: Uint8Array | undefined;
  readonly rwset: Uint8Array;
}

/** SQLite ledgers of channel `ch1` in a temporary directory, one chain of test blocks, fresh for each test. */
export interface PvtLedgerFixture {
  readonly dir: string;
  readonly chain: TestChain;
  /** A ledger of its own channel file (`name`), with the genesis block committed. */
  open(name: string, policy?: PrivateDataPolicy, withGenesis?: boolean): KvLedger;
  /** Closes every ledger opened so far (to reopen or edit their files). */
  closeAll(): void;
  /** Simulates on `ledger`, returning the envelope and the private rwset it produced. */
  simulate(ledger: KvLedger, body: (sim: TxSimulator) => void): Simulated;
  /** The private value of `key` in {@link CC}'s `collection`, as a string. */
  read(ledger: KvLedger, key: string, collection?: string): string | undefined;
  hashOf(ledger: KvLedger, key: string): Uint8Array | undefined;
}

/** Registers the fixture's set-up and clean-up with the enclosing `describe`. */
export function usePvtLedgerFixture(): PvtLedgerFixture {
  let dir = '';
  let chain = new TestChain();
  let genesis: Block;
  let ledgers: KvLedger[] = [];
  let txn = 0;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-pvt-'));
    chain = new TestChain();
    genesis = chain.block([]);
    ledgers = [];
  });
  afterEach(() => {
    for (const l of ledgers) l.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    get chain() {
      return chain;
    },
    open(name, policy, withGenesis = true) {
      const store = new SqliteLedgerStoreProvider({ rootDir: path.join(dir, name) }).open('ch1');
      const ledger = new KvLedger('ch1', store, defaultLedgerOptions, undefined, policy);
      if (withGenesis && ledger.height() === 0) ledger.commit(copy(genesis));
      ledgers.push(ledger);
      return ledger;
    },
    closeAll() {
      for (const l of ledgers) l.close();
      ledgers = [];
    },
    simulate(ledger, body) {
      const txId = `tx${txn++}`;
      const sim = ledger.newTxSimulator(txId);
      body(sim);
      const rwset = sim.getTxSimulationResults();
      const pvt = sim.getPrivateSimulationResults();
      sim.done();
      return { envelope: buildRwSetEnvelope({ txId, rwset, channelId: 'ch1' }), pvt, rwset };
    },
    read(ledger, key, collection = COLL) {
      const q = ledger.newQueryExecutor();
      try {
        const v = q.getPrivateData(CC, collection, key);
        return v === undefined ? undefined : Buffer.from(v).toString();
      } finally {
        q.done();
      }
    },
    hashOf(ledger, key) {
      const q = ledger.newQueryExecutor();
      const h = q.getPrivateDataHash(CC, COLL, key);
      q.done();
      return h;
    },
  };
}
