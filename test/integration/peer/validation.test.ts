import * as fs from 'node:fs';
import * as path from 'node:path';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { LIFECYCLE_NAMESPACE, definitionKey, encodeDefinition } from '../../../core/peer/lifecycle/lifecycle-state';
import { simOrgState, writeApproval } from '../../../core/peer/lifecycle/lifecycle-layout';
import { commitLifecycle, fullDefinition, lifecycleTx } from './lifecycle-harness';
import { ApplicationPolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { parseEnvelope } from '../../../core/protocol/envelope';
import { configTransactionProblem } from '../../../core/peer/validation/config-tx';
import { configTransaction, configUpdate, orderedConfigUpdate } from './config-updates';
import { headerHashOf, verifyBlock } from '../../../core/peer/validation/block-verifier';
import { newBlock, parseBlock } from '../../../core/protocol/block';
import { parseConfigBlock } from '../../../core/peer/channel/channel-config';
import { signBlock } from '../../../core/protocol/block-signatures';
import type { Signer } from '../../../core/protocol/signer';
import { TestOrg, type TestIdentity } from '../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { KVMetadataEntry, KVMetadataWrite, KVRWSet, KVWrite } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { HeaderType, type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset, typedEnvelope, nsRwset, txRwset } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, genesisBlock, signerOf, tmpDir } from './network-fixture';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { testDefinition } from '../../support/chaincode-definition';

const b = (s: string): Uint8Array => Buffer.from(s);

describe('committer-side validation (real MSP, policies and SQLite ledger)', () => {
  let dir: string;
  let m: Material;
  let h: Harness;

  beforeAll(async () => {
    dir = tmpDir('weft-peer-validation-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    // Define chaincode `cc` (MAJORITY of Org1, Org2) through _lifecycle, endorsed by both orgs.
    const def = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites('cc') });
    expect(await commitBlock(h, [def.envelope])).toEqual([TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('commits a transaction endorsed by both orgs as VALID and applies its writes', async () => {
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { k: b('v1') } }) });
    expect(await commitBlock(h, [tx.envelope])).toEqual([TxValidationCode.VALID]);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'k')?.value ?? []).toString()).toBe('v1');
    expect(h.joined.channel.ledger.getTxLocation(tx.txId)).toMatchObject({ validationCode: TxValidationCode.VALID });
  });

  it("gives each defect Fabric's validation code, keeps every transaction in the block and applies only valid writes", async () => {
    const good = endorsedTx({ creator: h.users[1], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { good: b('1') } }) });
    const oneOrg = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { oneorg: b('1') } }) });
    const forged = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { forged: b('1') } }), envelopeSigner: h.users[1] });
    const badTxId = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { badtxid: b('1') } }), txId: 'f'.repeat(64) });
    const otherChannel = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { other: b('1') } }), channelId: 'otherchannel' });
    const undefinedCc = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'nope', results: rwset({ nope: { x: b('1') } }) });
    const systemWrite = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'qscc', results: rwset({ qscc: { x: b('1') } }) });
    const flags = await commitBlock(h, [
      good.envelope,
      new Uint8Array(0),
      Buffer.from('not a protobuf envelope at all'),
      oneOrg.envelope,
      forged.envelope,
      badTxId.envelope,
      otherChannel.envelope,
      undefinedCc.envelope,
      systemWrite.envelope,
      good.envelope,
      typedEnvelope(HeaderType.MESSAGE, h.users[0]),
    ]);
    expect(flags).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.NIL_ENVELOPE,
      TxValidationCode.INVALID_OTHER_REASON,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.BAD_CREATOR_SIGNATURE,
      TxValidationCode.BAD_PROPOSAL_TXID,
      TxValidationCode.TARGET_CHAIN_NOT_FOUND,
      TxValidationCode.INVALID_CHAINCODE,
      // qscc has no chaincode definition: Fabric's dispatcher gives INVALID_CHAINCODE (v20 has no read-only namespace rule).
      TxValidationCode.INVALID_CHAINCODE,
      TxValidationCode.DUPLICATE_TXID,
      TxValidationCode.BAD_COMMON_HEADER,
    ]);
    const ledger = h.joined.channel.ledger;
    expect(ledger.getVersionedState('cc', 'good')).toBeDefined();
    for (const key of ['oneorg', 'forged', 'badtxid', 'other']) expect(ledger.getVersionedState('cc', key)).toBeUndefined();

    // A replay of a committed transaction in a later block is a duplicate.
    expect(await commitBlock(h, [good.envelope])).toEqual([TxValidationCode.DUPLICATE_TXID]);
  });

  it('applies _lifecycle write rules: an approval (a write into an org\'s implicit collection) needs its own org, a definition needs LifecycleEndorsement', async () => {
    const approval = (mspId: string) =>
      lifecycleTx(h, [h.peers[0]], (sim) => writeApproval(simOrgState(sim, mspId), fullDefinition(testDefinition('cc2')), ''));
    const lonelyDefinition = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: '_lifecycle', results: definitionWrites('cc3') });
    expect(await commitLifecycle(h, [approval('Org1MSP'), approval('Org2MSP'), { ...lonelyDefinition, pvt: undefined }])).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    ]);
  });

  it('checks the endorsement policy of every namespace a transaction writes (chaincode-to-chaincode calls)', async () => {
    const policy = new ApplicationPolicy();
    policy.setSignaturePolicy(SignaturePolicyEnvelope.deserializeBinary(new FabricPolicyProvider().compileExpression("OR('Org1MSP.member')")));
    const definition = encodeDefinition(testDefinition('org1only', { validationParameter: policy.serializeBinary() }));
    const def = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: rwset({ [LIFECYCLE_NAMESPACE]: { [definitionKey('org1only')]: definition } }) });
    expect(await commitBlock(h, [def.envelope])).toEqual([TxValidationCode.VALID]);

    const byOrg1 = (results: Uint8Array) => endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'org1only', results }).envelope;
    expect(
      await commitBlock(h, [
        byOrg1(rwset({ org1only: { a: b('1') } })),
        // The invoked chaincode's policy holds, the callee's (`cc`, MAJORITY) does not.
        byOrg1(rwset({ org1only: { b: b('1') }, cc: { c2c: b('1') } })),
        endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'org1only', results: rwset({ org1only: { d: b('1') }, cc: { c2c: b('2') } }) }).envelope,
      ]),
    ).toEqual([TxValidationCode.VALID, TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'c2c')?.value ?? []).toString()).toBe('2');
  });

  it('runs MVCC in block order after the policy checks: the second writer of a read key conflicts', async () => {
    const ledger = h.joined.channel.ledger;
    const sim = ledger.newTxSimulator('t');
    sim.getState('cc', 'k');
    sim.setState('cc', 'k', b('v2'));
    const results = sim.getTxSimulationResults();
    sim.done();
    const t1 = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results });
    const t2 = endorsedTx({ creator: h.users[1], endorsers: h.peers, chaincode: 'cc', results });
    expect(await commitBlock(h, [t1.envelope, t2.envelope])).toEqual([TxValidationCode.VALID, TxValidationCode.MVCC_READ_CONFLICT]);
  });

  it('refuses a block out of order without committing anything, and keeps committing', async () => {
    const before = h.joined.channel.height();
    const stale = parseBlock(h.joined.channel.ledger.getBlockBytes(1) as Uint8Array);
    await expect(h.joined.committer.commit(stale)).rejects.toThrow(/cannot be committed at height/);
    expect(h.joined.channel.height()).toBe(before);
    const next = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { after: b('1') } }) });
    expect(await commitBlock(h, [next.envelope])).toEqual([TxValidationCode.VALID]);
  });

  it('accepts pulled blocks only when signed under BlockValidation and chained onto the ledger', () => {
    const channel = h.joined.channel;
    const height = channel.height();
    const last = parseBlock(channel.ledger.getBlockBytes(height - 1) as Uint8Array, { verifyDataHash: false });
    const prevHash = headerHashOf(last);
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { pulled: b('1') } }) });
    const signedBy = (signer: Signer, previous = prevHash) => {
      const block = newBlock(height, previous, [tx.envelope]);
      signBlock(block, signer, { lastConfigIndex: 0 });
      return parseBlock(block.serializeBinary());
    };
    expect(() => verifyBlock(signedBy(h.orderer), height, prevHash, channel.resources())).not.toThrow();
    expect(() => verifyBlock(signedBy(h.users[0]), height, prevHash, channel.resources())).toThrow(/does not satisfy \/Channel\/Orderer\/BlockValidation/);
    expect(() => verifyBlock(signedBy(h.orderer, new Uint8Array(32)), height, prevHash, channel.resources())).toThrow(/previous_hash/);
    expect(() => verifyBlock(signedBy(h.orderer), height + 1, prevHash, channel.resources())).toThrow(/expected block/);
  });

  it('applies key-level endorsement policies from state metadata instead of the chaincode policy', async () => {
    const org1Only = new FabricPolicyProvider().compileExpression("OR('Org1MSP.member')");
    const setPolicy = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: metadataWrite('cc', 'guarded', org1Only) });
    expect(await commitBlock(h, [setPolicy.envelope])).toEqual([TxValidationCode.VALID]);

    const byOrg1 = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { guarded: b('by org1') } }) });
    const byOrg2 = endorsedTx({ creator: h.users[1], endorsers: [h.peers[1]], chaincode: 'cc', results: rwset({ cc: { guarded: b('by org2') } }) });
    // A key without metadata still answers to the chaincode's MAJORITY policy.
    const plainByOrg1 = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { plain: b('x') } }) });
    expect(await commitBlock(h, [byOrg1.envelope, byOrg2.envelope, plainByOrg1.envelope])).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
    ]);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'guarded')?.value ?? []).toString()).toBe('by org1');
  });

  it('fails writes to a key whose stored key-level policy does not parse ENDORSEMENT_POLICY_FAILURE, and the channel goes on', async () => {
    // A chaincode may store any bytes with setStateValidationParameter; Fabric's shim does not check them.
    const junk = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: metadataWrite('cc', 'junk-policy', b('not a policy')) });
    expect(await commitBlock(h, [junk.envelope])).toEqual([TxValidationCode.VALID]);

    const write = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { 'junk-policy': b('w') } }) });
    const elsewhere = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { 'other-key': b('w') } }) });
    const height = h.joined.channel.height();
    expect(await commitBlock(h, [write.envelope, elsewhere.envelope])).toEqual([TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
    expect(h.joined.channel.height()).toBe(height + 1);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'junk-policy')?.value ?? []).toString()).toBe('initial');
  });

  let org3: TestOrg;
  let revoked3: TestIdentity;

  it('applies a config block whose update the admins signed: the channel resources follow the new config (a new org joins)', async () => {
    org3 = await TestOrg.create({ mspId: 'Org3MSP' });
    revoked3 = await org3.issue('revoked');
    await org3.revoke(revoked3);
    const user3 = await org3.issue('user3');
    const channel = h.joined.channel;
    expect(() => channel.resources().deserializer.deserializeIdentity(user3.serialized)).toThrow();
    const current = Config.deserializeBinary(channel.resources().config.configBytes);
    const withOrg3 = Config.deserializeBinary(parseConfigBlock(genesisBlock(m, 7050, '100ms', CHANNEL, [{ mspId: 'Org3MSP', mspConfig: org3.mspConfig() }])).configBytes);
    const admins = [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin')];
    const update = configUpdate(CHANNEL, current, withOrg3, admins, admins[0]);
    const configTx = orderedConfigUpdate(CHANNEL, current, channel.resources().policies, update, h.orderer);
    const next = ConfigEnvelope.deserializeBinary(parseEnvelope(configTx).data).getConfig() as Config;
    const other = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { withconfig: b('1') } }) });
    expect(await commitBlock(h, [configTx, other.envelope])).toEqual([TxValidationCode.INVALID_CONFIG_TRANSACTION, TxValidationCode.VALID]);
    expect(channel.resources().config.applicationOrgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP']);

    // The whole new config with a bumped sequence but no update behind it; an update one admin
    // signed (the Application group needs a MAJORITY of org admins); a config the update does not produce.
    const genesisConfig = withOrg3.clone();
    genesisConfig.setSequence(1);
    const oneAdmin = configUpdate(CHANNEL, current, withOrg3, [admins[0]], admins[0]);
    const tampered = next.clone();
    tampered.getChannelGroup()?.getGroupsMap().get('Application')?.getGroupsMap().del('Org2MSP');
    const noUpdate = Buffer.from(new Envelope().serializeBinary());
    const refused = [
      [genesisConfig, noUpdate, /last_update/],
      [next, oneAdmin, /requires \/Channel\/Application\/Admins/],
      [tampered, update, /did not produce the supplied config result/],
    ] as const;
    for (const [config, lastUpdate, why] of refused) {
      expect(await commitBlock(h, [configTransaction(CHANNEL, config, lastUpdate, h.orderer)])).toEqual([TxValidationCode.INVALID_CONFIG_TRANSACTION]);
      const envelope = new ConfigEnvelope();
      envelope.setConfig(config);
      envelope.setLastUpdate(Envelope.deserializeBinary(lastUpdate));
      expect(configTransactionProblem(envelope.serializeBinary(), channel.resources())).toMatch(why);
    }
    expect(channel.resources().config.applicationOrgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP']);

    expect(await commitBlock(h, [configTx])).toEqual([TxValidationCode.VALID]);
    expect(channel.resources().config.applicationOrgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(channel.resources().deserializer.deserializeIdentity(user3.serialized).mspId).toBe('Org3MSP');
  });

  it("invalidates a revoked creator (the config's CRL) but, as Fabric, not an expired one: expiry is checked at endorsement", async () => {
    const expiredId = await org3.issue('expired', { notBefore: new Date(Date.now() - 48 * 3600_000), notAfter: new Date(Date.now() - 3600_000) });
    const tx = (creator: Signer, key: string) => endorsedTx({ creator, endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { [key]: b('1') } }) }).envelope;
    expect(await commitBlock(h, [tx(testIdentitySigner(revoked3), 'r'), tx(testIdentitySigner(expiredId), 'e')])).toEqual([
      TxValidationCode.BAD_CREATOR_SIGNATURE,
      TxValidationCode.VALID,
    ]);
  });
});

/** A read/write set that writes `key` and sets its VALIDATION_PARAMETER metadata (a key-level policy). */
function metadataWrite(namespace: string, key: string, policy: Uint8Array): Uint8Array {
  const entry = new KVMetadataEntry();
  entry.setName('VALIDATION_PARAMETER');
  entry.setValue(policy);
  const mw = new KVMetadataWrite();
  mw.setKey(key);
  mw.setEntriesList([entry]);
  const write = new KVWrite();
  write.setKey(key);
  write.setValue(Buffer.from('initial'));
  const kv = new KVRWSet();
  kv.setWritesList([write]);
  kv.setMetadataWritesList([mw]);
  return txRwset(nsRwset(namespace, kv));
}

