import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CheckCommitReadinessResult,
  CommitChaincodeDefinitionArgs,
  GetInstalledChaincodePackageArgs,
  QueryInstalledChaincodeArgs,
  QueryInstalledChaincodeResult,
  QueryInstalledChaincodesArgs,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { PackageStore } from '../../../core/chaincode/package-store';
import { packageChaincode } from '../../../core/chaincode/packager';
import { ChaincodeInstaller } from '../../../core/peer/lifecycle/chaincode-installer';
import { LifecycleCache } from '../../../core/peer/lifecycle/lifecycle-cache';
import { LifecycleScc } from '../../../core/peer/lifecycle/lifecycle-scc';
import { commitArgsBytes, configBytes, deepRule, envelopeBytes, packageBytes, staticCollectionBytes } from '../../support/deep-policy-bytes';
import { approvedChaincodes, packageReferences } from '../../../core/peer/lifecycle/lifecycle-state';
import { LocalPolicies } from '../../../core/peer/scc/acl';
import type { Signer } from '../../../core/protocol/signer';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { type Harness, openHarness } from './channel-harness';
import { approvalTx, commitLifecycle, commitTx, invokeScc } from './lifecycle-harness';
import { CHANNEL, KV_EVENTS_DIR, type Material, generateMaterial, genesisBlock, signerOf, tmpDir } from './network-fixture';
import { testDefinition } from '../../support/chaincode-definition';

/**
 * `_lifecycle` answers as Fabric's SCC gives them. Which committed definitions an org's approvals
 * make runnable is decided as Fabric's lifecycle cache decides it: only an approval whose
 * parameters equal the committed definition's counts (`IsSerialized`), and the packages it names
 * report those chaincodes as `References`.
 */
