import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import {
  abClient,
  adminRequest,
  broadcast,
  clientSigner,
  deliver,
  generateMaterial,
  genesisBlock,
  seekEnvelope,
  tmpDir,
  txEnvelope,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';

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
    expect(answers.map((a) => a.status)).toEqual([200, 200, 404, 400]);

    const deliverClient = abClient(m, grpcPort);
    expect(await deliver(deliverClient, seekEnvelope(signer, 'ch2', 'oldest', 'oldest'))).toMatchObject({ blocks: [0], status: 200 });
    expect((await deliver(deliverClient, seekEnvelope(signer, 'no-such-channel', 'oldest', 'oldest'))).status).toBe(404);
    deliverClient.close();

    const metrics = (await get(operations, '/metrics')).body;
    expect(metrics).toContain('deliver_requests_received{channel="ch2",filtered="false",data_type="block"} 1');
    expect(metrics).toContain('deliver_requests_completed{channel="ch2",filtered="false",data_type="block",success="true"} 1');
    expect(metrics).toContain('deliver_blocks_sent{channel="ch2",filtered="false",data_type="block"} 1');
    expect(metrics).toContain('deliver_requests_completed{channel="",filtered="false",data_type="block",success="false"} 1');
    expect(metrics).toMatch(/deliver_streams_opened 2\n/);
    expect(metrics).toContain('broadcast_processed_count{channel="ch1",type="ENDORSER_TRANSACTION",status="SUCCESS"} 2');
    // An unknown channel is not a label value: any client could mint one per envelope.
    expect(metrics).toContain('broadcast_processed_count{channel="",type="ENDORSER_TRANSACTION",status="NOT_FOUND"} 1');
    expect(metrics).toContain('broadcast_processed_count{channel="",type="",status="BAD_REQUEST"} 1');
    expect(metrics).toMatch(/ledger_blockchain_height\{channel="ch2"\} 1\n/);
    expect(metrics).toMatch(/ledger_blockchain_height\{channel="ch1"\} [12]\n/);
    expect(metrics).toContain('participation_status{channel="ch1"} 1');
    expect(metrics).toMatch(/^nodejs_heap_size_used_bytes \d+/m);

    expect(await get(operations, '/healthz')).toMatchObject({ status: 200 });
    expect(JSON.parse((await get(operations, '/version')).body)).toMatchObject({ Version: expect.any(String) });
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
    expect(health.body).toMatch(/channels not serving: ch2/);
    const metrics = (await get(operations, '/metrics')).body;
    expect(metrics).toContain('participation_status{channel="ch2"} 3');
    expect(metrics).toContain('participation_status{channel="ch1"} 1');
  });
});
