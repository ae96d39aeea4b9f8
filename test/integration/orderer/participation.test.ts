import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { etcdraftConfigMetadata } from '../../../core/protocol/etcdraft-config';
import {
  abClient,
  adminRequest,
  broadcast,
  clientSigner,
  configBlockOf,
  deliver,
  generateMaterial,
  genesisBlock,
  seekEnvelope,
  tmpDir,
  txEnvelope,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';

/** One call osnadmin makes and what Fabric's orderer answered (the headers a client reads). */
interface FabricAnswer {
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

describe('orderer channel participation API (mutual TLS)', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let adminPort: number;
  let client: AtomicBroadcastClient;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-participation-');
    m = await generateMaterial(dir);
    node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0').configFile));
    const endpoints = await node.start();
    adminPort = endpoints.adminPort!;
    client = abClient(m, endpoints.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers osnadmin\'s calls on a configtxgen 2.5 channel block byte for byte as Fabric 2.5\'s orderer answered them', async () => {
    // Captured from a real Fabric 2.5.6 orderer (test/fixtures/fabric-2.5/orderer/README.md); the
    // join block is configtxgen's own (a solo profile of a cryptogen network), which Weft joins as is.
    const fixtures = path.join(__dirname, '../../fixtures/fabric-2.5/orderer');
    const block = fs.readFileSync(path.join(fixtures, 'solo-mychannel.block'));
    const fabric = JSON.parse(fs.readFileSync(path.join(fixtures, 'participation-answers.json'), 'utf8')) as FabricAnswer[];
    for (const call of fabric) {
      const body = call.method === 'POST' ? { field: 'config-block', bytes: block } : undefined;
      const res = await adminRequest(m, adminPort, call.method, call.path, body);
      const headers = Object.fromEntries(Object.keys(call.headers).map((h) => [h, res.headers[h]]));
      expect({ call: `${call.method} ${call.path}`, status: res.status, headers, body: res.text }).toEqual({
        call: `${call.method} ${call.path}`,
        status: call.status,
        headers: call.headers,
        body: call.body,
      });
    }
  });

  it('lists no channels before any join', async () => {
    const res = await adminRequest(m, adminPort, 'GET', '/participation/v1/channels');
    expect(res).toMatchObject({ status: 200, json: { systemChannel: null, channels: null } });
  });

  it('refuses a client without a certificate', async () => {
    await expect(adminRequest(m, adminPort, 'GET', '/participation/v1/channels', undefined, false)).rejects.toThrow();
  });

  it('joins with a genesis block, lists and shows the channel, and serves it', async () => {
    const joined = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, 'alpha') });
    expect(joined.status).toBe(201);
    expect(joined.json).toEqual({ name: 'alpha', url: '/participation/v1/channels/alpha', consensusRelation: 'consenter', status: 'active', height: 1 });

    const list = await adminRequest(m, adminPort, 'GET', '/participation/v1/channels');
    expect(list.json).toEqual({ systemChannel: null, channels: [{ name: 'alpha', url: '/participation/v1/channels/alpha' }] });

    const signer = clientSigner(m);
    const answers = await broadcast(client, [txEnvelope(signer, 'alpha')]);
    expect(answers).toEqual([{ status: Status.SUCCESS, info: '' }]);
    const out = await deliver(client, seekEnvelope(signer, 'alpha', 'oldest', 1));
    expect(out).toMatchObject({ blocks: [0, 1], status: Status.SUCCESS });

    const info = await adminRequest(m, adminPort, 'GET', '/participation/v1/channels/alpha');
    expect(info.json).toMatchObject({ name: 'alpha', status: 'active', height: 2 });
  });

  it('answers 405 when joining a channel that exists', async () => {
    const res = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, 'alpha') });
    expect(res.status).toBe(405);
    expect((res.json as { error: string }).error).toMatch(/already exists/);
  });

  it('answers 400 for a body that is not a config block, and for a missing form field', async () => {
    const garbage = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: Buffer.from('not a block') });
    expect(garbage.status).toBe(400);
    expect((garbage.json as { error: string }).error).toMatch(/cannot join/);
    const missing = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'other', bytes: genesisBlock(m, 'beta') });
    expect(missing.status).toBe(400);
    expect((missing.json as { error: string }).error).toMatch(/config-block/);
  });

  it('answers 400 to a join block for another consensus type or without an Application group, as Fabric does', async () => {
    const raft = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', {
      field: 'config-block',
      bytes: genesisBlock(m, 'raft', { consensusType: { type: 'kafka' } }),
    });
    expect(raft.status).toBe(400);
    expect((raft.json as { error: string }).error).toBe(
      'cannot join: channel raft: /Channel/Orderer/ConsensusType names consensus type "kafka", but this orderer\'s consenter orders "solo", "etcdraft" only',
    );
    // An etcdraft channel whose one consenter is another node: Weft's orderer orders alone and follows no one.
    const otherTls = fs.readFileSync(m.ordererOrg.users.Admin!.tlsCertPath);
    const elsewhere = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', {
      field: 'config-block',
      bytes: genesisBlock(m, 'raft', { consensusType: { type: 'etcdraft', metadata: etcdraftConfigMetadata([{ host: 'raft1', port: 7050, clientTlsCert: otherTls, serverTlsCert: otherTls }]) } }),
    });
    expect(elsewhere.status).toBe(400);
    expect((elsewhere.json as { error: string }).error).toMatch(
      /^cannot join: channel raft: \/Channel\/Orderer\/ConsensusType\.metadata names consenter raft1:7050, whose server TLS certificate has another public key .*Weft's orderer orders alone/,
    );
    const config = parseConfigBlock(genesisBlock(m, 'noapp')).config;
    config.getChannelGroup()!.getGroupsMap().del('Application');
    const noApp = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: configBlockOf('noapp', config) });
    expect(noApp.status).toBe(400);
    expect((noApp.json as { error: string }).error).toMatch(/must contain an application config/);
    const list = await adminRequest(m, adminPort, 'GET', '/participation/v1/channels');
    expect((list.json as { channels: { name: string }[] }).channels.map((c) => c.name)).toEqual(['alpha']);
  });

  it('answers 404 for an unknown channel', async () => {
    expect((await adminRequest(m, adminPort, 'GET', '/participation/v1/channels/nope')).status).toBe(404);
    expect((await adminRequest(m, adminPort, 'DELETE', '/participation/v1/channels/nope')).status).toBe(404);
  });

  it('removes a channel: open Deliver streams end SERVICE_UNAVAILABLE, it leaves the list, Broadcast answers BAD_REQUEST (channel does not exist)', async () => {
    await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, 'gamma') });
    let registered!: () => void;
    const streaming = new Promise<void>((resolve) => (registered = resolve));
    const watcher = deliver(client, seekEnvelope(clientSigner(m), 'gamma', 'oldest', 'max'), undefined, () => {
      registered();
      return false;
    });
    await streaming;
    const removed = await adminRequest(m, adminPort, 'DELETE', '/participation/v1/channels/gamma');
    expect(removed.status).toBe(204);
    expect(await watcher).toMatchObject({ blocks: [0], status: Status.SERVICE_UNAVAILABLE });
    const list = await adminRequest(m, adminPort, 'GET', '/participation/v1/channels');
    expect((list.json as { channels: { name: string }[] }).channels.map((c) => c.name)).toEqual(['alpha']);
    const [answer] = await broadcast(client, [txEnvelope(clientSigner(m), 'gamma')]);
    expect(answer).toEqual({ status: Status.BAD_REQUEST, info: 'channel "gamma" does not exist on this orderer' });
  });

  it('deletes a removed channel\'s ledger: rejoining starts a fresh chain', async () => {
    await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, 'delta') });
    expect((await broadcast(client, [txEnvelope(clientSigner(m), 'delta')]))[0]!.status).toBe(Status.SUCCESS);
    await deliver(client, seekEnvelope(clientSigner(m), 'delta', 1, 1));
    expect((await adminRequest(m, adminPort, 'DELETE', '/participation/v1/channels/delta')).status).toBe(204);
    const again = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', {
      field: 'config-block',
      bytes: genesisBlock(m, 'delta', { batchTimeout: '3s' }),
    });
    expect(again.status).toBe(201);
    expect(again.json).toMatchObject({ name: 'delta', height: 1 });
  });
});
