import * as fs from 'node:fs';
import * as path from 'node:path';
import { Capabilities, Capability } from '@hyperledger/fabric-protos/lib/common/configuration_pb';
import { Config, ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { BatchTimeout, ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { configTransactionProblem } from '../../../core/peer/validation/config-tx';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { commitBlock, openHarness, type Harness } from './channel-harness';
import { configTransaction, configUpdate, orderedConfigUpdate } from './config-updates';
import { CHANNEL, generateMaterial, signerOf, tmpDir, type Material } from './network-fixture';

/**
 * Config updates a peer refuses although every admin signed them: one requiring a capability the
 * peer does not support (it stops the channel, as Fabric's `capabilitiesSupportedOrPanic`, which
 * checks the channel and application levels, not the orderer's), and one setting a mod_policy that
 * cannot name a policy (Fabric `validateModPolicy`), as a faulty orderer would order it.
 */
describe('config update rules on the peer', () => {
  let dir: string;
  let m: Material;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-config-capabilities-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  const admins = () => [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin'), signerOf(m.ordererOrg, 'Admin')];

  /** Orders and commits an update setting the Capabilities value of `group` ('' = /Channel) to `names`. */
  async function setCapabilities(group: '' | 'Application' | 'Orderer', names: readonly string[], on: Harness = h): Promise<number> {
    const channel = on.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    const root = next.getChannelGroup()!;
    const target = group === '' ? root : root.getGroupsMap().get(group)!;
    const caps = new Capabilities();
    for (const name of names) caps.getCapabilitiesMap().set(name, new Capability());
    target.getValuesMap().get('Capabilities')!.setValue(caps.serializeBinary());
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    const height = channel.height();
    const [code] = await commitBlock(on, [orderedConfigUpdate(CHANNEL, current, channel.resources().policies, update, on.orderer)], height);
    return code!;
  }

  it.each([
    ['a channel capability no Fabric release has', '', ['V3_0', 'V9_9']],
    ['a misspelt application capability', 'Application', ['V2_5', 'V2_6']],
  ] as const)('stops the channel at a config requiring %s, as Fabric, and stops again at the same block after a restart', async (_what, group, names) => {
    // A harness of its own: the channel it stops stays stopped.
    const ledgerDir = path.join(dir, `stopped-${group || 'Channel'}`);
    const own = openHarness(m, ledgerDir);
    const height = own.joined.channel.height();
    try {
      const before = own.joined.channel.resources().config.sequence;
      const required = new RegExp(`^config requires unsupported ${group === '' ? 'channel' : 'application'} capabilities: .*${names[names.length - 1]}`);
      await expect(setCapabilities(group, names, own)).rejects.toMatchObject({ code: 'PEER_UNSUPPORTED_CAPABILITY', message: expect.stringMatching(required) });
      expect(own.joined.committer.failure()).toMatchObject({ blockNum: height });
      expect(own.joined.channel.height()).toBe(height);
      expect(own.joined.channel.resources().config.sequence).toBe(before);
      // Nothing else commits after it: a peer that skipped the block would fork from those that applied it.
      await expect(commitBlock(own, [])).rejects.toMatchObject({ code: 'PEER_UNSUPPORTED_CAPABILITY' });
    } finally {
      own.channels.close();
    }
    const restarted = openHarness(m, ledgerDir);
    try {
      await expect(setCapabilities(group, names, restarted)).rejects.toMatchObject({ code: 'PEER_UNSUPPORTED_CAPABILITY' });
      expect(restarted.joined.channel.height()).toBe(height);
    } finally {
      restarted.channels.close();
    }
  });

  it('applies a config requiring supported capabilities, and leaves orderer capabilities to the orderer', async () => {
    const before = h.joined.channel.resources().config.sequence;
    expect(await setCapabilities('Application', ['V2_0', 'V2_5'])).toBe(TxValidationCode.VALID);
    expect(await setCapabilities('Orderer', ['V9_9'])).toBe(TxValidationCode.VALID);
    expect(h.joined.channel.resources().config.sequence).toBe(before + 2);
  });

  it("follows a consensus type migration the channel's admins signed (Fabric 3's Raft to BFT), as Fabric's peers do on V1_4_2+ channels", async () => {
    const channel = h.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    const value = next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!;
    const type = ConsensusType.deserializeBinary(value.getValue_asU8());
    type.setType('etcdraft');
    value.setValue(type.serializeBinary());
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    const before = channel.resources().config.sequence;
    expect(await commitBlock(h, [orderedConfigUpdate(CHANNEL, current, channel.resources().policies, update, h.orderer)], channel.height())).toEqual([TxValidationCode.VALID]);
    expect(channel.resources().config.sequence).toBe(before + 1);
  });

  it('refuses a config update setting a mod_policy that cannot name a policy', async () => {
    const channel = h.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setModPolicy('No Such/Policy!');
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    // What an orderer that skipped the check would order: the config the update produces.
    const ordered = next.clone();
    ordered.setSequence(current.getSequence() + 1);
    const timeout = ordered.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!;
    timeout.setVersion(timeout.getVersion() + 1);
    const configTx = configTransaction(CHANNEL, ordered, update, h.orderer);
    expect(configTransactionProblem(parseEnvelope(configTx).data, channel.resources())).toMatch(
      /invalid mod_policy for element \[Value\] \/Channel\/Orderer\/BatchTimeout: mod_policy "No Such\/Policy!": path element 0/,
    );
    expect(await commitBlock(h, [configTx], channel.height())).toEqual([TxValidationCode.INVALID_CONFIG_TRANSACTION]);
    expect(channel.resources().config.sequence).toBe(current.getSequence());
  });

  it('marks invalid, and keeps committing, a config transaction whose carried config cannot be compared (an illegal element name)', async () => {
    const channel = h.joined.channel;
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const next = current.clone();
    const batchTimeout = new BatchTimeout();
    batchTimeout.setTimeout('3s');
    next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setValue(batchTimeout.serializeBinary());
    const signers = admins();
    const update = configUpdate(CHANNEL, current, next, signers, signers[0]!);
    // What a faulty orderer could carry: the update's result plus a group no config may name.
    const ordered = next.clone();
    ordered.setSequence(current.getSequence() + 1);
    const timeout = ordered.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!;
    timeout.setVersion(timeout.getVersion() + 1);
    ordered.getChannelGroup()!.getGroupsMap().set('not a name!', new ConfigGroup());
    const configTx = configTransaction(CHANNEL, ordered, update, h.orderer);
    expect(configTransactionProblem(parseEnvelope(configTx).data, channel.resources())).toMatch(/^config_envelope\.config: /);
    expect(await commitBlock(h, [configTx], channel.height())).toEqual([TxValidationCode.INVALID_CONFIG_TRANSACTION]);
  });
});
