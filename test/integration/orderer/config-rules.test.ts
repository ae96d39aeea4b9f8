import * as fs from 'node:fs';
import { HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Capabilities, Capability } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import type { Config, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { BatchSize, BatchTimeout, ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import type { AtomicBroadcastClient } from '@hyperledger/fabric-protos/lib/orderer/ab_grpc_pb';
import { loadOrdererConfig } from '../../../core/orderer/orderer-config';
import { OrdererNode } from '../../../core/orderer/orderer-node';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg } from '../../../plugins/msp-x509';
import { configUpdate } from '../peer/config-updates';
import {
  abClient,
  adminRequest,
  broadcast,
  clientSigner,
  deliver,
  fetchBlock,
  generateMaterial,
  genesisBlock,
  ordererAdminSigner,
  seekEnvelope,
  testIdentitySigner,
  tmpDir,
  txEnvelope,
  writeNodeConfig,
  type Material,
} from './orderer-fixture';

const DAY = 24 * 3600 * 1000;

/** A `ConsensusType.State` value. */
type ConsensusState = (typeof ConsensusType.State)[keyof typeof ConsensusType.State];

/**
 * What the orderer checks of a config update beyond its signatures and versions, as Fabric's
 * standard channel processor does: maintenance mode, capabilities, mod_policy names, and the
 * CONFIG message it builds, re-checked against the current config.
 */
describe('config update rules (Broadcast over gRPC)', () => {
  let dir: string;
  let m: Material;
  let node: OrdererNode;
  let client: AtomicBroadcastClient;
  let adminPort: number;
  let ordererAdmin: Signer;
  /** Both admins: /Channel/Admins is a MAJORITY of the Orderer and Application admins. */
  let admins: Signer[];

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-config-rules-');
    m = await generateMaterial(dir);
    node = new OrdererNode(loadOrdererConfig(writeNodeConfig(m, 'orderer0').configFile));
    const endpoints = await node.start();
    adminPort = endpoints.adminPort!;
    client = abClient(m, endpoints.grpcPort);
    ordererAdmin = ordererAdminSigner(m);
    admins = [ordererAdmin, clientSigner(m, 'Admin')];
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await node?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function join(channel: string, overrides: Parameters<typeof genesisBlock>[2] = {}): Promise<Config> {
    const genesis = genesisBlock(m, channel, overrides);
    expect((await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', { field: 'config-block', bytes: genesis })).status).toBe(201);
    return parseConfigBlock(genesis).config;
  }

  async function height(channel: string): Promise<number> {
    return (await deliver(client, seekEnvelope(ordererAdmin, channel, 'newest', 'newest'))).blocks[0]! + 1;
  }

  /**
   * Broadcasts the update taking `current` to `edit(copy of current)`; once ordered, `config` is
   * the config its block carries. Earlier transactions must already be in blocks.
   */
  async function update(
    channel: string,
    current: Config,
    edit: (next: Config) => void,
    options: { signers?: Signer[]; submitter?: Signer } = {},
  ): Promise<{ status: number; info: string; config: Config | undefined }> {
    const next = current.clone();
    edit(next);
    const before = await height(channel);
    const [answer] = await broadcast(client, [configUpdate(channel, current, next, options.signers ?? admins, options.submitter ?? ordererAdmin)]);
    const config = answer!.status === Status.SUCCESS ? parseConfigBlock(await fetchBlock(client, ordererAdmin, channel, before)).config : undefined;
    return { ...answer!, config };
  }

  const orderer = (c: Config): ConfigGroup => c.getChannelGroup()!.getGroupsMap().get('Orderer')!;

  function setState(state: ConsensusState): (c: Config) => void {
    return (c) => {
      const value = orderer(c).getValuesMap().get('ConsensusType')!;
      const type = ConsensusType.deserializeBinary(value.getValue_asU8());
      type.setState(state);
      value.setValue(type.serializeBinary());
    };
  }

  function setBatchTimeout(timeout: string): (c: Config) => void {
    return (c) => {
      const value = new BatchTimeout();
      value.setTimeout(timeout);
      orderer(c).getValuesMap().get('BatchTimeout')!.setValue(value.serializeBinary());
    };
  }

  function setCapabilities(group: '' | 'Orderer' | 'Application', names: string[]): (c: Config) => void {
    return (c) => {
      const root = c.getChannelGroup()!;
      const caps = new Capabilities();
      for (const name of names) caps.getCapabilitiesMap().set(name, new Capability());
      (group === '' ? root : root.getGroupsMap().get(group)!).getValuesMap().get('Capabilities')!.setValue(caps.serializeBinary());
    };
  }

  it('in maintenance: refuses normal transactions (SERVICE_UNAVAILABLE) and serves only the orderer orgs, until the channel leaves it', async () => {
    let config = await join('maint');
    const user = clientSigner(m);
    const entered = await update('maint', config, setState(ConsensusType.State.STATE_MAINTENANCE));
    expect(entered.status).toBe(Status.SUCCESS);
    config = entered.config!;

    const [tx] = await broadcast(client, [txEnvelope(user, 'maint')]);
    expect(tx!.status).toBe(Status.SERVICE_UNAVAILABLE);
    expect(tx!.info).toMatch(/normal transactions are rejected: channel maint is in maintenance mode/);
    // Fabric's ProcessNormalMsg refuses for maintenance before any filter runs: an envelope over
    // AbsoluteMaxBytes (1 MiB here), a creator of an unknown CA and an expired one get the same answer.
    const evil = await TestOrg.create({ mspId: 'Org1MSP', domain: 'evil.example.com' });
    const stranger = testIdentitySigner(await evil.issue('mallory', { role: 'client' }));
    const expired = testIdentitySigner(await evil.issue('old', { role: 'client', notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) }));
    for (const refused of [txEnvelope(user, 'maint', 1024 * 1024 + 1), txEnvelope(stranger, 'maint'), txEnvelope(expired, 'maint')]) {
      const [answer] = await broadcast(client, [refused]);
      expect(answer).toEqual({ status: Status.SERVICE_UNAVAILABLE, info: tx!.info });
    }
    // Only /Channel/Orderer/Writers may submit, and only /Channel/Orderer/Readers read.
    const fromPeerOrg = await update('maint', config, setBatchTimeout('1s'), { submitter: clientSigner(m, 'Admin') });
    expect(fromPeerOrg.status).toBe(Status.FORBIDDEN);
    // Fabric's ProcessConfigUpdateMsg prefixes the filters' refusal, whose status (FORBIDDEN) stands.
    expect(fromPeerOrg.info).toMatch(/^config update for existing channel did not pass initial checks: .*does not satisfy \/Channel\/Orderer\/Writers/);
    expect(await deliver(client, seekEnvelope(user, 'maint', 'oldest', 'newest'))).toMatchObject({ blocks: [], status: Status.FORBIDDEN });
    expect((await deliver(client, seekEnvelope(ordererAdmin, 'maint', 'oldest', 'newest'))).status).toBe(Status.SUCCESS);

    // Leaving maintenance must be the update's only change.
    const withMore = await update('maint', config, (c) => {
      setState(ConsensusType.State.STATE_NORMAL)(c);
      setBatchTimeout('1s')(c);
    });
    expect(withMore.status).toBe(Status.BAD_REQUEST);
    expect(withMore.info).toMatch(/^config update for existing channel did not pass maintenance checks: .*STATE_MAINTENANCE to STATE_NORMAL, so the update may change \/Channel\/Orderer\/ConsensusType only, but the write set changes other values of \/Channel\/Orderer too \(BatchTimeout, ConsensusType\)/);
    expect((await update('maint', config, setState(ConsensusType.State.STATE_NORMAL))).status).toBe(Status.SUCCESS);
    expect((await broadcast(client, [txEnvelope(user, 'maint')]))[0]!.status).toBe(Status.SUCCESS);
  });

  it('refuses maintenance on a channel without the ConsensusTypeMigration capability (orderer V1_1)', async () => {
    const config = await join('nomaint', { capabilities: { channel: 'V3_0', orderer: 'V1_1', application: 'V2_5' } });
    const answer = await update('nomaint', config, setState(ConsensusType.State.STATE_MAINTENANCE));
    expect(answer.status).toBe(Status.BAD_REQUEST);
    expect(answer.info).toMatch(/attempted to change ConsensusType.State to STATE_MAINTENANCE, but the channel has no maintenance mode/);
  });

  it('refuses a config requiring a channel or orderer capability it does not support, and leaves application capabilities to the peers', async () => {
    const config = await join('caps');
    const channel = await update('caps', config, setCapabilities('', ['V3_0', 'V9_9']));
    expect(channel.status).toBe(Status.BAD_REQUEST);
    expect(channel.info).toMatch(/^error applying config update to existing channel 'caps': config update is not compatible: config requires unsupported channel capabilities: Channel capability V9_9 is required but not supported/);
    const typo = await update('caps', config, setCapabilities('Orderer', ['V2_6']));
    expect(typo.status).toBe(Status.BAD_REQUEST);
    expect(typo.info).toMatch(/Orderer capability V2_6 is required but not supported/);
    // Fabric's orderer checks the channel and orderer levels only (checkResources). V2_5 stays: the
    // channel has ACLs, which NewBundle refuses without an application capability granting them.
    expect((await update('caps', config, setCapabilities('Application', ['V2_5', 'V9_9']))).status).toBe(Status.SUCCESS);

    const refused = await adminRequest(m, adminPort, 'POST', '/participation/v1/channels', {
      field: 'config-block',
      bytes: genesisBlock(m, 'caps-join', { capabilities: { channel: 'V9_9', orderer: 'V2_0', application: 'V2_5' } }),
    });
    expect(refused.status).toBe(400);
    expect((refused.json as { error: string }).error).toMatch(/Channel capability V9_9 is required but not supported/);
  });

  it('answers BAD_REQUEST, as Fabric, to an update whose signatures do not satisfy a mod_policy', async () => {
    const config = await join('unsigned');
    // /Channel/Orderer/BatchTimeout is changed by /Channel/Orderer/Admins: the peer org's admin alone is not enough.
    const answer = await update('unsigned', config, setBatchTimeout('1s'), { signers: [clientSigner(m, 'Admin')], submitter: clientSigner(m, 'Admin') });
    expect(answer.status).toBe(Status.BAD_REQUEST);
    expect(answer.info).toMatch(/^error applying config update to existing channel 'unsigned': changing \[Value\] \/Channel\/Orderer\/BatchTimeout requires \/Channel\/Orderer\/Admins/);
  });

  it('refuses a mod_policy that cannot name a policy (Fabric validateModPolicy), and takes a well-formed absolute one', async () => {
    const config = await join('modpol');
    for (const [modPolicy, element] of [
      ['No Such/Policy!', 0],
      ['/Channel/../Admins', 1],
      ['Admins/', 1],
    ] as const) {
      const answer = await update('modpol', config, (c) => orderer(c).getValuesMap().get('BatchTimeout')!.setModPolicy(modPolicy));
      expect(answer.status).toBe(Status.BAD_REQUEST);
      expect(answer.info).toContain(`error applying config update to existing channel 'modpol': write set: invalid mod_policy for element [Value] /Channel/Orderer/BatchTimeout: mod_policy ${JSON.stringify(modPolicy)}: path element ${element} `);
    }
    expect((await update('modpol', config, (c) => orderer(c).getValuesMap().get('BatchTimeout')!.setModPolicy('/Channel/Orderer/Admins'))).status).toBe(Status.SUCCESS);
  });

  function setAbsoluteMaxBytes(bytes: number): (c: Config) => void {
    return (c) => {
      const value = orderer(c).getValuesMap().get('BatchSize')!;
      const size = BatchSize.deserializeBinary(value.getValue_asU8());
      size.setAbsoluteMaxBytes(bytes);
      size.setPreferredMaxBytes(Math.min(size.getPreferredMaxBytes(), bytes));
      value.setValue(size.serializeBinary());
    };
  }

  it('checks the CONFIG message it builds against the current AbsoluteMaxBytes, not the one the update sets', async () => {
    // The whole config (~13 KB) does not fit 6000 bytes: raising the limit cannot be ordered.
    const small = await join('small-limit', { batchSize: { maxMessageCount: 10, absoluteMaxBytes: 6000, preferredMaxBytes: 4000 } });
    const raise = await update('small-limit', small, setAbsoluteMaxBytes(1024 * 1024));
    expect(raise.status).toBe(Status.BAD_REQUEST);
    expect(raise.info).toMatch(/^config update for existing channel did not pass final checks: message payload is \d+ bytes and exceeds the channel's AbsoluteMaxBytes of 6000/);
    // An update over the limit itself fails Fabric's initial checks, before any signature is verified.
    const [oversized] = await broadcast(client, [txEnvelope(ordererAdmin, 'small-limit', 7000, HeaderType.CONFIG_UPDATE)]);
    expect(oversized!.status).toBe(Status.BAD_REQUEST);
    expect(oversized!.info).toMatch(/^config update for existing channel did not pass initial checks: message payload is \d+ bytes and exceeds the channel's AbsoluteMaxBytes of 6000$/);
    // Lowering the limit below the config's size is ordered: the current limit is 1 MiB.
    const large = await join('large-limit');
    const lower = await update('large-limit', large, setAbsoluteMaxBytes(8000));
    expect(lower.status).toBe(Status.SUCCESS);
  });
});
