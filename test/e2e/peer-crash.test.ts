import type * as grpc from '@grpc/grpc-js';
import { type Contract, type Gateway } from '@hyperledger/fabric-gateway';
import { BlockchainInfo } from '@hyperledger/fabric-protos/lib/common/ledger_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { CHANNEL, eventually, gatewayFor } from '../integration/peer/network-fixture';
import { type ProcessNetwork, startProcessNetwork } from './process-network';

const utf8 = new TextDecoder();

/**
 * Reliability: a peer killed with SIGKILL while transactions flow restarts, recovers its ledger,
 * catches up from the orderer, and ends with the same blocks (hash chain) and state as the other
 * peer, with no transaction committed twice.
 */
describe('a peer killed during load', () => {
  let net: ProcessNetwork;
  const clients: grpc.Client[] = [];
  const gateways: Gateway[] = [];

  beforeAll(async () => {
    net = await startProcessNetwork({ batchTimeout: '100ms' });
  }, 240_000);

  afterAll(async () => {
    for (const g of gateways) g.close();
    for (const c of clients) c.close();
    await net?.stop();
  }, 60_000);

  function connect(i: 0 | 1): Gateway {
    const client = net.client(i);
    clients.push(client);
    const g = gatewayFor(net.m.orgs[i], client);
    gateways.push(g);
    return g;
  }

  it('recovers, catches up and converges to the same chain and state', async () => {
    // Load goes through org2's gateway; every transaction needs org1's peer too (MAJORITY).
    const contract = connect(1).getNetwork(CHANNEL).getContract('kv');
    const committed = new Map<string, string>();
    let running = true;
    let n = 0;
    const worker = async (): Promise<void> => {
      while (running) {
        const key = `crash-${n++}`;
        try {
          await contract.submitTransaction('Put', key, `v-${key}`);
          committed.set(key, `v-${key}`);
        } catch {
          // Expected while org1's peer is down.
        }
      }
    };
    const workers = [worker(), worker(), worker(), worker()];
    await eventually(() => expect(committed.size).toBeGreaterThan(10), 30_000);
    await net.restartPeer(0, { kill: true, downMs: 500 });
    const before = committed.size;
    await eventually(() => expect(committed.size).toBeGreaterThan(before + 10), 60_000);
    running = false;
    await Promise.all(workers);

    const [g0, g1] = [connect(0), connect(1)];
    const info = async (g: Gateway): Promise<{ height: number; hash: string }> => {
      const bytes = await g.getNetwork(CHANNEL).getContract('qscc').evaluateTransaction('GetChainInfo', CHANNEL);
      const bi = BlockchainInfo.deserializeBinary(bytes);
      return { height: bi.getHeight(), hash: Buffer.from(bi.getCurrentblockhash_asU8()).toString('hex') };
    };
    const [i0, i1] = await eventually(async () => {
      const pair = [await info(g0), await info(g1)];
      expect(pair[0]).toEqual(pair[1]);
      return pair;
    }, 60_000);
    expect(i0.height).toBeGreaterThan(3);
    expect(i1.hash).toHaveLength(64);

    // Same state on both peers for everything the client saw committed.
    const read = (c: Contract, key: string): Promise<string> => c.evaluateTransaction('Get', key).then((b) => utf8.decode(b));
    const c0 = g0.getNetwork(CHANNEL).getContract('kv');
    const c1 = g1.getNetwork(CHANNEL).getContract('kv');
    for (const [key, value] of committed) {
      expect(await read(c0, key)).toBe(value);
      expect(await read(c1, key)).toBe(value);
    }

    // No transaction id is valid twice in the restarted peer's chain.
    const blocks = await g0.getNetwork(CHANNEL).getFilteredBlockEvents({ startBlock: 0n });
    const valid = new Set<string>();
    let duplicates = 0;
    for await (const fb of blocks) {
      for (const tx of fb.getFilteredTransactionsList()) {
        if (tx.getTxValidationCode() !== TxValidationCode.VALID) continue;
        if (valid.has(tx.getTxid())) duplicates++;
        valid.add(tx.getTxid());
      }
      if (fb.getNumber() >= i0.height - 1) break;
    }
    blocks.close();
    expect(duplicates).toBe(0);
  }, 240_000);
});
