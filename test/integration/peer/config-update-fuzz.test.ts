import * as path from 'node:path';
import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { ConfigUpdateValidator } from '../../../core/orderer/config-update';
import { channelMspVersion, requiredCapabilities } from '../../../core/protocol/capabilities';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { mutateMessage, rewriteAt } from '../../support/protobuf-mutator';
import { seededRandom } from '../../support/seeded-random';
import { commitBlock, endorsedTx, openHarness, PEER_PAIR_DIRS, rwset, usePeerPair } from './channel-harness';
import { configTransaction, configUpdate } from './config-updates';
import { CHANNEL, signerOf } from './network-fixture';

const UPDATES = 150;

/**
 * Config updates the channel's admins all signed, carrying random changes anywhere in the channel
 * group (MSP definitions, policies, orderer values, ACLs, capabilities), ordered whenever the
 * update itself is well formed, as a careless or hostile set of admins could. Two peers commit
 * them. No block may fail to commit, both peers must decide alike, a valid config must become the
 * channel's config and an invalid one must leave it as it was, the channel must keep validating
 * ordinary transactions, and a restart must bring back the config the peer was running with.
 */
describe('config updates with random changes', () => {
  const pair = usePeerPair('weft-config-fuzz-');

  it(`commits ${UPDATES} mutated config updates alike on two peers, applying only configs that work, and reopens on the running config`, async () => {
    const { dir, m, genesis, peers } = pair;
    const admins = [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin'), signerOf(m.ordererOrg, 'Admin')];
    const rnd = seededRandom(0xc0f1);
    const count = { valid: 0, unusable: 0, refusedByUpdateRules: 0 };
    let lastConfig = 0;
    for (let i = 0; i < UPDATES; i++) {
      const h = peers[0];
      const resources = h.joined.channel.resources();
      const current = Config.deserializeBinary(resources.config.configBytes);
      let update: Uint8Array;
      try {
        const next = Config.deserializeBinary(rewriteAt(current.serializeBinary(), [2], (group) => mutateMessage(group, rnd, 0.85)));
        // A lower MSP version locks out the admins and peers that only NodeOUs classify, as it would on Fabric (msp-version.test.ts).
        if (channelMspVersion(requiredCapabilities(next).channel) !== channelMspVersion(requiredCapabilities(current).channel)) continue;
        update = configUpdate(CHANNEL, current, next, admins, admins[0]);
      } catch {
        continue; // the mutated config is not a Config, or the update cannot be computed: nothing to order
      }
      let ordered: Config;
      try {
        ordered = new ConfigUpdateValidator(CHANNEL, current, resources.policies).propose(parseEnvelope(update).data);
      } catch {
        count.refusedByUpdateRules++;
        continue; // the update rules refuse it at the orderer and again at the peers (validation.test.ts)
      }
      const height = h.joined.channel.height();
      const configTx = configTransaction(CHANNEL, ordered, update, h.orderer);
      const [a, b] = [await commitBlock(peers[0], [configTx], height), await commitBlock(peers[1], [configTx], height)];
      lastConfig = height;
      expect({ update: i, codes: b }).toEqual({ update: i, codes: a });
      const sequence = peers.map((p) => p.joined.channel.resources().config.sequence);
      if (a[0] === TxValidationCode.VALID) {
        count.valid++;
        expect(sequence).toEqual([ordered.getSequence(), ordered.getSequence()]);
      } else {
        // The update rules passed, so only a config the peer cannot build resources from gets here (or a creator the last config locked out).
        expect([TxValidationCode.INVALID_CONFIG_TRANSACTION, TxValidationCode.BAD_CREATOR_SIGNATURE]).toContain(a[0]);
        if (a[0] === TxValidationCode.INVALID_CONFIG_TRANSACTION) count.unusable++;
        expect(sequence).toEqual([current.getSequence(), current.getSequence()]);
      }
      const tx = endorsedTx({ creator: h.users[i % 2], endorsers: h.peers, chaincode: 'kv', results: rwset({ kv: { [`after-${i}`]: Buffer.from('v') } }) });
      const after = [await commitBlock(peers[0], [tx.envelope], lastConfig), await commitBlock(peers[1], [tx.envelope], lastConfig)];
      expect(after[1]).toEqual(after[0]);
    }
    expect(count.valid).toBeGreaterThanOrEqual(5);
    expect(count.unusable).toBeGreaterThanOrEqual(3);
    expect(count.refusedByUpdateRules).toBeGreaterThanOrEqual(10);

    // The orderer's LAST_CONFIG then names a config the peers refused; a restart must skip back past it.
    const current = Config.deserializeBinary(peers[0].joined.channel.resources().config.configBytes);
    const broken = current.clone();
    const orgs = broken.getChannelGroup()?.getGroupsMap().get('Application')?.getGroupsMap();
    const orgMsp = [...(orgs?.keys() ?? [])].map((name) => orgs?.get(name)?.getValuesMap().get('MSP')).find((v) => v !== undefined);
    expect(orgMsp).toBeDefined();
    orgMsp?.setValue(Buffer.from('not an MSP definition'));
    const update = configUpdate(CHANNEL, current, broken, admins, admins[0]);
    const ordered = new ConfigUpdateValidator(CHANNEL, current, peers[0].joined.channel.resources().policies).propose(parseEnvelope(update).data);
    const height = peers[0].joined.channel.height();
    const refused = configTransaction(CHANNEL, ordered, update, peers[0].orderer);
    for (const p of peers) expect(await commitBlock(p, [refused], height)).toEqual([TxValidationCode.INVALID_CONFIG_TRANSACTION]);
    const tx = endorsedTx({ creator: peers[0].users[0], endorsers: peers[0].peers, chaincode: 'kv', results: rwset({ kv: { last: Buffer.from('v') } }) });
    expect(await commitBlock(peers[0], [tx.envelope], height)).toEqual([TxValidationCode.VALID]);
    // And a faulty orderer's LAST_CONFIG naming a block that does not exist.
    const stray = endorsedTx({ creator: peers[0].users[0], endorsers: peers[0].peers, chaincode: 'kv', results: rwset({ kv: { stray: Buffer.from('v') } }) });
    expect(await commitBlock(peers[0], [stray.envelope], height + 1000)).toEqual([TxValidationCode.VALID]);

    const running = peers[0].joined.channel.resources().config;
    peers[0].channels.close();
    peers[0] = openHarness(m, path.join(dir, PEER_PAIR_DIRS[0]), genesis);
    const reopened = peers[0].joined.channel.resources().config;
    expect(reopened.sequence).toBe(running.sequence);
    expect(Buffer.from(reopened.configBytes).equals(Buffer.from(running.configBytes))).toBe(true);
  }, 180_000);
});
