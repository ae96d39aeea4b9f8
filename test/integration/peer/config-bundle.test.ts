import * as fs from 'node:fs';
import * as path from 'node:path';
import { BlockDataHashingStructure } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigGroup, ConfigUpdateEnvelope, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { BatchSize } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { ACLs, APIResource } from '@hyperledger/fabric-protos/lib/peer/configuration_pb';
import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { buildEnvelope, parseEnvelope } from '../../../core/protocol';
import { ConfigUpdateValidator } from '../../../core/orderer/config-update';
import { configTransactionProblem } from '../../../core/peer/validation/config-tx';
import { commitBlock, openHarness, type Harness } from './channel-harness';
import { configUpdate, orderedConfigUpdate } from './config-updates';
import { CHANNEL, generateMaterial, signerOf, tmpDir, type Material } from './network-fixture';

/**
 * Config updates every admin signed that Fabric's peers refuse when they build the new config's
 * bundle (`channelconfig.NewBundle` in `Channel.Apply`: INVALID_CONFIG_TRANSACTION, the config
 * stays) and one they apply, as a faulty or non-Weft orderer could order them. The peer must
 * decide as they do, or its ledger and config leave the channel's.
 */
describe("a peer builds a config update's bundle as Fabric's do", () => {
  let dir: string;
  let m: Material;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-config-bundle-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  const admins = () => [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin'), signerOf(m.ordererOrg, 'Admin')];

  /** Orders and commits an admin-signed update setting value `key` of the group at `groupPath` to `bytes`. */
  async function setValue(groupPath: readonly string[], key: string, bytes: Uint8Array): Promise<number> {
    const channel = h.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    const group = groupPath.reduce((g: ConfigGroup, name) => g.getGroupsMap().get(name)!, next.getChannelGroup()!);
    let value = group.getValuesMap().get(key);
    if (value === undefined) {
      value = new ConfigValue();
      value.setModPolicy('Admins');
      group.getValuesMap().set(key, value);
    }
    value.setValue(bytes);
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    const [code] = await commitBlock(h, [orderedConfigUpdate(CHANNEL, current, channel.resources().policies, update, h.orderer)], channel.height());
    return code!;
  }

  const width = (w: number): Uint8Array => {
    const s = new BlockDataHashingStructure();
    s.setWidth(w);
    return s.serializeBinary();
  };
  const batchSize = (count: number): Uint8Array => {
    const s = new BatchSize();
    s.setMaxMessageCount(count);
    s.setAbsoluteMaxBytes(1024 * 1024);
    s.setPreferredMaxBytes(512 * 1024);
    return s.serializeBinary();
  };

  it.each<[string, readonly string[], string, Uint8Array]>([
    ['a block data hashing width other than MaxUint32', [], 'BlockDataHashingStructure', width(0)],
    ['a batch size of 0 messages', ['Orderer'], 'BatchSize', batchSize(0)],
    ['a batch timeout that is not UTF-8', ['Orderer'], 'BatchTimeout', Uint8Array.of(0x0a, 0x03, 0x32, 0x73, 0xff)],
    ['a value key no Fabric group holds', ['Application'], 'Foo', new Uint8Array(0)],
    ['an anchor peer host that is not UTF-8', ['Application', 'Org1MSP'], 'AnchorPeers', Uint8Array.of(0x0a, 0x06, 0x0a, 0x02, 0x61, 0xff, 0x10, 0x01)],
  ])('refuses %s: INVALID_CONFIG_TRANSACTION, the config stays', async (_what, groupPath, key, bytes) => {
    const before = h.joined.channel.resources().config.sequence;
    expect(await setValue(groupPath, key, bytes)).toBe(TxValidationCode.INVALID_CONFIG_TRANSACTION);
    expect(h.joined.channel.resources().config.sequence).toBe(before);
  });

  it('applies ACLs carrying a field with another wire type, which protobuf-go skips and google-protobuf cannot read', async () => {
    const acls = new ACLs();
    const api = new APIResource();
    api.setPolicyRef('/Channel/Application/Admins');
    acls.getAclsMap().set('qscc/GetChainInfo', api);
    // Field 1 (the acls map) as a varint first: an unknown field to protobuf-go.
    const bytes = Uint8Array.from([0x08, 0x01, ...acls.serializeBinary()]);
    expect(() => ACLs.deserializeBinary(bytes)).toThrow();
    const before = h.joined.channel.resources().config.sequence;
    expect(await setValue(['Application'], 'ACLs', bytes)).toBe(TxValidationCode.VALID);
    const resources = h.joined.channel.resources();
    expect(resources.config.sequence).toBe(before + 1);
    expect(resources.aclPolicyPath('qscc/GetChainInfo', '/Channel/Application/Readers')).toBe('/Channel/Application/Admins');
  });

  it('refuses a carried config holding a field protobuf-go keeps as unknown, which proto.Equal tells from the computed one', async () => {
    const channel = h.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!.setValue(batchSize(50));
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    const ordered = parseEnvelope(orderedConfigUpdate(CHANNEL, current, channel.resources().policies, update, h.orderer)).data;
    // A second occurrence of ConfigEnvelope.config whose channel_group holds field 9: merged into the
    // carried channel group, where a Fabric peer's proto.Equal finds it and the computed group lacks it.
    const extra = Uint8Array.of(0x0a, 0x04, 0x12, 0x02, 0x48, 0x01);
    const tx = buildEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: Uint8Array.from([...ordered, ...extra]), signer: h.orderer, txId: '' });
    expect(configTransactionProblem(parseEnvelope(tx).data, channel.resources())).toMatch(/unknown field at config_envelope\.1\.2\.9 /);
    const before = channel.resources().config.sequence;
    expect(await commitBlock(h, [tx], channel.height())).toEqual([TxValidationCode.INVALID_CONFIG_TRANSACTION]);
    expect(channel.resources().config.sequence).toBe(before);
  });

  it("applies a carried config whose message comes again empty, as protobuf-go merges it into the update's result (google-protobuf replaced it)", async () => {
    const channel = h.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!.setValue(batchSize(60));
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    const ordered = parseEnvelope(orderedConfigUpdate(CHANNEL, current, channel.resources().policies, update, h.orderer)).data;
    const carried = Uint8Array.from([...ordered, 0x0a, 0x00]);
    expect(configTransactionProblem(carried, channel.resources())).toBeUndefined();
    // The committer reads the carried config's sequence the same way.
    const before = channel.resources().config.sequence;
    const tx = buildEnvelope({ type: HeaderType.CONFIG, channelId: CHANNEL, data: carried, signer: h.orderer, txId: '' });
    expect(await commitBlock(h, [tx], channel.height())).toEqual([TxValidationCode.VALID]);
    expect(channel.resources().config.sequence).toBe(before + 1);
  });

  describe("the orderer's config update validator reads the update as protobuf-go", () => {
    function update(): { current: Config; data: Uint8Array } {
      const channel = h.joined.channel;
      const current = Config.deserializeBinary(channel.resources().config.configBytes);
      const next = current.clone();
      next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchSize')!.setValue(batchSize(70));
      const signers = admins();
      return { current, data: parseEnvelope(configUpdate(CHANNEL, current, next, signers, signers[0]!)).data };
    }

    it('accepts an update envelope carrying a field with another wire type, which google-protobuf cannot read', () => {
      const { current, data } = update();
      // ConfigUpdateEnvelope.signatures (field 2) as a varint: an unknown field to protobuf-go.
      const odd = Uint8Array.from([0x10, 0x01, ...data]);
      expect(() => ConfigUpdateEnvelope.deserializeBinary(odd)).toThrow();
      const next = new ConfigUpdateValidator(CHANNEL, current, h.joined.channel.resources().policies).propose(odd);
      expect(next.getSequence()).toBe(current.getSequence() + 1);
    });

    it('refuses a write set holding a field it does not know, which Fabric would carry into the config', () => {
      const { current, data } = update();
      const envelope = ConfigUpdateEnvelope.deserializeBinary(data);
      // A second occurrence of write_set (field 3) holding field 9: merged into the write set.
      envelope.setConfigUpdate(Uint8Array.from([...envelope.getConfigUpdate_asU8(), 0x1a, 0x02, 0x48, 0x01]));
      expect(() => new ConfigUpdateValidator(CHANNEL, current, h.joined.channel.resources().policies).propose(envelope.serializeBinary())).toThrow(
        expect.objectContaining({ message: expect.stringMatching(/^config_update\.write_set holds fields this orderer does not know: config_update\.3\.9/) }),
      );
    });
  });
});
