import * as fs from 'node:fs';
import { labelSets, sample } from '../../support/prometheus-text';
import * as path from 'node:path';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import {
  abClient,
  adminRequest,
  batchSizeUpdate,
  broadcast,
  clientSigner,
  deliver,
  envelopeTxId,
  generateMaterial,
  genesisBlock,
  ordererAdminSigner,
  seekEnvelope,
  tmpDir,
  txEnvelope,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';

/** Fabric's metric types (`docs/source/metrics_reference.rst`) of the orderer components Weft has. */
const ORDERER_METRIC_TYPES = {
  blockcutter_block_fill_duration: 'histogram',
  broadcast_enqueue_duration: 'histogram',
  broadcast_processed_count: 'counter',
  broadcast_validate_duration: 'histogram',
  deliver_blocks_sent: 'counter',
  deliver_requests_completed: 'counter',
  deliver_requests_received: 'counter',
  deliver_streams_closed: 'counter',
  deliver_streams_opened: 'counter',
  fabric_version: 'gauge',
  grpc_comm_conn_closed: 'counter',
  grpc_comm_conn_opened: 'counter',
  grpc_server_stream_messages_received: 'counter',
  grpc_server_stream_messages_sent: 'counter',
  grpc_server_stream_request_duration: 'histogram',
  grpc_server_stream_requests_completed: 'counter',
  grpc_server_stream_requests_received: 'counter',
  grpc_server_unary_request_duration: 'histogram',
  grpc_server_unary_requests_completed: 'counter',
  grpc_server_unary_requests_received: 'counter',
  ledger_blockchain_height: 'gauge',
  ledger_blockstorage_commit_time: 'histogram',
  logging_entries_checked: 'counter',
  logging_entries_written: 'counter',
  participation_consensus_relation: 'gauge',
  participation_status: 'gauge',
} as const;

/** The `le` bounds of the first exported series of a histogram, in order. */
function bucketBounds(metrics: string, name: string): string[] {
  const first = labelSets(metrics, `${name}_bucket`)[0];
  const { le: _, ...series } = first;
  return labelSets(metrics, `${name}_bucket`)
    .filter((l) => Object.entries(series).every(([k, v]) => l[k] === v))
    .map((l) => l.le);
}

/** The orderer's operations endpoint (Fabric `Operations`): health, Prometheus metrics, version. */
describe('orderer operations endpoint', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let configFile: string;
  let dataDir: string;

  async function get(address: string, route: string): Promise<{ status: number; body: string }> {
    const res = await fetch(`http://${address}${route}`);
    return { status: res.status, body: await res.text() };
  }

  /** A histogram's `_count` for exactly these labels, or undefined when the series does not exist. */
  function histogramCount(metrics: string, name: string, labels: string): number | undefined {
    const line = metrics.split('\n').find((l) => l.startsWith(`${name}_count{${labels}} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
  }

  async function start(): Promise<{ grpcPort: number; adminPort: number; operations: string }> {
    node = new OrdererNode(loadOrdererConfig(configFile));
    const endpoints = await node.start();
    return { grpcPort: endpoints.grpcPort, adminPort: endpoints.adminPort!, operations: endpoints.operationsAddress! };
  }

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-operations-');
    m = await generateMaterial(dir);
    ({ configFile, dataDir } = writeNodeConfig(m, 'orderer0', { operations: true }));
  });

  afterAll(async () => {
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('counts Broadcast answers by channel, type and status, and reports channel heights and health', async () => {
    const { grpcPort, adminPort, operations } = await start();
    for (const channel of ['ch1', 'ch2']) {
      const joined = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, channel) });
      expect(joined.status).toBe(201);
    }
    const client = abClient(m, grpcPort);
    const signer = clientSigner(m);
    const answers = await broadcast(client, [txEnvelope(signer, 'ch1'), txEnvelope(signer, 'ch1'), txEnvelope(signer, 'no-such-channel'), Buffer.from('junk')]);
    client.close();
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 400]);

    const deliverClient = abClient(m, grpcPort);
    expect(await deliver(deliverClient, seekEnvelope(signer, 'ch2', 'oldest', 'oldest'))).toMatchObject({ blocks: [0], status: 200 });
    expect((await deliver(deliverClient, seekEnvelope(signer, 'no-such-channel', 'oldest', 'oldest'))).status).toBe(404);
    deliverClient.close();

    const metrics = (await get(operations, '/metrics')).body;
    expect(metrics).toContain('deliver_requests_received{channel="ch2",filtered="false",data_type="block"} 1');
    expect(metrics).toContain('deliver_requests_completed{channel="ch2",filtered="false",data_type="block",success="true"} 1');
    expect(metrics).toContain('deliver_blocks_sent{channel="ch2",filtered="false",data_type="block"} 1');
    // As Fabric's deliverBlocks: a request for a channel the node does not serve is in no request counter.
    expect(labelSets(metrics, 'deliver_requests_received')).toEqual([{ channel: 'ch2', filtered: 'false', data_type: 'block' }]);
    expect(labelSets(metrics, 'deliver_requests_completed')).toEqual([{ channel: 'ch2', filtered: 'false', data_type: 'block', success: 'true' }]);
    expect(metrics).toMatch(/deliver_streams_opened 2\n/);
    expect(metrics).toContain('broadcast_processed_count{channel="ch1",type="ENDORSER_TRANSACTION",status="SUCCESS"} 2');
    // An unknown channel is not a label value (any client could mint one per envelope): it is
    // Fabric's 'unknown', as are channel and type of an envelope whose channel header does not parse.
    expect(metrics).toContain('broadcast_processed_count{channel="unknown",type="ENDORSER_TRANSACTION",status="BAD_REQUEST"} 1');
    expect(metrics).toContain('broadcast_processed_count{channel="unknown",type="unknown",status="BAD_REQUEST"} 1');
    // Fabric times validation of every envelope, and enqueueing only of those that passed it.
    expect(metrics).toContain('# HELP broadcast_validate_duration The time to validate a transaction in seconds.');
    expect(metrics).toContain('# HELP broadcast_enqueue_duration The time to enqueue a transaction in seconds.');
    expect(histogramCount(metrics, 'broadcast_validate_duration', 'channel="ch1",type="ENDORSER_TRANSACTION",status="SUCCESS"')).toBe(2);
    expect(histogramCount(metrics, 'broadcast_enqueue_duration', 'channel="ch1",type="ENDORSER_TRANSACTION",status="SUCCESS"')).toBe(2);
    expect(histogramCount(metrics, 'broadcast_validate_duration', 'channel="unknown",type="ENDORSER_TRANSACTION",status="BAD_REQUEST"')).toBe(1);
    expect(histogramCount(metrics, 'broadcast_validate_duration', 'channel="unknown",type="unknown",status="BAD_REQUEST"')).toBe(1);
    expect(metrics).not.toMatch(/^broadcast_enqueue_duration_count\{[^}]*status="(NOT_FOUND|BAD_REQUEST)"/m);
    // The genesis block written when ch2 was joined is its only block so far.
    expect(histogramCount(metrics, 'ledger_blockstorage_commit_time', 'channel="ch2"')).toBe(1);
    expect(metrics).toContain('ledger_blockstorage_commit_time_bucket{le="0.015",channel="ch2"} ');
    expect(metrics).toMatch(/ledger_blockchain_height\{channel="ch2"\} 1\n/);
    expect(metrics).toMatch(/ledger_blockchain_height\{channel="ch1"\} [12]\n/);
    // An orderer's ledger is a block file alone, with its WAL: no state part.
    expect(labelSets(metrics, 'weft_ledger_disk_bytes')).toEqual(['ch1', 'ch2'].flatMap((channel) => [{ channel, db: 'blocks' }, { channel, db: 'wal' }]));
    expect(sample(metrics, 'weft_ledger_disk_bytes', { channel: 'ch2', db: 'blocks' })).toBe(fs.statSync(path.join(dataDir, 'ledgers', 'ch2.sqlite')).size);
    expect(metrics).toContain('participation_status{channel="ch1"} 1');
    // A solo orderer is its channels' one consenter.
    expect(metrics).toContain('participation_consensus_relation{channel="ch1"} 1');
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    // Fabric's types, for every metric of an orderer's components.
    for (const [name, type] of Object.entries(ORDERER_METRIC_TYPES)) expect(metrics).toContain(`# TYPE ${name} ${type}\n`);
    // Fabric's ledger buckets for the block store; Prometheus's default buckets for the rest.
    expect(bucketBounds(metrics, 'ledger_blockstorage_commit_time')).toEqual(['0.005', '0.01', '0.015', '0.05', '0.1', '1', '10', '+Inf']);
    const defaultBuckets = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
    for (const name of ['broadcast_validate_duration', 'broadcast_enqueue_duration', 'grpc_server_stream_request_duration']) expect(bucketBounds(metrics, name)).toEqual(defaultBuckets);

    expect(await get(operations, '/healthz')).toMatchObject({ status: 200 });
    expect(JSON.parse((await get(operations, '/version')).body)).toMatchObject({ Version: expect.any(String) });
  });

  it('times Broadcast validation and enqueueing by outcome, block filling per block cut and block commits', async () => {
    await node.stop();
    const { grpcPort, adminPort, operations } = await start();
    const batch = { maxMessageCount: 2, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 4096 };
    const joined = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, 'ch3', { batchSize: batch }) });
    expect(joined.status).toBe(201);
    const client = abClient(m, grpcPort);
    const signer = clientSigner(m);
    const admin = ordererAdminSigner(m);
    // tx3 is over PreferredMaxBytes: a block of its own, which Fabric records as filled in no time.
    const txs = Array.from({ length: 8 }, (_, i) => txEnvelope(signer, 'ch3', i === 3 ? 5000 : 256));
    const answers = await broadcast(client, [
      txs[0]!,
      txs[1]!,
      txs[2]!,
      txs[0]!, // sent again: answered as its first copy, not ordered twice
      batchSizeUpdate('ch3', { ...batch, maxMessageCount: 3 }, [signer], signer), // not the orderer admin
      batchSizeUpdate('ch3', { ...batch, maxMessageCount: 3 }, [admin], admin), // cuts [tx2], then a config block
      ...txs.slice(3),
      txEnvelope(signer, 'ch3', 16, 99), // no such header type
    ]);
    // The update not signed by the orderer admin fails its mod_policy: BAD_REQUEST, as Fabric answers it.
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 400, 200, 200, 200, 200, 200, 200, 400]);

    const txIds = new Set(txs.map(envelopeTxId));
    const lastTxId = envelopeTxId(txs[7]!);
    const chain = await deliver(client, seekEnvelope(signer, 'ch3', 'oldest', 'max'), undefined, (ids) => ids.some((b) => b.includes(lastTxId)));
    client.close();
    const blocksWithTxs = chain.txIds.filter((ids) => ids.some((id) => txIds.has(id))).length;
    // MaxMessageCount, the config update and tx3's size force at least [tx0 tx1] [tx2] [tx3] [tx4 tx5 tx6] [tx7].
    expect(blocksWithTxs).toBeGreaterThanOrEqual(5);

    const metrics = (await get(operations, '/metrics')).body;
    const count = (name: string, labels: string): number | undefined => histogramCount(metrics, name, labels);
    for (const name of ['broadcast_validate_duration', 'broadcast_enqueue_duration']) {
      expect(count(name, 'channel="ch3",type="CONFIG_UPDATE",status="SUCCESS"')).toBe(1);
    }
    // The copy sent again never reached the chain: validated, not enqueued.
    expect(count('broadcast_validate_duration', 'channel="ch3",type="ENDORSER_TRANSACTION",status="SUCCESS"')).toBe(9);
    expect(count('broadcast_enqueue_duration', 'channel="ch3",type="ENDORSER_TRANSACTION",status="SUCCESS"')).toBe(8);
    expect(count('broadcast_validate_duration', 'channel="ch3",type="CONFIG_UPDATE",status="BAD_REQUEST"')).toBe(1);
    expect(count('broadcast_validate_duration', 'channel="ch3",type="UNKNOWN",status="BAD_REQUEST"')).toBe(1);
    expect(metrics).not.toMatch(/^broadcast_enqueue_duration_count\{channel="ch3",[^}]*status="(BAD_REQUEST|FORBIDDEN)"/m);
    expect(metrics).toContain('broadcast_processed_count{channel="ch3",type="UNKNOWN",status="BAD_REQUEST"} 1');

    expect(metrics).toContain('# HELP blockcutter_block_fill_duration The time from first transaction enqueuing to the block being cut in seconds.');
    expect(count('blockcutter_block_fill_duration', 'channel="ch3"')).toBe(blocksWithTxs);
    // Every block of the chain, the genesis block written on join and the config block included.
    expect(chain.blocks).toHaveLength(blocksWithTxs + 2);
    expect(count('ledger_blockstorage_commit_time', 'channel="ch3"')).toBe(chain.blocks.length);
    expect(metrics).toContain('# HELP ledger_blockstorage_commit_time Time taken in seconds for committing the block to storage.');

    // Fabric's gRPC server metrics of the restarted orderer: one Broadcast stream of 12 envelopes and
    // 12 answers, one Deliver stream with one request.
    const broadcastCall = { service: 'orderer_AtomicBroadcast', method: 'Broadcast' };
    const deliverCall = { service: 'orderer_AtomicBroadcast', method: 'Deliver' };
    expect(sample(metrics, 'grpc_server_stream_requests_received', broadcastCall)).toBe(1);
    expect(sample(metrics, 'grpc_server_stream_messages_received', broadcastCall)).toBe(12);
    expect(sample(metrics, 'grpc_server_stream_messages_sent', broadcastCall)).toBe(12);
    expect(sample(metrics, 'grpc_server_stream_requests_received', deliverCall)).toBe(1);
    expect(sample(metrics, 'grpc_server_stream_messages_received', deliverCall)).toBe(1);
    // The client's connection to the restarted orderer, closed once the client was.
    expect(sample(metrics, 'grpc_comm_conn_opened')).toBeGreaterThanOrEqual(1);
    expect(sample(metrics, 'grpc_comm_conn_closed')).toBeLessThanOrEqual(sample(metrics, 'grpc_comm_conn_opened'));
  });

  it('is unhealthy, naming the channel, when a channel cannot be served', async () => {
    await node.stop();
    // A foreign file in place of ch2's block store: the channel fails to open, the orderer still starts.
    fs.writeFileSync(path.join(dataDir, 'ledgers', 'ch2.sqlite'), Buffer.alloc(8192, 7));
    fs.rmSync(path.join(dataDir, 'ledgers', 'ch2.sqlite-wal'), { force: true });
    fs.rmSync(path.join(dataDir, 'ledgers', 'ch2.sqlite-shm'), { force: true });
    const { operations } = await start();
    const health = await get(operations, '/healthz');
    expect(health.status).toBe(503);
    expect(health.body).toMatch(/channels not serving: ch2 \(.*(damaged|not a database|LEDGER_CORRUPT|corrupt).*\)/i);
    const metrics = (await get(operations, '/metrics')).body;
    expect(metrics).toContain('participation_status{channel="ch2"} 3');
    expect(metrics).toContain('participation_status{channel="ch1"} 1');
    expect(metrics).toContain('participation_consensus_relation{channel="ch2"} 1');
  });
});
