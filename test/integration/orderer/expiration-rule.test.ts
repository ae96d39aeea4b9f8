import * as fs from 'node:fs';
import { HeaderType, Status } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { type Config, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererAddresses } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { statusOf } from '../../../core/orderer/broadcast-status';
import { buildChannelResources, type ChannelResources } from '../../../core/orderer/channel-resources';
import { creatorExpiresAt } from '../../../core/msp/creator-expiry';
import { MsgProcessor } from '../../../core/orderer/msg-processor';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { serializeIdentity } from '../../../core/protocol/serialized-identity';
import type { Signer } from '../../../core/protocol/signer';
import { createTestOrg, loadMspConfig, loadSigningIdentity, X509MspProvider, type TestIdentity } from '../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { generateMaterial, genesisBlock, testIdentitySigner, tmpDir, txEnvelope, type Material } from './orderer-fixture';

const DAY = 24 * 3600 * 1000;

/**
 * Fabric's `ExpirationRejectRule` (orderer/common/msgprocessor/expiration.go) runs after the size
 * rule and before the signature filter, on the creator's certificate read without any MSP
 * (`common/crypto.ExpiresAt`), on channels with the orderer `ExpirationCheck` capability.
 */
describe('the orderer expiration rule (Broadcast filters with the real MSP and policy plugins)', () => {
  let dir: string;
  let m: Material;
  let member: TestIdentity;
  let expiredMember: TestIdentity;
  let expiredStranger: TestIdentity;
  let orderer: Signer;
  /** The channel's resources, with or without the orderer capabilities that enable the expiration rule. */
  let resourcesOf: (withCapability: boolean) => ChannelResources;
  const providers = { mspProvider: new X509MspProvider(), policyProvider: new FabricPolicyProvider() };
  const expiredValidity = { notBefore: new Date(Date.now() - 10 * DAY), notAfter: new Date(Date.now() - DAY) };

  beforeAll(async () => {
    dir = tmpDir('weft-orderer-expiration-');
    m = await generateMaterial(dir);
    const org3 = await createTestOrg({ mspId: 'Org3MSP' });
    member = await org3.issue('user', { role: 'client' });
    expiredMember = await org3.issue('old-user', { role: 'client', ...expiredValidity });
    // Same MSP id as a channel org, but a CA the channel does not know.
    const stranger = await createTestOrg({ mspId: 'Org3MSP', domain: 'elsewhere.example.com' });
    expiredStranger = await stranger.issue('old-stranger', { role: 'client', ...expiredValidity });
    orderer = loadSigningIdentity(m.ordererOrg.nodes.orderer.mspDir, 'OrdererMSP');

    const org3Config = org3.mspConfig();
    resourcesOf = (withCapability) => {
      const block = genesisBlock(m, 'mychannel', {
        applicationOrgs: [
          { mspId: 'Org1MSP', mspConfig: loadMspConfig(m.peerOrg.mspDir, 'Org1MSP') },
          { mspId: 'Org3MSP', mspConfig: org3Config },
        ],
      });
      const config: Config = parseConfigBlock(block).config;
      // No orderer capabilities (Fabric's ExpirationCheck() is false), and so none at the other levels.
      if (!withCapability) {
        const channel = config.getChannelGroup()!;
        for (const group of [channel, channel.getGroupsMap().get('Orderer')!, channel.getGroupsMap().get('Application')!]) group.getValuesMap().del('Capabilities');
        // Before channel V1_4_2 the endpoints are channel-wide.
        const addresses = new OrdererAddresses();
        addresses.setAddressesList(['127.0.0.1:7050']);
        const value = new ConfigValue();
        value.setValue(addresses.serializeBinary());
        value.setModPolicy('/Channel/Orderer/Admins');
        channel.getValuesMap().set('OrdererAddresses', value);
        channel.getGroupsMap().get('Orderer')!.getGroupsMap().get('OrdererMSP')!.getValuesMap().del('Endpoints');
        channel.getGroupsMap().get('Application')!.getValuesMap().del('ACLs');
      }
      return buildChannelResources('mychannel', config, providers);
    };
  }, 60_000);

  afterAll(() => {
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  function outcome(resources: ChannelResources, envelope: Uint8Array): { status: number; message: string } {
    const processor = new MsgProcessor('mychannel', () => resources, providers, orderer);
    try {
      processor.process(parseEnvelope(envelope));
      return { status: Status.SUCCESS, message: '' };
    } catch (err) {
      return { status: statusOf(err), message: (err as Error).message };
    }
  }

  it('refuses an expired certificate of a CA the channel does not know as expired, BAD_REQUEST, before the MSP sees it', () => {
    const answer = outcome(resourcesOf(true), txEnvelope(testIdentitySigner(expiredStranger), 'mychannel'));
    expect(answer.status).toBe(Status.BAD_REQUEST);
    expect(answer.message).toMatch(/^broadcast client identity expired/);
  });

  it('refuses a config update from an expired creator the same way, in Fabric\'s words for its initial checks', () => {
    const answer = outcome(resourcesOf(true), txEnvelope(testIdentitySigner(expiredStranger), 'mychannel', 16, HeaderType.CONFIG_UPDATE));
    expect(answer.status).toBe(Status.BAD_REQUEST);
    expect(answer.message).toMatch(/^config update for existing channel did not pass initial checks: broadcast client identity expired/);
  });

  it('still checks the size first, and leaves a valid creator to the signature filter', () => {
    const resources = resourcesOf(true);
    expect(outcome(resources, txEnvelope(testIdentitySigner(expiredStranger), 'mychannel', 2 * 1024 * 1024)).message).toMatch(/AbsoluteMaxBytes/);
    expect(outcome(resources, txEnvelope(testIdentitySigner(member), 'mychannel')).status).toBe(Status.SUCCESS);
  });

  it('makes no expiry decision without the orderer ExpirationCheck capability', () => {
    const resources = resourcesOf(false);
    // The expired member fares exactly as the valid one does before the signature filter (on these
    // pre-V1_1 MSPs a 'client' principal matches no one, so both fail the Writers policy).
    const expired = outcome(resources, txEnvelope(testIdentitySigner(expiredMember), 'mychannel'));
    expect(expired.message).not.toMatch(/expired/);
    expect(expired).toEqual(outcome(resources, txEnvelope(testIdentitySigner(member), 'mychannel')));
    const stranger = outcome(resources, txEnvelope(testIdentitySigner(expiredStranger), 'mychannel'));
    expect(stranger.status).toBe(Status.FORBIDDEN);
    expect(stranger.message).toMatch(/creator is not an identity of this channel/);
  });

  it('makes no expiry decision on a creator whose certificate cannot be read, leaving it to the MSP', () => {
    const notPem = { serialized: serializeIdentity('Org3MSP', Buffer.from('no certificate here')), sign: () => new Uint8Array(64) };
    const answer = outcome(resourcesOf(true), txEnvelope(notPem, 'mychannel'));
    expect(answer.status).toBe(Status.FORBIDDEN);
  });
});

describe('creatorExpiresAt (Fabric common/crypto.ExpiresAt)', () => {
  let id: TestIdentity;

  beforeAll(async () => {
    id = await (await createTestOrg({ mspId: 'Org3MSP' })).issue('user', { role: 'client', notAfter: new Date('2031-05-06T07:08:09Z') });
  });

  const creator = (text: string): Uint8Array => serializeIdentity('Org3MSP', Buffer.from(text));

  it('reads the first PEM block, of any type, after leading text and headers', () => {
    const body = id.certPem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '-----$1 SOMETHING-----').replace('\n', '\nProc-Type: 4,ENCRYPTED\n\n');
    expect(creatorExpiresAt(creator(id.certPem))).toEqual(new Date('2031-05-06T07:08:09Z'));
    expect(creatorExpiresAt(creator(`leading text\n${body}`))).toEqual(new Date('2031-05-06T07:08:09Z'));
  });

  it('tells nothing for bytes that are no SerializedIdentity, no PEM, or no certificate', () => {
    expect(creatorExpiresAt(Buffer.from([0xff, 0xff, 0xff]))).toBeUndefined();
    expect(creatorExpiresAt(creator('plain text'))).toBeUndefined();
    expect(creatorExpiresAt(creator('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'))).toBeUndefined();
  });
});