describe('_lifecycle answers: approvals that match the committed definition, References, ACL and unknown-function wording', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let scc: LifecycleScc;
  let installer: ChaincodeInstaller;
  let admin: Signer;
  let packageId: string;

  const def = (name: string, version = '1.0') => testDefinition(name, { version });
  /** A channel-less call, or with `onChannel` one on the channel (simulated, never committed), to `target`. */
  const invoke = async (fn: string, arg: Uint8Array, signer = admin, onChannel = false, target = scc) => (await invokeScc(h, target, fn, arg, signer, onChannel)).response;

  beforeAll(async () => {
    dir = tmpDir('weft-lifecycle-scc-answers-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'), genesisBlock(m, 7050, '100ms', CHANNEL, [], { '_lifecycle/Extra': '/Channel/Application/Readers' }));
    admin = signerOf(m.orgs[0], 'Admin');
    const built = await packageChaincode({ projectDir: KV_EVENTS_DIR, label: 'kv_1' });
    packageId = built.packageId;
    installer = new ChaincodeInstaller(new PackageStore(path.join(dir, 'packages')), undefined);
    await installer.install(built.packageBytes);
    const msp = new X509MspProvider();
    const localMsp = msp.createMsp(msp.loadMspConfig(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP'));
    scc = new LifecycleScc(new LocalPolicies(localMsp, 'Org1MSP'), installer, () => [h.joined.channel]);

    // `kv` and `other` committed at 1.0; Org1 approved `kv` as committed, `other` at 2.0 (the channel committed 1.0 without it).
    const txs = [
      commitTx(h, def('kv')),
      commitTx(h, def('other')),
      approvalTx(h, 'Org1MSP', def('kv'), packageId, h.peers[0]),
      approvalTx(h, 'Org1MSP', def('other', '2.0'), packageId, h.peers[0]),
    ];
    expect(await commitLifecycle(h, txs)).toEqual([TxValidationCode.VALID, TxValidationCode.VALID, TxValidationCode.VALID, TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('an approval of other parameters than the committed ones does not make the chaincode runnable', () => {
    const ledger = h.joined.channel.ledger;
    expect(approvedChaincodes(ledger, 'Org1MSP').map((c) => [c.name, c.version, c.packageId])).toEqual([['kv', '1.0', packageId]]);
    const cache = new LifecycleCache();
    expect(cache.approval(ledger, 'Org1MSP', 'kv', 1)?.packageId).toBe(packageId);
    expect(cache.approval(ledger, 'Org1MSP', 'other', 1)).toBeUndefined();
    expect(cache.approval(ledger, 'Org1MSP', 'kv', 2)).toBeUndefined(); // not the committed sequence
  });

  it('QueryInstalledChaincode(s) report, per channel, the chaincodes the package runs', async () => {
    expect([...(packageReferences([h.joined.channel], 'Org1MSP').get(packageId) ?? [])]).toEqual([[CHANNEL, [{ name: 'kv', version: '1.0' }]]]);
    expect(packageReferences([h.joined.channel], 'Org2MSP').size).toBe(0);

    const all = await invoke('QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary());
    expect(all.status).toBe(200);
    const [installed] = QueryInstalledChaincodesResult.deserializeBinary(all.payload).getInstalledChaincodesList();
    expect(installed?.getPackageId()).toBe(packageId);
    expect(installed?.getReferencesMap().toObject(false, QueryInstalledChaincodesResult.References.toObject)).toEqual([[CHANNEL, { chaincodesList: [{ name: 'kv', version: '1.0' }] }]]);

    const q = new QueryInstalledChaincodeArgs();
    q.setPackageId(packageId);
    const one = await invoke('QueryInstalledChaincode', q.serializeBinary());
    expect(one.status).toBe(200);
    const result = QueryInstalledChaincodeResult.deserializeBinary(one.payload);
    expect([result.getPackageId(), result.getLabel()]).toEqual([packageId, 'kv_1']);
    expect(result.getReferencesMap().toObject(false, QueryInstalledChaincodeResult.References.toObject)).toEqual([[CHANNEL, { chaincodesList: [{ name: 'kv', version: '1.0' }] }]]);
  });

  it('reads a definition whose collection policy nests 4,000 gates, as protobuf-go does (google-protobuf overflowed the stack)', async () => {
    const pkg = packageBytes(configBytes(staticCollectionBytes('deep', envelopeBytes(deepRule(4000)))));
    const res = await invoke('CheckCommitReadiness', commitArgsBytes(pkg), admin, true);
    expect({ status: res.status, message: res.message }).toEqual({ status: 200, message: '' });
    expect(Object.fromEntries(CheckCommitReadinessResult.deserializeBinary(res.payload).getApprovalsMap().toArray())).toEqual({ Org1MSP: false, Org2MSP: false });
  });

  it("answers GetInstalledChaincodePackage of an unknown package with Fabric's message", async () => {
    const g = new GetInstalledChaincodePackageArgs();
    g.setPackageId(`kv_1:${'0'.repeat(64)}`);
    expect(await invoke('GetInstalledChaincodePackage', g.serializeBinary())).toMatchObject({
      status: 500,
      message: `failed to invoke backing implementation of 'GetInstalledChaincodePackage': could not load cc install package: chaincode install package 'kv_1:${'0'.repeat(64)}' not found`,
    });
  });

  it('words an ACL denial and an unknown function as Fabric SCC.Invoke, whose ACL check comes first', async () => {
    const user = signerOf(m.orgs[0]);
    const denied = await invoke('QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary(), user);
    expect(denied.status).toBe(500);
    expect(denied.message).toMatch(/^Failed to authorize invocation due to failed ACL check: access denied for \[_lifecycle\/QueryInstalledChaincodes\]: the creator must be an admin of Org1MSP/);
    // No ACL maps `_lifecycle/Nope` (Fabric's default provider: "Unmapped policy"), on a channel or not.
    const unmapped = "Failed to authorize invocation due to failed ACL check: Unmapped policy for _lifecycle/Nope";
    expect(await invoke('Nope', new Uint8Array(0))).toMatchObject({ status: 500, message: unmapped });
    expect(await invoke('Nope', new Uint8Array(0), admin, true)).toMatchObject({ status: 500, message: unmapped });
    // The channel config maps `_lifecycle/Extra` (to Readers): checked, then the dispatcher finds no such function.
    expect(await invoke('Extra', new Uint8Array(0), user, true)).toMatchObject({
      status: 500,
      message: "failed to invoke backing implementation of 'Extra': receiver *lifecycle.Invocation.Extra does not exist",
    });
  });

  it("refuses to commit on a channel without this peer's org, in Fabric's words", async () => {
    const msp = new X509MspProvider();
    const outsider = new LifecycleScc(new LocalPolicies(msp.createMsp(msp.loadMspConfig(m.orgs[0].nodes.peer0.mspDir, 'Org1MSP')), 'Org3MSP'), installer, () => []);
    const commit = new CommitChaincodeDefinitionArgs();
    commit.setName('kv');
    commit.setVersion('1.0');
    commit.setSequence(2);
    expect(await invoke('CommitChaincodeDefinition', commit.serializeBinary(), admin, true, outsider)).toMatchObject({
      status: 500,
      message: "failed to invoke backing implementation of 'CommitChaincodeDefinition': impossibly, this peer's org is processing requests for a channel it is not a member of",
    });
  });
});
