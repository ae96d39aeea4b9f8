import * as fs from 'node:fs';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import type { Signer } from '../../../core/protocol/signer';
import { configUpdate } from '../peer/config-updates';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import {
  abClient,
  adminRequest,
  batchSizeUpdate,
  broadcast,
  clientSigner,
  cutterSize,
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

const PREFERRED = 8192;
const ABSOLUTE = 64 * 1024;

describe('block cutting end to end (Broadcast → blocks → Deliver), with a config update', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let client: AtomicBroadcastClient;
  let signer: Signer;
  let base: number;
  let adminPort: number;

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-cutting-');
    m = await generateMaterial(dir);
    node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0').configFile));
    const endpoints = await node.start();
    const grpcPort = endpoints.grpcPort;
    adminPort = endpoints.adminPort as number;
    client = abClient(m, grpcPort);
    signer = clientSigner(m);
    base = cutterSize(txEnvelope(signer, 'cut', 0));
    const block = genesisBlock(m, 'cut', {
      batchSize: { maxMessageCount: 3, absoluteMaxBytes: ABSOLUTE, preferredMaxBytes: PREFERRED },
      batchTimeout: '300ms',
    });
    expect((await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: block })).status).toBe(201);
  });

  afterAll(async () => {
    client?.close();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Block contents as lists of tags, from block `from` until the block holding `lastTag`. */
  async function blocksFrom(from: number, tags: Map<string, string>, lastTag: string): Promise<string[][]> {
    const lastTxId = [...tags].find(([, t]) => t === lastTag)![0];
    const out = await deliver(client, seekEnvelope(signer, 'cut', from, 'max'), undefined, (ids) => ids.some((b) => b.includes(lastTxId)));
    return out.txIds.map((ids) => ids.map((id) => tags.get(id) ?? (id === '' ? 'CONFIG' : '?')));
  }

  function sized(tag: string, size: number, tags: Map<string, string>): Uint8Array {
    const env = txEnvelope(signer, 'cut', Math.max(0, size - base));
    tags.set(envelopeTxId(env), tag);
    return env;
  }

  it('cuts by MaxMessageCount, by PreferredMaxBytes overflow, isolates an oversized message, and cuts by BatchTimeout', async () => {
    const tags = new Map<string, string>();
    const envs = [
      sized('x', 500, tags),
      sized('y', 500, tags),
      sized('z', 500, tags), // count 3 → [x y z]
      sized('a', 3000, tags),
      sized('b', 3000, tags),
      sized('c', 3000, tags), // 9000 > 8192 → [a b]
      sized('BIG', 9000, tags), // > PreferredMaxBytes → [c], [BIG]
      sized('d', 500, tags), // pending until the 300ms timer → [d]
    ];
    const answers = await broadcast(client, envs);
    expect(answers.map((a) => a.status)).toEqual(envs.map(() => Status.SUCCESS));
    expect(await blocksFrom(1, tags, 'd')).toEqual([['x', 'y', 'z'], ['a', 'b'], ['c'], ['BIG'], ['d']]);
  });

  it('puts a config update alone in its block, and the new BatchSize applies to the next batch', async () => {
    const tags = new Map<string, string>();
    const height = (await deliver(client, seekEnvelope(signer, 'cut', 'newest', 'newest'))).blocks[0]! + 1;
    const admin = ordererAdminSigner(m);
    const update = batchSizeUpdate('cut', { maxMessageCount: 2, absoluteMaxBytes: ABSOLUTE, preferredMaxBytes: PREFERRED }, [admin], admin);
    const envs = [sized('e', 500, tags), update, sized('f', 500, tags), sized('g', 500, tags), sized('h', 500, tags)];
    const answers = await broadcast(client, envs);
    expect(answers.map((a) => a.status)).toEqual(envs.map(() => Status.SUCCESS));
    expect(await blocksFrom(height, tags, 'h')).toEqual([['e'], ['CONFIG'], ['f', 'g'], ['h']]);
  });

  it('rejects config updates whose signatures do not satisfy the mod_policy, or whose read set is stale', async () => {
    const admin = ordererAdminSigner(m);
    const batch = { maxMessageCount: 5, absoluteMaxBytes: ABSOLUTE, preferredMaxBytes: PREFERRED };
    const [unauthorized, stale, noChange] = await broadcast(client, [
      batchSizeUpdate('cut', batch, [signer], signer, { valueVersion: 2 }),
      batchSizeUpdate('cut', batch, [admin], admin, { valueVersion: 2, readOrdererVersion: 7 }),
      batchSizeUpdate('cut', batch, [admin], admin, { valueVersion: 1 }),
    ]);
    // Fabric's configtx validator refuses it, and ClassifyError finds no ErrPermissionDenied under it: BAD_REQUEST.
    expect(unauthorized!.status).toBe(Status.BAD_REQUEST);
    expect(unauthorized!.info).toMatch(/^error applying config update to existing channel 'cut': .*\/Channel\/Orderer\/Admins/);
    expect(stale!.status).toBe(Status.BAD_REQUEST);
    expect(stale!.info).toMatch(/read set.*version 7.*version 0/);
    expect(noChange!.status).toBe(Status.BAD_REQUEST);
    expect(noChange!.info).toMatch(/must go to version 2, got 1/);
  });

  it('refuses a config update every admin signed when the new config may not follow the current one (Fabric ValidateNew)', async () => {
    const admins = [ordererAdminSigner(m), clientSigner(m, 'Admin')];
    const genesis = genesisBlock(m, 'succession');
    expect((await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesis })).status).toBe(201);
    const current = parseConfigBlock(genesis).config;
    const noApplication = current.clone();
    noApplication.getChannelGroup()?.getGroupsMap().del('Application');
    const renamed = current.clone();
    const org = renamed.getChannelGroup()?.getGroupsMap().get('Application')?.getGroupsMap();
    const [orgName] = [...(org?.keys() ?? [])];
    const mspValue = org?.get(orgName)?.getValuesMap().get('MSP');
    const msp = MSPConfig.deserializeBinary(mspValue?.getValue_asU8() ?? new Uint8Array(0));
    const fabricMsp = FabricMSPConfig.deserializeBinary(msp.getConfig_asU8());
    fabricMsp.setName('RenamedMSP');
    msp.setConfig(fabricMsp.serializeBinary());
    mspValue?.setValue(msp.serializeBinary());
    const answers = await broadcast(client, [configUpdate('succession', current, noApplication, admins, admins[0]), configUpdate('succession', current, renamed, admins, admins[0])]);
    expect(answers.map((a) => a.status)).toEqual([Status.BAD_REQUEST, Status.BAD_REQUEST]);
    expect(answers[0].info).toMatch(/not compatible: current config has application section, but new config does not/);
    expect(answers[1].info).toMatch(new RegExp(`not compatible: application org ${orgName} attempted to change MSP ID from Org1MSP to RenamedMSP`));
  });
});

