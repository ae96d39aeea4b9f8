import * as fs from 'node:fs';
import * as path from 'node:path';
import { ChannelHeader, Envelope, Header, Payload, SignatureHeader } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { createHash } from 'node:crypto';
import { HashedRWSet, KVMetadataEntry, KVMetadataWrite, KVMetadataWriteHash, KVRWSet, KVWrite, KVWriteHash } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { CollectionHashedReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { ChaincodeEvent } from '@hyperledger/fabric-protos/lib/peer/chaincode_event_pb';
import { ProposalResponsePayload } from '@hyperledger/fabric-protos/lib/peer/proposal_response_pb';
import { ChaincodeActionPayload, ChaincodeEndorsedAction, Transaction, TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { buildProposal, parseSignedProposal, signProposal } from '../../../core/protocol/proposal';
import { buildProposalResponse, parseProposalResponse } from '../../../core/protocol/proposal-response';
import type { Signer } from '../../../core/protocol/signer';
import { buildTransactionEnvelope } from '../../../core/protocol/transaction';
import { TestOrg } from '../../../plugins/msp-x509';
import { FabricPolicyProvider } from '../../../plugins/policy-fabric';
import { testIdentitySigner } from '../orderer/orderer-fixture';
import { LIFECYCLE_NAMESPACE, approvalKey, approvedChaincodes, definitionKey, encodeDefinition, readApproval } from '../../../core/peer/lifecycle/lifecycle-state';
import { ApplicationPolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { HeaderType, type Harness, commitBlock, definitionWrites, endorsedTx, openHarness, rwset, typedEnvelope, nsRwset, txRwset } from './channel-harness';
import { CHANNEL, type Material, generateMaterial, tmpDir } from './network-fixture';
import { commitLifecycle, lifecycleTx } from './lifecycle-harness';
import { testDefinition } from '../../support/chaincode-definition';

const b = (s: string): Uint8Array => Buffer.from(s);
const definitionOf = (name: string) => testDefinition(name, { validationParameter: new Uint8Array(0) });
const codeName = (c: number): string => Object.entries(TxValidationCode).find(([, v]) => v === c)?.[0] ?? String(c);

interface Endorsed {
  readonly creator: Signer;
  readonly endorsers: readonly Signer[];
  readonly headerChaincode: string;
  readonly actionChaincode?: { name: string; version: string };
  readonly results: Uint8Array;
  readonly events?: Uint8Array;
}

/** An endorsed transaction whose header, action and event may disagree (as no honest client builds them). */
function customTx(o: Endorsed): Uint8Array {
  const built = buildProposal({ channelId: CHANNEL, chaincodeName: o.headerChaincode, args: [b('f')], creator: o.creator.serialized });
  const proposal = parseSignedProposal(signProposal(built.proposalBytes, o.creator));
  const chaincodeId = o.actionChaincode ?? { name: o.headerChaincode, version: '1.0' };
  const responses = o.endorsers.map((e) =>
    parseProposalResponse(buildProposalResponse({ proposal, response: { status: 200 }, results: o.results, events: o.events, chaincodeId, endorser: e })),
  );
  return buildTransactionEnvelope(proposal, responses, o.creator);
}

/** Decodes an envelope, lets `change` edit its payload (and parts), then re-encodes it signed by `signer`. */
function reshaped(envelope: Uint8Array, signer: Signer, change: (p: Payload) => void): Uint8Array {
  const env = Envelope.deserializeBinary(envelope);
  const payload = Payload.deserializeBinary(env.getPayload_asU8());
  change(payload);
  const bytes = payload.serializeBinary();
  env.setPayload(bytes);
  env.setSignature(signer.sign(bytes));
  return env.serializeBinary();
}

function editChannelHeader(p: Payload, edit: (ch: ChannelHeader) => void): void {
  const header = p.getHeader() as Header;
  const ch = ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
  edit(ch);
  header.setChannelHeader(ch.serializeBinary());
}

function editSignatureHeader(p: Payload, edit: (sh: SignatureHeader) => void): void {
  const header = p.getHeader() as Header;
  const sh = SignatureHeader.deserializeBinary(header.getSignatureHeader_asU8());
  edit(sh);
  header.setSignatureHeader(sh.serializeBinary());
}

/** Edits the single action's `ChaincodeActionPayload`. */
function editActionPayload(p: Payload, edit: (cap: ChaincodeActionPayload, tx: Transaction) => void): void {
  const tx = Transaction.deserializeBinary(p.getData_asU8());
  const action = tx.getActionsList()[0];
  const cap = ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
  edit(cap, tx);
  action.setPayload(cap.serializeBinary());
  p.setData(tx.serializeBinary());
}

function editResponsePayload(p: Payload, edit: (prp: ProposalResponsePayload) => void): void {
  editActionPayload(p, (cap) => {
    const endorsed = cap.getAction() as ChaincodeEndorsedAction;
    const prp = ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8());
    edit(prp);
    endorsed.setProposalResponsePayload(prp.serializeBinary());
  });
}

function write(key: string, value: string): KVWrite {
  const w = new KVWrite();
  w.setKey(key);
  w.setValue(b(value));
  return w;
}

/** Writes `key` and sets its key-level endorsement policy. */
function keyPolicyWrite(namespace: string, key: string, policy: Uint8Array): Uint8Array {
  const entry = validationParameter(policy);
  const meta = new KVMetadataWrite();
  meta.setKey(key);
  meta.setEntriesList([entry]);
  const kv = new KVRWSet();
  kv.setWritesList([write(key, 'guarded')]);
  kv.setMetadataWritesList([meta]);
  return txRwset(nsRwset(namespace, kv));
}

const sha256 = (s: string | Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(s).digest());

function validationParameter(policy: Uint8Array): KVMetadataEntry {
  const entry = new KVMetadataEntry();
  entry.setName('VALIDATION_PARAMETER');
  entry.setValue(policy);
  return entry;
}

/** A hashed write of private key `key` in `collection` of `namespace` (default `cc`) and/or a key-level policy for it. */
function privateWrite(collection: string, key: string, o: { value?: string; policy?: Uint8Array; namespace?: string }): Uint8Array {
  const hashed = new HashedRWSet();
  if (o.value !== undefined) {
    const w = new KVWriteHash();
    w.setKeyHash(sha256(key));
    w.setValueHash(sha256(o.value));
    hashed.setHashedWritesList([w]);
  }
  if (o.policy !== undefined) {
    const m = new KVMetadataWriteHash();
    m.setKeyHash(sha256(key));
    m.setEntriesList([validationParameter(o.policy)]);
    hashed.setMetadataWritesList([m]);
  }
  const coll = new CollectionHashedReadWriteSet();
  coll.setCollectionName(collection);
  coll.setHashedRwset(hashed.serializeBinary());
  coll.setPvtRwsetHash(sha256(`pvt ${o.value ?? ''}`));
  const ns = nsRwset(o.namespace ?? 'cc', new KVRWSet());
  ns.setCollectionHashedRwsetList([coll]);
  return txRwset(ns);
}

describe("committer-side validation codes: every field of the header chain and Fabric's dispatcher checks", () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  const policies = new FabricPolicyProvider();

  beforeAll(async () => {
    dir = tmpDir('weft-peer-validation-codes-');
    m = await generateMaterial(dir);
    h = openHarness(m, path.join(dir, 'ledgers'));
    const defs = ['cc', 'other'].map((name) => endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: definitionWrites(name) }).envelope);
    const org1Policy = new ApplicationPolicy();
    org1Policy.setSignaturePolicy(SignaturePolicyEnvelope.deserializeBinary(policies.compileExpression("OR('Org1MSP.member')")));
    const org1only = encodeDefinition({ ...definitionOf('org1only'), validationParameter: org1Policy.serializeBinary() });
    defs.push(endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: '_lifecycle', results: rwset({ [LIFECYCLE_NAMESPACE]: { [definitionKey('org1only')]: org1only } }) }).envelope);
    expect(await commitBlock(h, defs)).toEqual([TxValidationCode.VALID, TxValidationCode.VALID, TxValidationCode.VALID]);
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const good = (key: string): Uint8Array => endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { [key]: b('1') } }) }).envelope;

  it('gives each header-chain defect the code of msgvalidation.go, and a bad signature before any later defect', async () => {
    const user = h.users[0];
    const stranger = testIdentitySigner(await (await TestOrg.create({ mspId: 'Org9MSP' })).issue('user'));
    const unsigned = Envelope.deserializeBinary(good('unsigned'));
    unsigned.setSignature(new Uint8Array(0));
    const notAPayload = new Envelope();
    notAPayload.setPayload(new Uint8Array([0xff, 0xff]));
    notAPayload.setSignature(b('s'));
    const cases: Record<string, [Uint8Array, number]> = {
      payloadNotAPayload: [notAPayload.serializeBinary(), TxValidationCode.BAD_PAYLOAD],
      noHeader: [reshaped(good('noheader'), user, (p) => p.clearHeader()), TxValidationCode.BAD_COMMON_HEADER],
      channelHeaderGarbage: [reshaped(good('chgarbage'), user, (p) => (p.getHeader() as Header).setChannelHeader(new Uint8Array([0xff]))), TxValidationCode.BAD_COMMON_HEADER],
      signatureHeaderGarbage: [reshaped(good('shgarbage'), user, (p) => (p.getHeader() as Header).setSignatureHeader(new Uint8Array([0xff]))), TxValidationCode.BAD_COMMON_HEADER],
      epoch: [reshaped(good('epoch'), user, (p) => editChannelHeader(p, (ch) => ch.setEpoch(1))), TxValidationCode.BAD_COMMON_HEADER],
      messageType: [typedEnvelope(HeaderType.MESSAGE, user), TxValidationCode.BAD_COMMON_HEADER],
      noNonce: [reshaped(good('nononce'), user, (p) => editSignatureHeader(p, (sh) => sh.setNonce(new Uint8Array(0)))), TxValidationCode.BAD_COMMON_HEADER],
      noCreator: [reshaped(good('nocreator'), user, (p) => editSignatureHeader(p, (sh) => sh.setCreator(new Uint8Array(0)))), TxValidationCode.BAD_COMMON_HEADER],
      noSignature: [unsigned.serializeBinary(), TxValidationCode.BAD_CREATOR_SIGNATURE],
      foreignMsp: [endorsedTx({ creator: stranger, endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { foreign: b('1') } }) }).envelope, TxValidationCode.BAD_CREATOR_SIGNATURE],
      configUpdate: [typedEnvelope(HeaderType.CONFIG_UPDATE, user), TxValidationCode.UNSUPPORTED_TX_PAYLOAD],
      forgedAndBadTxId: [
        endorsedTx({ creator: user, endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { forged: b('1') } }), txId: 'e'.repeat(64), envelopeSigner: h.users[1] }).envelope,
        TxValidationCode.BAD_CREATOR_SIGNATURE,
      ],
    };
    const flags = await commitBlock(h, Object.values(cases).map(([env]) => env));
    expect(Object.fromEntries(Object.keys(cases).map((k, i) => [k, codeName(flags[i])]))).toEqual(
      Object.fromEntries(Object.entries(cases).map(([k, [, code]]) => [k, codeName(code)])),
    );
  });

  it('gives transaction-structure defects INVALID_ENDORSER_TRANSACTION and the dispatcher defects their own codes', async () => {
    const user = h.users[0];
    const event = new ChaincodeEvent();
    event.setChaincodeId('other');
    event.setEventName('e');
    const cases: Record<string, [Uint8Array, number]> = {
      twoActions: [reshaped(good('two'), user, (p) => p.setData(((tx) => (tx.addActions(tx.getActionsList()[0]), tx.serializeBinary()))(Transaction.deserializeBinary(p.getData_asU8())))), TxValidationCode.INVALID_ENDORSER_TRANSACTION],
      transactionGarbage: [reshaped(good('txgarbage'), user, (p) => p.setData(new Uint8Array([0xff]))), TxValidationCode.INVALID_ENDORSER_TRANSACTION],
      proposalHash: [reshaped(good('hash'), user, (p) => editResponsePayload(p, (prp) => prp.setProposalHash(new Uint8Array(32)))), TxValidationCode.INVALID_ENDORSER_TRANSACTION],
      headerExtensionGarbage: [reshaped(good('ext'), user, (p) => editChannelHeader(p, (ch) => ch.setExtension$(new Uint8Array([0xff])))), TxValidationCode.BAD_HEADER_EXTENSION],
      actionGarbage: [reshaped(good('action'), user, (p) => editResponsePayload(p, (prp) => prp.setExtension$(new Uint8Array([0xff])))), TxValidationCode.BAD_RESPONSE_PAYLOAD],
      rwsetGarbage: [customTx({ creator: user, endorsers: h.peers, headerChaincode: 'cc', results: new Uint8Array([0xff]) }), TxValidationCode.BAD_RWSET],
      chaincodeMismatch: [
        customTx({ creator: user, endorsers: h.peers, headerChaincode: 'cc', actionChaincode: { name: 'other', version: '1.0' }, results: rwset({ cc: { mismatch: b('1') } }) }),
        TxValidationCode.INVALID_CHAINCODE,
      ],
      noVersion: [customTx({ creator: user, endorsers: h.peers, headerChaincode: 'cc', actionChaincode: { name: 'cc', version: '' }, results: rwset({ cc: { noversion: b('1') } }) }), TxValidationCode.INVALID_CHAINCODE],
      undefinedInvoked: [customTx({ creator: user, endorsers: h.peers, headerChaincode: 'nope', results: rwset({ cc: { undefinedinvoked: b('1') } }) }), TxValidationCode.INVALID_CHAINCODE],
      foreignEvent: [customTx({ creator: user, endorsers: h.peers, headerChaincode: 'cc', results: rwset({ cc: { event: b('1') } }), events: event.serializeBinary() }), TxValidationCode.INVALID_OTHER_REASON],
      namespaceTwice: [
        customTx({ creator: user, endorsers: h.peers, headerChaincode: 'cc', results: txRwset(nsRwset('cc', ((kv) => (kv.setWritesList([write('d1', '1')]), kv))(new KVRWSet())), nsRwset('cc', new KVRWSet())) }),
        TxValidationCode.ILLEGAL_WRITESET,
      ],
      // The invoked `cc`'s MAJORITY policy applies although the transaction writes only `org1only`, which Org1 alone may write.
      invokedPolicy: [customTx({ creator: user, endorsers: [h.peers[0]], headerChaincode: 'cc', results: rwset({ org1only: { invoked: b('1') } }) }), TxValidationCode.ENDORSEMENT_POLICY_FAILURE],
      invokedPolicyMet: [customTx({ creator: user, endorsers: h.peers, headerChaincode: 'cc', results: rwset({ org1only: { invoked: b('1') } }) }), TxValidationCode.VALID],
    };
    const flags = await commitBlock(h, Object.values(cases).map(([env]) => env));
    expect(Object.fromEntries(Object.keys(cases).map((k, i) => [k, codeName(flags[i])]))).toEqual(
      Object.fromEntries(Object.entries(cases).map(([k, [, code]]) => [k, codeName(code)])),
    );
    const ledger = h.joined.channel.ledger;
    for (const key of ['mismatch', 'noversion', 'undefinedinvoked', 'event', 'd1']) expect(ledger.getVersionedState('cc', key)).toBeUndefined();
  });

  it('judges duplicate txids in a block only among transactions that validated, as markTXIdDuplicates does', async () => {
    const nonce = new Uint8Array(24).fill(7);
    const oneOrg = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { dup: b('one org') } }), nonce });
    const bothOrgs = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { dup: b('both orgs') } }), nonce });
    expect(oneOrg.txId).toBe(bothOrgs.txId);
    expect(await commitBlock(h, [oneOrg.envelope, bothOrgs.envelope, bothOrgs.envelope])).toEqual([
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.VALID,
      TxValidationCode.DUPLICATE_TXID,
    ]);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'dup')?.value ?? []).toString()).toBe('both orgs');
  });

  it("fails a write to a key whose endorsement policy an earlier transaction of the same block changed (Fabric's validation parameter dependency)", async () => {
    const org1 = policies.compileExpression("OR('Org1MSP.member')");
    const both = policies.compileExpression("AND('Org1MSP.member', 'Org2MSP.member')");
    const guard = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: keyPolicyWrite('cc', 'K', org1) });
    expect(await commitBlock(h, [guard.envelope])).toEqual([TxValidationCode.VALID]);

    // Org1 alone may still change K's policy (the committed one is Org1's), but a blind write by
    // Org1 alone after it in the same block was endorsed against a policy K no longer has.
    const tighten = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: keyPolicyWrite('cc', 'K', both) });
    const blindWrite = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: rwset({ cc: { K: b('by org1 alone') } }) });
    const otherKey = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { notK: b('1') } }) });
    expect(await commitBlock(h, [tighten.envelope, blindWrite.envelope, otherKey.envelope])).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.VALID,
    ]);
    expect(Buffer.from(h.joined.channel.ledger.getVersionedState('cc', 'K')?.value ?? []).toString()).toBe('guarded');

    // A change that failed its own policy check sets up no dependency.
    const failedChange = endorsedTx({ creator: h.users[1], endorsers: [h.peers[1]], chaincode: 'cc', results: keyPolicyWrite('cc', 'K', org1) });
    const bothWrite = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ cc: { K: b('by both') } }) });
    expect(await commitBlock(h, [failedChange.envelope, bothWrite.envelope])).toEqual([TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
  });

  it("takes an org's approval only under the org's Endorsement policy (its peers), as Fabric's implicit collection, and never stops on the org a collection names", async () => {
    // An approval is a write into the org's implicit collection of `_lifecycle` (Fabric's
    // CollectionValidationInfo: the org's own Endorsement policy), whatever key it writes.
    const approval = (collection: string, endorser: Signer): Uint8Array =>
      endorsedTx({ creator: h.users[0], endorsers: [endorser], chaincode: LIFECYCLE_NAMESPACE, results: privateWrite(collection, 'namespaces/metadata/cc#9', { value: 'v', namespace: LIFECYCLE_NAMESPACE }) })
        .envelope;
    const height = h.joined.channel.height();
    expect(
      await commitBlock(h, [
        approval("_implicit_org_x')", h.peers[0]),
        approval('_implicit_org_NoSuchMSP', h.peers[0]),
        approval('_implicit_org_Org1MSP', h.users[0]),
        approval('_implicit_org_Org1MSP', h.peers[1]),
        approval('secrets', h.peers[0]),
        approval('_implicit_org_Org1MSP', h.peers[0]),
      ]),
    ).toEqual([
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      // An Org1 client is a member of Org1, not one of its peers; Org2's peer is not Org1's.
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      // `_lifecycle` has no collection but the implicit ones.
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.VALID,
    ]);
    expect(h.joined.channel.height()).toBe(height + 1);
    // The old public approval key is an ordinary `_lifecycle` key: LifecycleEndorsement (both orgs'
    // peers here), and no approval once written.
    const legacy = (endorsers: readonly Signer[]): Uint8Array =>
      endorsedTx({ creator: h.users[0], endorsers, chaincode: LIFECYCLE_NAMESPACE, results: rwset({ [LIFECYCLE_NAMESPACE]: { [approvalKey('Org1MSP', 'cc', 1)]: b('v') } }) }).envelope;
    expect(await commitBlock(h, [legacy([h.peers[0]]), legacy(h.peers)])).toEqual([TxValidationCode.ENDORSEMENT_POLICY_FAILURE, TxValidationCode.VALID]);
    // Validation checks who wrote an approval, not what: stored values that hold none are no
    // approval, and reading them throws nowhere (discovery, commit readiness, proposals).
    const garbage = lifecycleTx(h, [h.peers[0]], (sim) => {
      sim.setPrivateData(LIFECYCLE_NAMESPACE, '_implicit_org_Org1MSP', 'namespaces/metadata/cc#1', Uint8Array.of(0xff, 0xff, 0xff));
      sim.setPrivateData(LIFECYCLE_NAMESPACE, '_implicit_org_Org1MSP', 'chaincode-sources/metadata/cc#1', Uint8Array.of(0x0a, 0x01, 0xff));
    });
    expect(await commitLifecycle(h, [garbage])).toEqual([TxValidationCode.VALID]);
    const reader = h.joined.channel.ledger.newQueryExecutor();
    try {
      expect(reader.getPrivateData(LIFECYCLE_NAMESPACE, '_implicit_org_Org1MSP', 'namespaces/metadata/cc#1')).toEqual(Uint8Array.of(0xff, 0xff, 0xff));
      expect(readApproval(reader, 'Org1MSP', 'cc', 1)).toBeUndefined();
    } finally {
      reader.done();
    }
    expect(approvedChaincodes(h.joined.channel.ledger, 'Org1MSP')).toEqual([]);
  });

  it("fails a private write whose key-level policy an earlier transaction of the block changed (hashed metadata writes are dependencies too)", async () => {
    const coll = '_implicit_org_Org1MSP';
    const org1 = policies.compileExpression("OR('Org1MSP.member')");
    const both = policies.compileExpression("AND('Org1MSP.member', 'Org2MSP.member')");
    const guard = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: privateWrite(coll, 'secret', { value: 'v0', policy: org1 }) });
    expect(await commitBlock(h, [guard.envelope])).toEqual([TxValidationCode.VALID]);

    const tighten = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: privateWrite(coll, 'secret', { policy: both }) });
    const blindWrite = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: privateWrite(coll, 'secret', { value: 'v1' }) });
    const otherKey = endorsedTx({ creator: h.users[0], endorsers: [h.peers[0]], chaincode: 'cc', results: privateWrite(coll, 'other', { value: 'v1' }) });
    // Fabric: ValidationParameterUpdatedError for the private key written after its policy changed.
    expect(await commitBlock(h, [tighten.envelope, blindWrite.envelope, otherKey.envelope])).toEqual([
      TxValidationCode.VALID,
      TxValidationCode.ENDORSEMENT_POLICY_FAILURE,
      TxValidationCode.VALID,
    ]);
  });

  it('validates an invoked system chaincode as Fabric does: _lifecycle needs LifecycleEndorsement, the others have no definition', async () => {
    const oneOrg = [h.peers[0]];
    const cases: Record<string, [Uint8Array, number]> = {
      // A query response submitted as a transaction: Fabric's CheckCCEPIfNoEPChecked evaluates LifecycleEndorsement.
      lifecycleQuery: [endorsedTx({ creator: h.users[0], endorsers: oneOrg, chaincode: LIFECYCLE_NAMESPACE, results: rwset({}) }).envelope, TxValidationCode.ENDORSEMENT_POLICY_FAILURE],
      lifecycleQueryMajority: [endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: LIFECYCLE_NAMESPACE, results: rwset({}) }).envelope, TxValidationCode.VALID],
      lifecycleInvokedWritesCc: [endorsedTx({ creator: h.users[0], endorsers: oneOrg, chaincode: LIFECYCLE_NAMESPACE, results: rwset({ org1only: { viaLifecycle: b('1') } }) }).envelope, TxValidationCode.ENDORSEMENT_POLICY_FAILURE],
      // Neither _lifecycle nor legacy lscc state defines these: GetInfoForValidate fails.
      qsccQuery: [endorsedTx({ creator: h.users[0], endorsers: oneOrg, chaincode: 'qscc', results: rwset({}) }).envelope, TxValidationCode.INVALID_CHAINCODE],
      csccQuery: [endorsedTx({ creator: h.users[0], endorsers: oneOrg, chaincode: 'cscc', results: rwset({}) }).envelope, TxValidationCode.INVALID_CHAINCODE],
      qsccWritesCc: [endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'qscc', results: rwset({ cc: { viaQscc: b('v') } }) }).envelope, TxValidationCode.INVALID_CHAINCODE],
      lsccWrite: [endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ lscc: { k: b('v') } }) }).envelope, TxValidationCode.INVALID_CHAINCODE],
      vsccWrite: [endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: 'cc', results: rwset({ vscc: { k: b('v') } }) }).envelope, TxValidationCode.INVALID_CHAINCODE],
    };
    const flags = await commitBlock(h, Object.values(cases).map(([env]) => env));
    expect(Object.fromEntries(Object.keys(cases).map((k, i) => [k, codeName(flags[i])]))).toEqual(
      Object.fromEntries(Object.entries(cases).map(([k, [, code]]) => [k, codeName(code)])),
    );
    expect(h.joined.channel.ledger.getVersionedState('cc', 'viaQscc')).toBeUndefined();
  });
});
