import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BatchTimeout } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { configUpdate } from '../peer/config-updates';
import {
  abClient,
  adminRequest,
  broadcast,
  clientSigner,
  deliver,
  envelopeTxId,
  fetchBlock,
  generateMaterial,
  genesisBlock,
  ordererAdminSigner,
  seekEnvelope,
  tmpDir,
  txEnvelope,
  waitForTxIds,
  writeNodeConfig,
} from './orderer-fixture';

/**
 * A channel removed and created again under the same name starts from its new genesis block
 * alone: nothing the removed channel accepted is ordered into it, even when a crash left the
 * removed channel's consenter state (its solo WAL) on disk.
 */
describe('re-joining a removed channel', () => {
  let dir: string;

  beforeAll(() => {
    dir = tmpDir('weft-orderer-rejoin-');
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('orders none of the removed channel\'s messages after a crash left its WAL behind', async () => {
    const m = await generateMaterial(dir);
    const files = writeNodeConfig(m, 'orderer0');
    const signer = clientSigner(m);
    const admin = ordererAdminSigner(m);
    let node = new OrdererNode(loadOrdererConfig(files.configFile));
    let ports = await node.start();
    let client = abClient(m, ports.grpcPort);
    try {
      const genesisA = genesisBlock(m, 'reborn');
      expect((await adminRequest(m, ports.adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisA })).status).toBe(201);
      const oldTx = txEnvelope(signer, 'reborn');
      expect((await broadcast(client, [oldTx]))[0]!.status).toBe(Status.SUCCESS);
      await waitForTxIds(client, signer, 'reborn', [envelopeTxId(oldTx)]);
      const current = parseConfigBlock(genesisA).config;
      const next = current.clone();
      const timeout = new BatchTimeout();
      timeout.setTimeout('9s');
      next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setValue(timeout.serializeBinary());
      expect((await broadcast(client, [configUpdate('reborn', current, next, [admin], admin)]))[0]!.status).toBe(Status.SUCCESS);
      await fetchBlock(client, signer, 'reborn', 2);

      // The removed channel's consenter state, as a crash in the middle of the removal leaves it.
      const consenterDir = path.join(files.dataDir, 'orderer', 'consenter', 'reborn');
      const saved = path.join(dir, 'saved-consenter');
      fs.cpSync(consenterDir, saved, { recursive: true });
      expect((await adminRequest(m, ports.adminPort!, 'DELETE', '/participation/v1/channels/reborn')).status).toBe(204);
      client.close();
      await node.stop();
      fs.cpSync(saved, consenterDir, { recursive: true });
      expect(fs.statSync(path.join(consenterDir, 'solo', 'solo.wal')).size).toBeGreaterThan(0);

      node = new OrdererNode(loadOrdererConfig(files.configFile));
      ports = await node.start();
      client = abClient(m, ports.grpcPort);
      const genesisB = genesisBlock(m, 'reborn', { batchSize: { maxMessageCount: 1, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 } });
      expect((await adminRequest(m, ports.adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisB })).status).toBe(201);
      const newTx = txEnvelope(signer, 'reborn');
      expect((await broadcast(client, [newTx]))[0]!.status).toBe(Status.SUCCESS);
      // Replayed messages would be ordered ahead of it, one per block.
      expect(await waitForTxIds(client, signer, 'reborn', [envelopeTxId(newTx)])).toEqual([1]);
      // No config block either: the channel runs the config of its new genesis block.
      expect((await deliver(client, seekEnvelope(signer, 'reborn', 'oldest', 'newest'))).blocks).toEqual([0, 1]);
    } finally {
      client.close();
      await node.stop();
    }
  }, 60_000);
});
