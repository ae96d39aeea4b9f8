import { createPrivateKey, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConfigMetadata } from '@hyperledger/fabric-protos/lib/orderer/etcdraft/configuration_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { OrdererError } from '../../../core/errors';
import { NodeLogging } from '../../../core/node/logger';
import { BroadcastHandler, defaultBroadcastOptions } from '../../../core/orderer/broadcast-handler';
import { Registrar } from '../../../core/orderer/registrar';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { decodeEtcdraftMetadata, etcdraftConfigMetadata, type EtcdraftConsenterInput } from '../../../core/protocol/etcdraft-config';
import type { Signer } from '../../../core/protocol/signer';
import { SqliteLedgerStoreProvider } from '../../../plugins/ledger-sqlite/sqlite-ledger-store-provider';
import { loadSigningIdentity, X509MspProvider } from '../../../plugins/msp-x509';
import { SoloConsenter } from '../../../plugins/orderer-solo';
import { encodeTime } from '../../../plugins/msp-x509/crypto-material/certificate-builder';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { reissue } from '../../unit/plugins/msp-x509/cert-forge';
import { refusal } from '../../support/refusal';
import { configUpdate } from '../peer/config-updates';
import { clientSigner, generateMaterial, genesisBlock, ordererAdminSigner, tmpDir, txEnvelope, type Material } from './orderer-fixture';

const logging = new NodeLogging('silent');
const FIXTURE = path.join(__dirname, '..', '..', 'fixtures', 'fabric-2.5', 'etcdraft');

/**
 * Weft's single orderer serving etcdraft channels whose one consenter is itself (Fabric 3's
 * single-node Raft, which Fabric 3 peers follow where they ignore solo channels): what it refuses
 * at join and at start, how it orders them, and the config updates it takes.
 */
