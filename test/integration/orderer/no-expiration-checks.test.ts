import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { parse, stringify } from 'yaml';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { loadMspConfig, TestOrg, type TestIdentity } from '../../../plugins/msp-x509';
import {
  abClient,
  adminRequest,
  broadcast,
  clientSigner,
  deliver,
  envelopeTxId,
  generateMaterial,
  genesisBlock,
  seekEnvelope,
  testIdentitySigner,
  tmpDir,
  txEnvelope,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';

const DAY = 24 * 3600 * 1000;

/**
 * Fabric's `General.Authentication.NoExpirationChecks` (orderer.yaml): the orderer leaves the
 * expiration rule out of its broadcast filters (msgprocessor/standardchannel.go) and its Deliver
 * handler ignores the client's expiry (`deliver.NewHandler(..., expirationCheckDisabled)`). Without
 * it, Deliver reads the expiry from the creator's bytes once (`crypto.ExpiresAt`) and ends a stream
 * at the first block after it (`SessionAccessControl.Evaluate`).
 */
describe('orderer.noExpirationChecks (two orderers over gRPC, one with the setting)', () => {
  let dir: string;
  let m: Material;
  let strict: OrdererNode;
  let lenient: OrdererNode;
  let strictClient: AtomicBroadcastClient;
  let lenientClient: AtomicBroadcastClient;
  let org2: TestOrg;
  let expired: TestIdentity;

  async function startJoined(name: string, env: Record<string, string>): Promise<{ node: OrdererNode; client: AtomicBroadcastClient }> {
    const node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, name).configFile, env));
    const { grpcPort, adminPort } = await node.start();
    const block = genesisBlock(m, 'ch1', {
      applicationOrgs: [
        { mspId: 'Org1MSP', mspConfig: loadMspConfig(m.peerOrg.mspDir, 'Org1MSP') },
        { mspId: 'Org2MSP', mspConfig: org2.mspConfig() },
      ],
    });
    expect((await adminRequest(m, adminPort!, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: block })).status).toBe(201);
    return { node, client: abClient(m, grpcPort) };
  }

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-no-expiration-checks-');
    m = await generateMaterial(dir);
    org2 = await TestOrg.create({ mspId: 'Org2MSP' });
    expired = await org2.issue('expired', { role: 'client', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) });
    ({ node: strict, client: strictClient } = await startJoined('strict', {}));
    // Set as Fabric's integration tests set it: from the environment.
    ({ node: lenient, client: lenientClient } = await startJoined('lenient', { WEFT_ORDERER_NOEXPIRATIONCHECKS: 'true' }));
  }, 60_000);

  afterAll(async () => {
    strictClient?.close();
    lenientClient?.close();
    await strict?.stop();
    await lenient?.stop();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('orders an expired creator\'s envelope only on the orderer with noExpirationChecks', async () => {
    const [refused] = await broadcast(strictClient, [txEnvelope(testIdentitySigner(expired), 'ch1')]);
    expect(refused!.status).toBe(Status.BAD_REQUEST);
    expect(refused!.info).toMatch(/^broadcast client identity expired/);
    expect(await broadcast(lenientClient, [txEnvelope(testIdentitySigner(expired), 'ch1')])).toEqual([{ status: Status.SUCCESS, info: '' }]);
  });

  it('serves Deliver to an expired client only on the orderer with noExpirationChecks', async () => {
    const request = () => seekEnvelope(testIdentitySigner(expired), 'ch1', 'oldest', 'oldest');
    expect(await deliver(strictClient, request())).toMatchObject({ blocks: [], status: Status.FORBIDDEN });
    expect(await deliver(lenientClient, request())).toMatchObject({ blocks: [0], status: Status.SUCCESS });
  });

  it('ends an open Deliver stream at the first block after the client expired, unless noExpirationChecks', async () => {
    // X.509 times have whole seconds.
    const expiringAt = new Date(Math.ceil(Date.now() / 1000) * 1000 + 4000);
    const expiring = await org2.issue('expiring', { role: 'client', notBefore: new Date(Date.now() - DAY), notAfter: expiringAt });
    const before = txEnvelope(clientSigner(m), 'ch1');
    const after = txEnvelope(clientSigner(m), 'ch1');
    const [beforeId, afterId] = [envelopeTxId(before), envelopeTxId(after)];
    const follow = (client: AtomicBroadcastClient) =>
      deliver(client, seekEnvelope(testIdentitySigner(expiring), 'ch1', 'oldest', 'max'), undefined, (blocks) => blocks.some((ids) => ids.includes(afterId)));
    const onStrict = follow(strictClient);
    const onLenient = follow(lenientClient);
    // One transaction reaches both streams before the expiry, the other after it.
    for (const client of [strictClient, lenientClient]) expect(await broadcast(client, [before])).toEqual([{ status: Status.SUCCESS, info: '' }]);
    await new Promise((r) => setTimeout(r, expiringAt.getTime() - Date.now() + 1000));
    for (const client of [strictClient, lenientClient]) expect(await broadcast(client, [after])).toEqual([{ status: Status.SUCCESS, info: '' }]);
    const strictOut = await onStrict;
    expect(strictOut.status).toBe(Status.FORBIDDEN);
    expect(strictOut.txIds.flat()).toContain(beforeId);
    expect(strictOut.txIds.flat()).not.toContain(afterId);
    const lenientOut = await onLenient;
    expect(lenientOut.status).toBeUndefined();
    expect(lenientOut.txIds.flat()).toEqual(expect.arrayContaining([beforeId, afterId]));
  }, 30_000);

  it('is a boolean, refused with the field named otherwise', () => {
    const file = writeNodeConfig(m, 'badvalue').configFile;
    expect(() => loadOrdererConfig(file, { WEFT_ORDERER_NOEXPIRATIONCHECKS: 'sometimes' })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/orderer\.noExpirationChecks/) }),
    );
    const yaml = path.join(m.dir, 'badvalue', 'quoted.yaml');
    const config = parse(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
    fs.writeFileSync(yaml, stringify({ ...config, orderer: { ...config.orderer, noExpirationChecks: 'yes' } }));
    expect(() => loadOrdererConfig(yaml)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringMatching(/orderer\.noExpirationChecks/) }));
    expect(loadOrdererConfig(file).orderer.noExpirationChecks).toBe(false);
  });
});
