/** Shared setup of the conformance suite (jest globals). */
import { type Block, Envelope, HeaderType, Payload } from '@hyperledger/fabric-protos/lib/common/common_pb';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Ledger } from './ledger';
import { LedgerManagerImpl } from './ledger-manager-impl';
import type { LedgerOptions } from './ledger-options';
import type { LedgerStoreProvider } from './ledger-store-provider';
import { buildRwSetEnvelope, TestChain } from './test-blocks';
import type { TxSimulator } from './tx-simulator';

/** Makes the store provider under test over a fresh directory. */
export type ProviderFactory = (dir: string) => LedgerStoreProvider;

export interface Fixture {
  dir: string;
  provider: LedgerStoreProvider;
  manager: LedgerManagerImpl;
  ledger: Ledger;
  chain: TestChain;
  /** Simulates a transaction and returns its envelope (timestamp seconds = 1e9 + block-local counter). */
  tx(txId: string, body: (sim: TxSimulator) => void): Uint8Array;
  /** Chains and commits a block of envelopes. */
  commit(envelopes: readonly Uint8Array[], codes?: readonly number[]): { block: Block; codes: readonly number[] };
  /** Reopens manager and ledger from disk (new provider). */
  reopen(): void;
  close(): void;
}

let counter = 0;

export function makeFixture(makeProvider: (dir: string) => LedgerStoreProvider, options: Partial<LedgerOptions> = {}): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-ledger-'));
  const provider = makeProvider(dir);
  const manager = new LedgerManagerImpl(provider, options);
  const f: Fixture = {
    dir,
    provider,
    manager,
    ledger: manager.create('ch1'),
    chain: new TestChain(),
    tx(txId, body) {
      const sim = f.ledger.newTxSimulator(txId);
      body(sim);
      const rwset = sim.getTxSimulationResults();
      sim.done();
      counter++;
      return buildRwSetEnvelope({ txId, rwset, channelId: 'ch1', timestamp: { seconds: 1_000_000_000 + counter, nanos: counter * 7 } });
    },
    commit(envelopes, codes) {
      const block = f.chain.block(envelopes);
      const result = f.ledger.commit(block, codes);
      return { block, codes: result.validationCodes };
    },
    reopen() {
      f.manager.close();
      f.provider = makeProvider(dir);
      f.manager = new LedgerManagerImpl(f.provider, options);
      f.ledger = f.manager.open('ch1');
    },
    close() {
      f.manager.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return f;
}

export const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
export const str = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : Buffer.from(b).toString('utf8'));

/** A CONFIG transaction of channel `ch1` whose payload data stands for the ConfigEnvelope: the ledger keeps those bytes as they are. */
export function configTx(txId: string, configEnvelope: string): Uint8Array {
  const env = Envelope.deserializeBinary(buildRwSetEnvelope({ txId, rwset: new Uint8Array(0), channelId: 'ch1', type: HeaderType.CONFIG }));
  const payload = Payload.deserializeBinary(env.getPayload_asU8());
  payload.setData(utf8(configEnvelope));
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}
