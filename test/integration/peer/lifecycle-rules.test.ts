import { type Gateway, GatewayError } from '@hyperledger/fabric-gateway';
import { CollectionConfig, CollectionConfigPackage, StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  CheckCommitReadinessResult,
  CommitChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionResult,
  QueryApprovedChaincodeDefinitionsArgs,
  QueryApprovedChaincodeDefinitionsResult,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsArgs,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { RemoteEndorser } from '../../../core/peer/gateway/endorser-client';
import { DEFAULT_ACLS } from '../../../core/protocol/channel-definition';
import { buildConfigBlock } from '../../../core/protocol/config-block';
import { meta } from '../../../core/protocol/config-policies';
import type { Signer } from '../../../core/protocol/signer';
import { loadMspConfig, loadSigningIdentity } from '../../../plugins/msp-x509';
import { peersInSync, startInProcessNetwork, type InProcessNetwork } from './in-process-network';
import { CHANNEL, gatewayFor, joinOrderer, propose, rawEndorser, signerOf } from './network-fixture';

/** LifecycleEndorsement `ANY Endorsement`: one org's peer endorses a definition's commit. */
const ANY_CHANNEL = 'anylifecycle';
/** No channel ACLs for the `_lifecycle` definition queries: the peer's defaults apply. */
const NO_ACL_CHANNEL = 'noacls';

const PKG_A = `rules_1:${'a'.repeat(64)}`;
const PKG_B = `rules_1:${'b'.repeat(64)}`;

interface Def {
  readonly name: string;
  readonly sequence: number;
  readonly version?: string;
  /** undefined = no source (`ChaincodeSource.unavailable`). */
  readonly packageId?: string;
  readonly collections?: boolean;
}

type DefinitionMessage = ApproveChaincodeDefinitionForMyOrgArgs | CheckCommitReadinessArgs | CommitChaincodeDefinitionArgs;

function fill<T extends DefinitionMessage>(msg: T, d: Def): T {
  msg.setName(d.name);
  msg.setVersion(d.version ?? '1.0');
  msg.setSequence(d.sequence);
  if (d.collections === true) {
    const coll = new StaticCollectionConfig();
    coll.setName('secrets');
    const cc = new CollectionConfig();
    cc.setStaticCollectionConfig(coll);
    const pkg = new CollectionConfigPackage();
    pkg.setConfigList([cc]);
    msg.setCollections(pkg);
  }
  return msg;
}

function approveArgs(d: Def): Uint8Array {
  const args = fill(new ApproveChaincodeDefinitionForMyOrgArgs(), d);
  if (d.packageId !== undefined) {
    const local = new ChaincodeSource.Local();
    local.setPackageId(d.packageId);
    const source = new ChaincodeSource();
    source.setLocalPackage(local);
    args.setSource(source);
  }
  return args.serializeBinary();
}

function queryApprovedArgs(name: string, sequence: number): Uint8Array {
  const args = new QueryApprovedChaincodeDefinitionArgs();
  args.setName(name);
  args.setSequence(sequence);
  return args.serializeBinary();
}

/** The Gateway error's endorser details, joined, for matching a peer's message. */
async function details(p: Promise<unknown>): Promise<string> {
  const err = (await p.catch((e: unknown) => e)) as GatewayError;
  expect(err).toBeInstanceOf(GatewayError);
  return err.details.map((d) => `${d.mspId}: ${d.message}`).join(' | ');
}

describe('_lifecycle rules, as Fabric applies them (2 orgs, MAJORITY unless said)', () => {
  let net: InProcessNetwork;
  let admins: [Gateway, Gateway];
  let endorsers: RemoteEndorser[];
  let org1Admin: Signer;

  /** A proposal to `_lifecycle` on Org1's peer (endorsed, never submitted). */
  const onOrg1 = (signer: Signer, fn: string, arg: Uint8Array, channel = CHANNEL): ReturnType<typeof propose> =>
    propose(endorsers[0], signer, channel, '_lifecycle', [fn, arg]);
  const submit = (gw: Gateway, fn: string, arg: Uint8Array, channel = CHANNEL): Promise<Uint8Array> =>
    gw.getNetwork(channel).getContract('_lifecycle').submitTransaction(fn, arg);
  const queryApproved = async (name: string, sequence: number): Promise<QueryApprovedChaincodeDefinitionResult> => {
    const r = await onOrg1(org1Admin, 'QueryApprovedChaincodeDefinition', queryApprovedArgs(name, sequence));
    if (r.response.status !== 200) throw new Error(r.response.message);
    return QueryApprovedChaincodeDefinitionResult.deserializeBinary(r.response.payload);
  };

  beforeAll(async () => {
    net = await startInProcessNetwork({ prefix: 'weft-lifecycle-rules-' });
    const { m } = net;
    const channel = (channelId: string, extra: Partial<Parameters<typeof buildConfigBlock>[0]>): Uint8Array =>
      buildConfigBlock({
        channelId,
        acls: { ...DEFAULT_ACLS },
        applicationOrgs: m.orgs.map((o) => ({ mspId: o.mspId, mspConfig: loadMspConfig(o.mspDir, o.mspId) })),
        ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: loadMspConfig(m.ordererOrg.mspDir, 'OrdererMSP'), endpoints: [`127.0.0.1:${net.ordererFiles.port}`] }],
        batchTimeout: '100ms',
        consensusType: { type: 'solo' },
        ...extra,
      }).serializeBinary();
    const otherAcls = Object.fromEntries(Object.entries(DEFAULT_ACLS).filter(([resource]) => !resource.startsWith('_lifecycle/QueryChaincodeDefinition')));
    const blocks = [
      channel(ANY_CHANNEL, { policies: { application: { LifecycleEndorsement: meta('ANY', 'Endorsement') } } }),
      channel(NO_ACL_CHANNEL, { acls: otherAcls }),
    ];
    for (const block of blocks) {
      expect(await joinOrderer(m, net.ordererFiles.adminPort, block)).toBe(201);
      for (const peer of net.peers) peer.joinChannel(block);
    }
    admins = [gatewayFor(m.orgs[0], net.clients[0], 'Admin'), gatewayFor(m.orgs[1], net.clients[1], 'Admin')];
    net.gateways.push(...admins);
    endorsers = [rawEndorser(m.orgs[0], net.ports[0]), rawEndorser(m.orgs[1], net.ports[1])];
    org1Admin = signerOf(m.orgs[0], 'Admin');
  }, 120_000);

  afterAll(async () => {
    for (const e of endorsers ?? []) e.close();
    await net?.close();
  });

  it('takes a function name and exactly one argument message, as Fabric SCC.Invoke', async () => {
    expect((await propose(endorsers[0], org1Admin, CHANNEL, '_lifecycle', [])).response).toMatchObject({ status: 500, message: 'lifecycle scc must be invoked with arguments' });
    expect((await propose(endorsers[0], org1Admin, CHANNEL, '_lifecycle', ['QueryChaincodeDefinitions'])).response).toMatchObject({
      status: 500,
      message: 'lifecycle scc operations require exactly two arguments but received 1',
    });
    expect((await propose(endorsers[0], org1Admin, CHANNEL, '_lifecycle', ['QueryChaincodeDefinitions', new Uint8Array(0), 'x'])).response).toMatchObject({
      status: 500,
      message: 'lifecycle scc operations require exactly two arguments but received 3',
    });
    expect((await propose(endorsers[0], org1Admin, CHANNEL, '_lifecycle', ['QueryChaincodeDefinitions', new Uint8Array(0)])).response.status).toBe(200);
  });

  it("approving and querying approvals take an Admin of the peer's own org", async () => {
    const user = signerOf(net.m.orgs[0]);
    const approve = await onOrg1(user, 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1, packageId: PKG_A }));
    expect(approve.response.message).toMatch(/access denied for \[_lifecycle\/ApproveChaincodeDefinitionForMyOrg\]: the creator must be an admin of Org1MSP/);
    const otherOrg = await onOrg1(signerOf(net.m.orgs[1], 'Admin'), 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1, packageId: PKG_A }));
    expect(otherOrg.response.message).toMatch(/must be an admin of Org1MSP \(the local MSP refused the creator: identity belongs to MSP "Org2MSP", expected "Org1MSP"\)/);
    const query = await onOrg1(user, 'QueryApprovedChaincodeDefinition', queryApprovedArgs('rules', 0));
    expect(query.response.message).toMatch(/access denied for \[_lifecycle\/QueryApprovedChaincodeDefinition\]: the creator must be an admin of Org1MSP/);
  });

  it('checks names, versions, sequences and collections with Fabric messages', async () => {
    const approve = async (d: Def): Promise<string> => (await onOrg1(org1Admin, 'ApproveChaincodeDefinitionForMyOrg', approveArgs(d))).response.message;
    expect(await approve({ name: 'lscc', sequence: 1 })).toMatch(/error validating chaincode definition: chaincode name 'lscc' is the name of a system chaincode/);
    expect(await approve({ name: '_rules', sequence: 1 })).toMatch(/invalid chaincode name '_rules'\. Names can only consist of alphanumerics, '_', and '-' and can only begin with alphanumerics/);
    expect(await approve({ name: 'rules', version: '1.0 beta', sequence: 1 })).toMatch(
      /invalid chaincode version '1\.0 beta'\. Versions can only consist of alphanumerics, '_', '-', '\+', and '\.'/,
    );
    expect(await approve({ name: 'rules', sequence: 0 })).toMatch(/requested sequence is 0, but first definable sequence number is 1/);
    expect(await approve({ name: 'rules', sequence: 2 })).toMatch(/requested sequence 2 is larger than the next available sequence number 1/);

    // A collection without a member orgs policy: Approve and Commit validate collections, CheckCommitReadiness (as in Fabric) only compares.
    const withCollections = { name: 'rules', sequence: 1, collections: true };
    const noMemberPolicy = /error validating chaincode definition: collection member policy is not set for collection 'secrets'/;
    expect(await approve(withCollections)).toMatch(noMemberPolicy);
    const readiness = await onOrg1(org1Admin, 'CheckCommitReadiness', fill(new CheckCommitReadinessArgs(), withCollections).serializeBinary());
    expect(readiness.response.status).toBe(200);
    const commit = await onOrg1(org1Admin, 'CommitChaincodeDefinition', fill(new CommitChaincodeDefinitionArgs(), withCollections).serializeBinary());
    expect(commit.response.message).toMatch(noMemberPolicy);
  });

  it('refuses to approve unchanged content; QueryApproved resolves sequence 0 and names the sequence it looked for', async () => {
    await expect(queryApproved('rules', 0)).rejects.toThrow(/could not fetch approved chaincode definition \(name: 'rules', sequence: '0'\) on channel 'mychannel'/);
    await submit(admins[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1, packageId: PKG_A }));

    const again = await onOrg1(org1Admin, 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1, packageId: PKG_A }));
    expect(again.response.message).toMatch(/attempted to redefine uncommitted sequence \(1\) for namespace rules with unchanged content/);

    const latest = await queryApproved('rules', 0);
    expect([latest.getSequence(), latest.getVersion(), latest.getSource()?.getLocalPackage()?.getPackageId()]).toEqual([1, '1.0', PKG_A]);
    // An explicit sequence is looked up as given: no falling back to the one before.
    await expect(queryApproved('rules', 2)).rejects.toThrow(/could not fetch approved chaincode definition \(name: 'rules', sequence: '2'\)/);

    // A new package (here: none) is new content.
    await submit(admins[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1 }));
    expect((await queryApproved('rules', 1)).getSource()?.hasUnavailable()).toBe(true);
    await submit(admins[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1, packageId: PKG_A }));
  });

  it("CheckCommitReadiness names what differs from each org's approval; QueryApprovedChaincodeDefinitions lists this org's approvals", async () => {
    await submit(admins[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'inspect', sequence: 1, version: '1.0', packageId: PKG_A }));
    const readiness = async (d: Def): Promise<{ approvals: Record<string, boolean>; mismatches: Record<string, string[]> }> => {
      const r = await onOrg1(org1Admin, 'CheckCommitReadiness', fill(new CheckCommitReadinessArgs(), d).serializeBinary());
      expect(r.response.status).toBe(200);
      const res = CheckCommitReadinessResult.deserializeBinary(r.response.payload);
      const mismatches: Record<string, string[]> = {};
      res.getMismatchesMap().forEach((m, org) => (mismatches[org] = m.getItemsList()));
      return { approvals: Object.fromEntries(res.getApprovalsMap().toArray()), mismatches };
    };
    expect(await readiness({ name: 'inspect', sequence: 1 })).toEqual({ approvals: { Org1MSP: true, Org2MSP: false }, mismatches: { Org2MSP: ['ChaincodeParameters'] } });
    expect(await readiness({ name: 'inspect', sequence: 1, version: '2.0' })).toEqual({
      approvals: { Org1MSP: false, Org2MSP: false },
      mismatches: { Org1MSP: ['EndorsementInfo'], Org2MSP: ['ChaincodeParameters'] },
    });

    const listed = async (signer: Signer): Promise<string[]> => {
      const r = await onOrg1(signer, 'QueryApprovedChaincodeDefinitions', new QueryApprovedChaincodeDefinitionsArgs().serializeBinary());
      if (r.response.status !== 200) throw new Error(r.response.message);
      return QueryApprovedChaincodeDefinitionsResult.deserializeBinary(r.response.payload)
        .getApprovedChaincodeDefinitionsList()
        .map((d) => `${d.getName()}#${d.getSequence()} ${d.getVersion()} ${d.getSource()?.getLocalPackage()?.getPackageId() ?? 'unavailable'}`);
    };
    expect(await listed(org1Admin)).toEqual(expect.arrayContaining([`inspect#1 1.0 ${PKG_A}`]));
    expect((await listed(org1Admin)).every((d) => !d.startsWith('solo#'))).toBe(true); // another channel's approval
    await expect(listed(signerOf(net.m.orgs[0]))).rejects.toThrow(/access denied for \[_lifecycle\/QueryApprovedChaincodeDefinitions\]: the creator must be an admin of Org1MSP/);
  });

  it("commits once this org approved: MAJORITY LifecycleEndorsement still needs Org2, whose peer refuses without Org2's approval", async () => {
    const commitArgs = fill(new CommitChaincodeDefinitionArgs(), { name: 'rules', sequence: 1 }).serializeBinary();
    // Org1's peer endorses on Org1's approval alone…
    expect((await onOrg1(org1Admin, 'CommitChaincodeDefinition', commitArgs)).response.status).toBe(200);
    // …but the Gateway must also collect Org2's, and Org2's peer says why it will not.
    expect(await details(submit(admins[0], 'CommitChaincodeDefinition', commitArgs))).toMatch(/Org2MSP: .*chaincode definition not agreed to by this org \(Org2MSP\)/);

    await submit(admins[1], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 1, packageId: PKG_A }));
    await peersInSync(net.peers);
    await submit(admins[0], 'CommitChaincodeDefinition', commitArgs);
    await peersInSync(net.peers);

    const approve = async (d: Def): Promise<{ status: number; message: string }> => (await onOrg1(org1Admin, 'ApproveChaincodeDefinitionForMyOrg', approveArgs(d))).response;
    expect((await approve({ name: 'rules', sequence: 1, packageId: PKG_A })).message).toMatch(/attempted to redefine the current committed sequence \(1\) for namespace rules$/);
    expect((await approve({ name: 'rules', sequence: 1, version: '2.0', packageId: PKG_A })).message).toMatch(
      /attempted to redefine the current committed sequence \(1\) for namespace rules with different parameters: expected Version '1\.0' does not match passed Version '2\.0'/,
    );
    expect((await approve({ name: 'rules', sequence: 0 })).message).toMatch(/currently defined sequence 1 is larger than requested sequence 0/);
    // At the committed sequence, an org may switch its peers to another package.
    expect((await approve({ name: 'rules', sequence: 1, packageId: PKG_B })).status).toBe(200);

    // Sequence 0: the committed sequence, until this org approves the next one.
    expect((await queryApproved('rules', 0)).getSequence()).toBe(1);
    await submit(admins[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'rules', sequence: 2, version: '2.0', packageId: PKG_B }));
    const next = await queryApproved('rules', 0);
    expect([next.getSequence(), next.getVersion()]).toEqual([2, '2.0']);
  });

  it('on a channel whose LifecycleEndorsement is ANY Endorsement, one org approving and endorsing commits', async () => {
    await submit(admins[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs({ name: 'solo', sequence: 1, packageId: PKG_A }), ANY_CHANNEL);
    await submit(admins[0], 'CommitChaincodeDefinition', fill(new CommitChaincodeDefinitionArgs(), { name: 'solo', sequence: 1 }).serializeBinary(), ANY_CHANNEL);
    await peersInSync(net.peers, ANY_CHANNEL);
    const q = new QueryChaincodeDefinitionArgs();
    q.setName('solo');
    for (const gw of admins) {
      const def = QueryChaincodeDefinitionResult.deserializeBinary(
        await gw.getNetwork(ANY_CHANNEL).getContract('_lifecycle').evaluateTransaction('QueryChaincodeDefinition', q.serializeBinary()),
      );
      expect(def.getSequence()).toBe(1);
      expect(Object.fromEntries(def.getApprovalsMap().toArray())).toEqual({ Org1MSP: true, Org2MSP: false });
    }
  });

  it('guards the definition queries with /Channel/Application/Writers when the channel config names no ACL', async () => {
    // A peer's identity is a channel Reader but not a Writer (Writers: admin and client roles).
    const peer = loadSigningIdentity(net.m.orgs[0].nodes.peer0.mspDir, 'Org1MSP');
    const q = new QueryChaincodeDefinitionArgs();
    q.setName('kv');
    const denied = await onOrg1(peer, 'QueryChaincodeDefinition', q.serializeBinary(), NO_ACL_CHANNEL);
    expect(denied.response.message).toMatch(/access denied for \[_lifecycle\/QueryChaincodeDefinition\].*with policy \[\/Channel\/Application\/Writers\]/);
    const all = await onOrg1(peer, 'QueryChaincodeDefinitions', new QueryChaincodeDefinitionsArgs().serializeBinary(), NO_ACL_CHANNEL);
    expect(all.response.message).toMatch(/access denied for \[_lifecycle\/QueryChaincodeDefinitions\].*with policy \[\/Channel\/Application\/Writers\]/);
    const admin = await onOrg1(org1Admin, 'QueryChaincodeDefinition', q.serializeBinary(), NO_ACL_CHANNEL);
    expect(admin.response).toMatchObject({ status: 404, message: 'namespace kv is not defined' });
  });
});
