import * as fs from 'node:fs';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { CommitError, type Gateway, GatewayError, StatusCode, checkpointers } from '@hyperledger/fabric-gateway';
import { CHANNEL, gatewayFor } from '../integration/peer/network-fixture';
import { type ProcessNetwork, startProcessNetwork } from './process-network';

const utf8 = new TextDecoder();

/**
 * The acceptance test of the peer issue: the official `@hyperledger/fabric-gateway` client,
 * unchanged, against a 2-org network of real Weft processes (one orderer, one peer per org, TLS,
 * MAJORITY endorsement).
 */
describe('fabric-gateway client against a 2-org network of Weft processes', () => {
  let net: ProcessNetwork;
  let client: grpc.Client;
  let gateway: Gateway;

  beforeAll(async () => {
    // Fabric's variable, read by a Weft peer as its logging spec: the file says `silent`.
    net = await startProcessNetwork({ batchTimeout: '1s', peerEnv: { FABRIC_LOGGING_SPEC: 'silent:peer.chaincode.kv=info' } });
    client = net.client(0);
    gateway = gatewayFor(net.m.orgs[0], client);
  }, 240_000);

  afterAll(async () => {
    gateway?.close();
    client?.close();
    await net?.stop();
  }, 60_000);

  it('submitTransaction commits on both orgs and evaluateTransaction reads it back', async () => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    expect(utf8.decode(await contract.submitTransaction('Put', 'k1', 'v1'))).toBe('v1');
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'k1'))).toBe('v1');

    const client2 = net.client(1);
    const gateway2 = gatewayFor(net.m.orgs[1], client2);
    try {
      const other = gateway2.getNetwork(CHANNEL).getContract('kv');
      await expect(pollValue(() => other.evaluateTransaction('Get', 'k1'))).resolves.toBe('v1');
    } finally {
      gateway2.close();
      client2.close();
    }
  }, 60_000);

  it("writes the chaincode's log entries to each endorsing peer's log, under the spec FABRIC_LOGGING_SPEC gives", async () => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const commit = await contract.submitAsync('Put', { arguments: ['logged-key', 'v'] });
    await commit.getStatus();
    for (const peer of net.peers) {
      const entries = peer.stderrTail
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      // The spec silences everything but the chaincode's own logger.
      expect(entries.find((e) => e.msg === 'put logged-key')).toMatchObject({ level: 30, component: 'peer.chaincode.kv', channel: CHANNEL, txId: commit.getTransactionId(), logger: 'KvEvents' });
      expect(entries.filter((e) => e.component !== 'peer.chaincode.kv')).toEqual([]);
    }
  }, 60_000);

  it('submitAsync returns the result at once and getStatus reports the commit', async () => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const submitted = await contract.submitAsync('Put', { arguments: ['k2', 'v2'] });
    expect(utf8.decode(submitted.getResult())).toBe('v2');
    const status = await submitted.getStatus();
    expect(status).toMatchObject({ successful: true, code: StatusCode.VALID, transactionId: submitted.getTransactionId() });
    expect(status.blockNumber).toBeGreaterThan(0n);
  }, 60_000);

  it('reports a chaincode error message to the client with the endorser that produced it', async () => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    const err = (await contract.evaluateTransaction('Get', 'missing').catch((e: unknown) => e)) as GatewayError;
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.details).toEqual([{ address: expect.any(String), mspId: 'Org1MSP', message: expect.stringContaining('key missing does not exist') }]);
  }, 60_000);

  it('reports a conflicting update as a CommitError with MVCC_READ_CONFLICT', async () => {
    const contract = gateway.getNetwork(CHANNEL).getContract('kv');
    await contract.submitTransaction('Increment', 'counter');
    // Both read the same version; the second one in the block loses.
    const results = await Promise.allSettled([contract.submitTransaction('Increment', 'counter'), contract.submitTransaction('Increment', 'counter')]);
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(rejected).toHaveLength(1);
    const err = rejected[0].reason as CommitError;
    expect(err).toBeInstanceOf(CommitError);
    expect(err.code).toBe(StatusCode.MVCC_READ_CONFLICT);
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'counter'))).toBe('2');
  }, 60_000);

  it('streams chaincode events with a file checkpointer and resumes after a client restart', async () => {
    const file = path.join(net.dir, 'checkpoint.json');
    const network = gateway.getNetwork(CHANNEL);
    const start = (await network.getContract('kv').submitAsync('Put', { arguments: ['e0', 'x'] })).getStatus();
    const startBlock = (await start).blockNumber;

    const contract = network.getContract('kv');
    for (const i of [1, 2, 3]) await contract.submitTransaction('Put', `e${i}`, `v${i}`);

    // First client: read two events, checkpointing each, then "crash".
    let checkpointer = await checkpointers.file(file);
    const seen: string[] = [];
    let events = await network.getChaincodeEvents('kv', { checkpoint: checkpointer, startBlock });
    for await (const ev of events) {
      seen.push(JSON.parse(utf8.decode(ev.payload)).key as string);
      await checkpointer.checkpointChaincodeEvent(ev);
      if (seen.length === 2) break;
    }
    events.close();
    expect(seen).toEqual(['e0', 'e1']);

    // A restarted client: new connection, checkpointer re-read from the file.
    const client2 = net.client(0);
    const gateway2 = gatewayFor(net.m.orgs[0], client2);
    try {
      checkpointer = await checkpointers.file(file);
      events = await gateway2.getNetwork(CHANNEL).getChaincodeEvents('kv', { checkpoint: checkpointer, startBlock: 0n });
      for await (const ev of events) {
        expect(ev.eventName).toBe('Put');
        seen.push(JSON.parse(utf8.decode(ev.payload)).key as string);
        await checkpointer.checkpointChaincodeEvent(ev);
        if (seen.length === 4) break;
      }
      events.close();
    } finally {
      gateway2.close();
      client2.close();
    }
    expect(seen).toEqual(['e0', 'e1', 'e2', 'e3']);
    expect(fs.existsSync(file)).toBe(true);
  }, 90_000);

  it('streams blocks and filtered blocks from the peer', async () => {
    const network = gateway.getNetwork(CHANNEL);
    const blocks = await network.getBlockEvents({ startBlock: 0n });
    const numbers: bigint[] = [];
    for await (const block of blocks) {
      numbers.push(BigInt(block.getHeader()?.getNumber() ?? -1));
      if (numbers.length === 3) break;
    }
    blocks.close();
    expect(numbers).toEqual([0n, 1n, 2n]);

    const submitted = await network.getContract('kv').submitAsync('Put', { arguments: ['fb', 'x'] });
    const { blockNumber } = await submitted.getStatus();
    const filtered = await network.getFilteredBlockEvents({ startBlock: blockNumber });
    for await (const fb of filtered) {
      expect(fb.getNumber()).toBe(Number(blockNumber));
      const tx = fb.getFilteredTransactionsList().find((t) => t.getTxid() === submitted.getTransactionId());
      expect(tx?.getTxValidationCode()).toBe(StatusCode.VALID);
      const event = tx?.getTransactionActions()?.getChaincodeActionsList()[0]?.getChaincodeEvent();
      expect(event?.getEventName()).toBe('Put');
      expect(event?.getPayload_asU8()).toHaveLength(0);
      break;
    }
    filtered.close();
  }, 60_000);
});

async function pollValue(read: () => Promise<Uint8Array>, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      return utf8.decode(await read());
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
