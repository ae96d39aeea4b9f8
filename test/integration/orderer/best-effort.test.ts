import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import Database from 'better-sqlite3';
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
} from './orderer-fixture';

/**
 * Deliver's `error_response` as Fabric's deliverBlocks treats it. A chain that failed (here its
 * block store cannot take block 2: another connection holds the write lock past SQLite's busy
 * timeout) ends STRICT requests with SERVICE_UNAVAILABLE, while BEST_EFFORT requests, which an
 * orderer catching up from another sends, still get every stored block; those end only when the
 * channel is removed.
 */
describe('Deliver BEST_EFFORT on a failed chain', () => {
  let dir: string;
  let node: OrdererNode | undefined;

  afterAll(async () => {
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('serves stored blocks to BEST_EFFORT requests until the channel is removed; STRICT ones are refused', async () => {
    dir = tmpDir('weft-best-effort-');
    const m = await generateMaterial(dir);
    const { configFile, dataDir } = writeNodeConfig(m, 'orderer0', { operations: true });
    node = new OrdererNode(loadOrdererConfig(configFile));
    const { grpcPort, adminPort: admin, operationsAddress } = await node.start();
    const adminPort = admin!;
    expect((await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesisBlock(m, 'ch1') })).status).toBe(201);
    const client = abClient(m, grpcPort);
    const signer = clientSigner(m);
    try {
      expect((await broadcast(client, [txEnvelope(signer, 'ch1')]))[0]!.status).toBe(Status.SUCCESS);
      expect((await deliver(client, seekEnvelope(signer, 'ch1', 1, 1))).blocks).toEqual([1]);

      const blocker = new Database(path.join(dataDir, 'ledgers', 'ch1.sqlite'), { timeout: 0 });
      blocker.exec('BEGIN EXCLUSIVE');
      try {
        expect((await broadcast(client, [txEnvelope(signer, 'ch1')]))[0]!.status).toBe(Status.SUCCESS);
        for (let tries = 0; (await fetch(`http://${operationsAddress!}/healthz`)).status !== 503; tries++) {
          if (tries === 100) throw new Error('the chain did not fail');
          await new Promise((r) => setTimeout(r, 200));
        }
      } finally {
        blocker.exec('ROLLBACK');
        blocker.close();
      }

      expect(await deliver(client, seekEnvelope(signer, 'ch1', 'oldest', 'newest'))).toMatchObject({ blocks: [], status: Status.SERVICE_UNAVAILABLE });
      const stored = await deliver(client, seekEnvelope(signer, 'ch1', 'oldest', 'newest', 'block', false, { bestEffort: true }));
      expect(stored).toMatchObject({ blocks: [0, 1], status: Status.SUCCESS });

      // A follower's stream waits past the stored blocks; removing the channel ends it.
      let storedSeen!: () => void;
      const waitingPastStored = new Promise<void>((resolve) => (storedSeen = resolve));
      const following = deliver(client, seekEnvelope(signer, 'ch1', 'oldest', 'max', 'block', false, { bestEffort: true }), undefined, (txIds) => {
        if (txIds.length === 2) storedSeen();
        return false;
      });
      await waitingPastStored;
      expect((await adminRequest(m, adminPort, 'DELETE', '/participation/v1/channels/ch1')).status).toBe(204);
      expect(await following).toMatchObject({ blocks: [0, 1], status: Status.SERVICE_UNAVAILABLE });
    } finally {
      client.close();
    }
  });
});
