import * as fs from 'node:fs';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import type { Signer } from '../../../core/protocol/signer';
import { resignSigned } from '../../support/fuzz-signing';
import { mutateMessage, rewriteAt } from '../../support/protobuf-mutator';
import { seededRandom } from '../../support/seeded-random';
import { configUpdate } from '../peer/config-updates';
import {
  type Material,
  abClient,
  adminRequest,
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
} from './orderer-fixture';

const ENVELOPES = 300;
const SEEKS = 100;
/** Envelope, Payload, ChannelHeader, SignatureHeader, data, and inside a config update its signatures and update. */
const LAYERS = [[], [1], [1, 1, 1], [1, 1, 2], [1, 2], [1, 2, 1], [1, 2, 2], [1, 2, 1, 2], [1, 2, 1, 3]];
const FAULT = /TypeError|RangeError|ReferenceError|is not a function|Cannot read properties|Maximum call stack/;

/**
 * The orderer's Broadcast and Deliver against hostile envelopes: transactions and config updates
 * with a random change at some layer, mostly re-signed by their sender. Every envelope gets one
 * answer on the stream, none of them an internal error, every refusal says why in bounded text, and
 * the orderer keeps ordering and delivering afterwards.
 */
describe('Broadcast and Deliver under mutated envelopes', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let client: AtomicBroadcastClient;
  let genesis: Uint8Array;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-fuzz-');
    m = await generateMaterial(dir);
    node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0').configFile));
    const { grpcPort, adminPort } = await node.start();
    client = abClient(m, grpcPort);
    genesis = genesisBlock(m, 'fz', { batchTimeout: '50ms' });
    expect((await adminRequest(m, adminPort as number, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesis })).status).toBe(201);
  });

  afterAll(async () => {
    client?.close();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it(`answers ${ENVELOPES} mutated envelopes and ${SEEKS} mutated seeks without an internal error, then orders and delivers as before`, async () => {
    const rnd = seededRandom(0x0bd3);
    const user = clientSigner(m);
    const admins = [ordererAdminSigner(m), clientSigner(m, 'Admin')];
    const current = parseConfigBlock(genesis).config;
    const mutate = (envelope: Uint8Array, signer: Signer): Uint8Array => {
      const layer = LAYERS[Math.floor(rnd() * LAYERS.length)];
      const mutated = layer.length === 0 ? mutateMessage(envelope, rnd) : rewriteAt(envelope, layer, (b) => mutateMessage(b, rnd, 0.6));
      return rnd() < 0.85 ? resignSigned(mutated, signer) : mutated;
    };
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < ENVELOPES; i++) {
      const signer = rnd() < 0.5 ? user : admins[0];
      if (rnd() < 0.5) {
        envelopes.push(mutate(txEnvelope(signer, 'fz', 64), signer));
        continue;
      }
      const next = current.clone();
      next.getChannelGroup()?.getGroupsMap().get('Orderer')?.getValuesMap().get('BatchTimeout')?.setValue(Buffer.from([0x0a, 0x04, ...Buffer.from('60ms')])); // BatchTimeout{timeout: "60ms"}
      envelopes.push(mutate(configUpdate('fz', current, next, admins, signer), signer));
    }
    const answers = await broadcast(client, envelopes);
    expect(answers).toHaveLength(ENVELOPES);
    const statuses = new Set(answers.map((a) => a.status));
    expect(statuses.has(Status.INTERNAL_SERVER_ERROR)).toBe(false);
    expect([...statuses].sort()).toEqual(expect.arrayContaining([Status.SUCCESS, Status.BAD_REQUEST, Status.FORBIDDEN]));
    for (const a of answers.filter((x) => x.status !== Status.SUCCESS)) {
      expect(a.info).not.toBe('');
      expect(a.info).not.toMatch(FAULT);
      expect(a.info.length).toBeLessThan(1100);
    }

    const seekStatuses = new Set<number | undefined>();
    for (let i = 0; i < SEEKS; i++) {
      const seek = mutate(seekEnvelope(user, 'fz', rnd() < 0.5 ? 'oldest' : 'newest', 'newest', 'fail'), user);
      seekStatuses.add((await deliver(client, seek)).status);
    }
    const answered: readonly (number | undefined)[] = [Status.SUCCESS, Status.BAD_REQUEST, Status.FORBIDDEN, Status.NOT_FOUND];
    expect([...seekStatuses].filter((s) => !answered.includes(s))).toEqual([]);
    expect(seekStatuses.size).toBeGreaterThanOrEqual(3);

    const ok = txEnvelope(user, 'fz', 64);
    expect(await broadcast(client, [ok])).toEqual([{ status: Status.SUCCESS, info: '' }]);
    const delivered = await deliver(client, seekEnvelope(user, 'fz', 'oldest', 'max'), undefined, (ids) => ids.flat().includes(envelopeTxId(ok)));
    expect(delivered.txIds.flat()).toContain(envelopeTxId(ok));
  }, 120_000);
});