describe('etcdraft channels on the single orderer', () => {
  let dir: string;
  let m: Material;
  let root: string;
  let ledgers: SqliteLedgerStoreProvider;
  let registrar: Registrar;
  let self: EtcdraftConsenterInput;
  /** A certificate of the orderer org's TLS CA with another key: another node, as far as Raft can tell. */
  let other: EtcdraftConsenterInput;
  let admins: Signer[];

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-etcdraft-');
    m = await generateMaterial(dir);
    const tls = fs.readFileSync(m.ordererOrg.nodes.orderer!.tlsCertPath);
    self = { host: '127.0.0.1', port: 7050, clientTlsCert: tls, serverTlsCert: tls };
    const otherTls = fs.readFileSync(m.ordererOrg.users.Admin!.tlsCertPath);
    other = { host: '127.0.0.1', port: 7051, clientTlsCert: otherTls, serverTlsCert: otherTls };
    admins = [ordererAdminSigner(m), clientSigner(m, 'Admin')];
  }, 60_000);

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeEach(() => {
    root = fs.mkdtempSync(path.join(dir, 'node-'));
    ledgers = new SqliteLedgerStoreProvider({ rootDir: path.join(root, 'ledgers') });
    registrar = newRegistrar(self.serverTlsCert);
  });

  afterEach(async () => {
    await registrar.stop();
  });

  function newRegistrar(serverTlsCert: Uint8Array): Registrar {
    return new Registrar({
      ledgers,
      consenter: new SoloConsenter({ logLevel: 'silent', syncWal: false }),
      providers: { mspProvider: new X509MspProvider(), policyProvider: new FabricPolicyProvider() },
      signer: loadSigningIdentity(m.ordererOrg.nodes.orderer!.mspDir, 'OrdererMSP'),
      dataDir: path.join(root, 'orderer'),
      logger: logging.logger('orderer.common.multichannel'),
      serverTlsCert: () => serverTlsCert,
    });
  }

  const raft = (metadata: Uint8Array) => ({
    consensusType: { type: 'etcdraft', metadata },
    batchSize: { maxMessageCount: 2, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
  });

  async function heightReaches(channel: string, height: number): Promise<void> {
    const support = registrar.require(channel).support;
    while (support.height() < height) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  it.each([
    ['two consenters', () => etcdraftConfigMetadata([self, other]), /lists 2 consenters \(127\.0\.0\.1:7050, 127\.0\.0\.1:7051\); Weft's orderer orders alone/],
    ['one consenter that is another node', () => etcdraftConfigMetadata([other]), /names consenter 127\.0\.0\.1:7051, whose server TLS certificate has another public key .*cannot follow a channel other nodes order/],
    ['metadata that is not etcdraft.ConfigMetadata', () => Buffer.from('raft-meta'), /failed to unmarshal consensus metadata: .*cannot decode/],
    ['no Raft options', () => new ConfigMetadata().serializeBinary(), /etcdraft options have not been provided/],
  ])('refuses a join block with %s and writes nothing', (_what, metadata, why) => {
    const err = refusal(() => registrar.join(genesisBlock(m, 'raft', raft(metadata()))), OrdererError);
    expect(err.code).toBe('ORDERER_BAD_JOIN_BLOCK');
    expect(err.message).toMatch(/^channel raft: \/Channel\/Orderer\/ConsensusType\.metadata|^channel raft: failed to unmarshal/);
    expect(err.message).toMatch(why);
    expect(registrar.list()).toEqual([]);
    expect(ledgers.list()).toEqual([]);
  });

  it('orders a channel whose one consenter is this orderer as solo does: blocks cut by BatchSize and BatchTimeout', async () => {
    expect(registrar.join(genesisBlock(m, 'raft', raft(etcdraftConfigMetadata([self]))))).toMatchObject({ consensusRelation: 'consenter', status: 'active', height: 1 });
    const handler = new BroadcastHandler(registrar, defaultBroadcastOptions, logging.logger('orderer.common.broadcast'));
    const user = clientSigner(m);
    for (let i = 0; i < 3; i++) expect((await handler.handle(txEnvelope(user, 'raft')).result).status).toBe(Status.SUCCESS);
    // Two by MaxMessageCount, the third alone once the BatchTimeout passes.
    await heightReaches('raft', 3);
    const support = registrar.require('raft').support;
    expect([1, 2].map((n) => support.block(n)!.getData()!.getDataList().length)).toEqual([2, 1]);
  });

  it('takes option changes and certificate rotation, refuses added consenters, an expired replacement and a type change, then refuses the channel at start as another node’s', async () => {
    const genesis = genesisBlock(m, 'upd', raft(etcdraftConfigMetadata([self])));
    registrar.join(genesis);
    const handler = new BroadcastHandler(registrar, defaultBroadcastOptions, logging.logger('orderer.common.broadcast'));
    let current: Config = parseConfigBlock(genesis).config;
    const update = async (consensus: { type?: string; metadata?: Uint8Array }) => {
      const next = current.clone();
      const value = next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!;
      const type = ConsensusType.deserializeBinary(value.getValue_asU8());
      if (consensus.type !== undefined) type.setType(consensus.type);
      if (consensus.metadata !== undefined) type.setMetadata(consensus.metadata);
      value.setValue(type.serializeBinary());
      const height = registrar.require('upd').support.height();
      const answer = await handler.handle(configUpdate('upd', current, next, admins, admins[0]!)).result;
      if (answer.status === Status.SUCCESS) {
        await heightReaches('upd', height + 1);
        current = parseConfigBlock(registrar.require('upd').support.block(height)!).config;
      }
      return answer;
    };

    expect(await update({ metadata: etcdraftConfigMetadata([self], { snapshotIntervalSize: 1024 * 1024, tickInterval: '250ms' }) })).toEqual({ status: Status.SUCCESS, info: '' });
    const added = await update({ metadata: etcdraftConfigMetadata([self, other]) });
    expect(added.status).toBe(Status.BAD_REQUEST);
    expect(added.info).toMatch(/consensus metadata update for channel config update is invalid: the update lists 2 consenters .*adding consenters is not supported; Weft's orderer orders alone/);
    const badOptions = await update({ metadata: etcdraftConfigMetadata([self], { electionTick: 1 }) });
    expect(badOptions.info).toMatch(/invalid new config metadata: ElectionTick \(1\) must be greater than HeartbeatTick \(1\)/);
    const solo = await update({ type: 'solo', metadata: new Uint8Array(0) });
    expect(solo.status).toBe(Status.BAD_REQUEST);
    expect(solo.info).toMatch(/attempted to change consensus type from etcdraft to solo/);

    // A replacement certificate that has expired is refused (Fabric checks an added node's expiry).
    const DAY = 86_400_000;
    const expired = await reissue(new X509Certificate(other.serverTlsCert).raw, undefined, {
      selfSignKey: createPrivateKey(fs.readFileSync(m.ordererOrg.tlsCaKeyPath)),
      mutate: (c) => {
        c.notBefore = encodeTime(new Date(Date.now() - 30 * DAY));
        c.notAfter = encodeTime(new Date(Date.now() - DAY));
      },
    });
    const stale = Buffer.from(expired.pem);
    const rotatedToExpired = await update({ metadata: etcdraftConfigMetadata([{ ...other, clientTlsCert: stale, serverTlsCert: stale }]) });
    expect(rotatedToExpired.status).toBe(Status.BAD_REQUEST);
    expect(rotatedToExpired.info).toMatch(/consenter 127\.0\.0\.1:7051 has invalid certificates: .*certificate has expired/);

    // Rotation: the one consenter's certificates replaced (Fabric: one node added and one removed).
    expect(await update({ metadata: etcdraftConfigMetadata([other]) })).toEqual({ status: Status.SUCCESS, info: '' });
    expect(decodeEtcdraftMetadata(ConsensusType.deserializeBinary(current.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!.getValue_asU8()).getMetadata_asU8()).getConsentersList()[0]!.getPort()).toBe(7051);

    // This node still serves its old certificate: at its next start the channel names another node.
    await registrar.stop();
    registrar = newRegistrar(self.serverTlsCert);
    registrar.start();
    expect(registrar.info('upd')?.status).toBe('failed');
    expect(registrar.failure('upd')).toMatch(/cannot open channel upd: .*names consenter 127\.0\.0\.1:7051, whose server TLS certificate has another public key/);
    // Started with the rotated certificate, it serves the channel again.
    await registrar.stop();
    registrar = newRegistrar(other.serverTlsCert);
    registrar.start();
    expect(registrar.info('upd')).toMatchObject({ status: 'active', height: 3 });
  });

  it('joins the block configtxgen 2.5 made for a one-consenter etcdraft profile naming this orderer', async () => {
    const block = fs.readFileSync(path.join(FIXTURE, 'raftchannel.block'));
    // On an orderer with another certificate it is another node's channel.
    expect(() => registrar.join(block)).toThrow(/names consenter 127\.0\.0\.1:7500, whose server TLS certificate has another public key/);
    await registrar.stop();
    registrar = newRegistrar(fs.readFileSync(path.join(FIXTURE, 'organizations/ordererOrganizations/example.com/orderers/orderer.example.com/tls/server.crt')));
    expect(registrar.join(block)).toEqual({ name: 'raftchannel', url: '/participation/v1/channels/raftchannel', consensusRelation: 'consenter', status: 'active', height: 1 });
  });
});
