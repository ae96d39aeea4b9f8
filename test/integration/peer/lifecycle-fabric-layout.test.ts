/**
 * `_lifecycle` keeps its state as Fabric 2.x does (`core/chaincode/lifecycle/lifecycle.go`,
 * `serializer.go`), so Weft and Fabric peers on one channel simulate the same read/write sets:
 * the committed definition as `StateMetadata` plus one `StateData` key per field in public state,
 * and each org's approval as private data of its implicit collection, which other orgs' peers
 * hold only as hashes and judge by hashing what the approval would have stored. Expected bytes
 * are built here from the generated protos, independently of the code under test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { HashedRWSet, KVRWSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/kvrwset/kv_rwset_pb';
import { TxReadWriteSet } from '@hyperledger/fabric-protos/lib/ledger/rwset/rwset_pb';
import { ChaincodeEndorsementInfo, ChaincodeValidationInfo } from '@hyperledger/fabric-protos/lib/peer/lifecycle/chaincode_definition_pb';
import { StateData, StateMetadata } from '@hyperledger/fabric-protos/lib/peer/lifecycle/db_pb';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  CheckCommitReadinessResult,
  CommitChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionResult,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { PackageStore } from '../../../core/chaincode/package-store';
import { decodeTxPvtRwSet, pvtNamespace } from '../../../core/ledger/private-data';
import { ChaincodeInstaller } from '../../../core/peer/lifecycle/chaincode-installer';
import { LifecycleCache } from '../../../core/peer/lifecycle/lifecycle-cache';
import { LifecycleScc } from '../../../core/peer/lifecycle/lifecycle-scc';
import { LIFECYCLE_NAMESPACE, defaultValidationParameter, definitionKey, encodeDefinition } from '../../../core/peer/lifecycle/lifecycle-state';
import { LocalPolicies } from '../../../core/peer/scc/acl';
import type { Signer } from '../../../core/protocol/signer';
import { X509MspProvider } from '../../../plugins/msp-x509';
import { collectionPackage, staticCollection } from '../../support/lifecycle-collections';
import { type Harness, endorsedTx, openHarness, rwset } from './channel-harness';
import { commitLifecycle, invokeScc, sccTx } from './lifecycle-harness';
import { type Material, generateMaterial, signerOf, tmpDir } from './network-fixture';
import { testDefinition } from '../../support/chaincode-definition';

const ORG1_COLL = '_implicit_org_Org1MSP';
const ORG2_COLL = '_implicit_org_Org2MSP';
const PKG1 = `kv_1:${'1'.repeat(64)}`;
const PKG2 = `kv_1:${'2'.repeat(64)}`;
const DEFINITION_FIELDS = ['Sequence', 'EndorsementInfo', 'ValidationInfo', 'Collections'];

const sha256 = (b: Uint8Array | string): Buffer => createHash('sha256').update(b).digest();
const hex = (b: Uint8Array | string): string => sha256(b).toString('hex');
const metadata = (datatype: string, fields: string[]): Uint8Array => {
  const m = new StateMetadata();
  m.setDatatype(datatype);
  m.setFieldsList(fields);
  return m.serializeBinary();
};
/** A generated message, `set` applied (the generated setters are typed as returning nothing). */
function built<T extends { serializeBinary(): Uint8Array }>(m: T, set: (m: T) => void): Uint8Array {
  set(m);
  return m.serializeBinary();
}
const int64 = (v: number): Uint8Array => built(new StateData(), (d) => d.setInt64(v));
const bytes = (v: Uint8Array): Uint8Array => built(new StateData(), (d) => d.setBytes(v));
const string = (v: string): Uint8Array => built(new StateData(), (d) => d.setString(v));
const endorsementInfo = (version: string): Uint8Array =>
  bytes(
    built(new ChaincodeEndorsementInfo(), (e) => {
      e.setVersion(version);
      e.setEndorsementPlugin('escc');
    }),
  );
const defaultPolicy = (): Uint8Array => built(new ApplicationPolicy(), (p) => p.setChannelConfigPolicyReference('/Channel/Application/Endorsement'));
const validationInfo = (): Uint8Array =>
  bytes(
    built(new ChaincodeValidationInfo(), (v) => {
      v.setValidationPlugin('vscc');
      v.setValidationParameter(defaultPolicy());
    }),
  );
const noCollections = (): Uint8Array => bytes(new Uint8Array(0));

/** The `_lifecycle` part of a serialized `TxReadWriteSet`: public reads and writes, and per collection the hashed keys. */
function lifecycleRw(results: Uint8Array): { reads: string[]; writes: Map<string, Uint8Array>; hashedReads: Map<string, string[]>; hashedWrites: Map<string, string[]> } {
  const out = { reads: [] as string[], writes: new Map<string, Uint8Array>(), hashedReads: new Map<string, string[]>(), hashedWrites: new Map<string, string[]>() };
  const ns = TxReadWriteSet.deserializeBinary(results)
    .getNsRwsetList()
    .find((n) => n.getNamespace() === LIFECYCLE_NAMESPACE);
  if (ns === undefined) return out;
  const kv = KVRWSet.deserializeBinary(ns.getRwset_asU8());
  out.reads = kv.getReadsList().map((r) => r.getKey());
  for (const w of kv.getWritesList()) out.writes.set(w.getKey(), w.getValue_asU8());
  for (const c of ns.getCollectionHashedRwsetList()) {
    const h = HashedRWSet.deserializeBinary(c.getHashedRwset_asU8());
    out.hashedReads.set(c.getCollectionName(), h.getHashedReadsList().map((r) => Buffer.from(r.getKeyHash_asU8()).toString('hex')));
    out.hashedWrites.set(c.getCollectionName(), h.getHashedWritesList().map((w) => Buffer.from(w.getKeyHash_asU8()).toString('hex')));
  }
  return out;
}

const sorted = (keys: Iterable<string>): string[] => [...keys].sort();

/** The keys `namespace` reads in a serialized `TxReadWriteSet`, with whether each read names a version. */
function readsOf(results: Uint8Array, namespace: string): [string, boolean][] {
  const ns = TxReadWriteSet.deserializeBinary(results)
    .getNsRwsetList()
    .find((n) => n.getNamespace() === namespace);
  return ns === undefined ? [] : KVRWSet.deserializeBinary(ns.getRwset_asU8()).getReadsList().map((r) => [r.getKey(), r.hasVersion()]);
}

/** A length-delimited field `field` holding `content`, encoded by hand. */
function len(field: number, content: Uint8Array): Uint8Array {
  const size: number[] = [];
  for (let n = content.length; ; n >>>= 7) {
    if (n < 0x80) {
      size.push(n);
      break;
    }
    size.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Uint8Array.of(field * 8 + 2, ...size), content]);
}
/** Field 111 as a varint: no field of any collection message. */
const UNKNOWN = Uint8Array.of(0xf8, 0x06, 0x01);

function approveArgs(name: string, sequence: number, version: string, packageId: string): Uint8Array {
  const a = new ApproveChaincodeDefinitionForMyOrgArgs();
  a.setName(name);
  a.setSequence(sequence);
  a.setVersion(version);
  const local = new ChaincodeSource.Local();
  local.setPackageId(packageId);
  const source = new ChaincodeSource();
  source.setLocalPackage(local);
  a.setSource(source);
  return a.serializeBinary();
}

function definitionArgs<T extends CommitChaincodeDefinitionArgs | CheckCommitReadinessArgs>(m: T, name: string, sequence: number, version: string): Uint8Array {
  m.setName(name);
  m.setSequence(sequence);
  m.setVersion(version);
  return m.serializeBinary();
}

/** The private keys one approval writes: the parameters and the package source of `<cc>#<seq>`. */
function approvalKeys(name: string, sequence: number): string[] {
  const pn = `${name}#${sequence}`;
  return [
    `namespaces/metadata/${pn}`,
    `namespaces/fields/${pn}/EndorsementInfo`,
    `namespaces/fields/${pn}/ValidationInfo`,
    `namespaces/fields/${pn}/Collections`,
    `chaincode-sources/metadata/${pn}`,
    `chaincode-sources/fields/${pn}/PackageID`,
  ];
}

describe('_lifecycle state in Fabric 2.x layout', () => {
  let dir: string;
  let m: Material;
  let h: Harness;
  let scc: [LifecycleScc, LifecycleScc];
  let admins: [Signer, Signer];

  /** Simulates `fn` as `org`'s peer and commits it endorsed by `endorsers` (default: that org's peer). */
  const submit = async (org: 0 | 1, fn: string, arg: Uint8Array, endorsers: readonly Signer[] = [h.peers[org]]) => {
    const outcome = await invokeScc(h, scc[org], fn, arg, admins[org]);
    expect({ status: outcome.response.status, message: outcome.response.message }).toEqual({ status: 200, message: '' });
    const [code] = await commitLifecycle(h, [sccTx(h, outcome, endorsers)]);
    return { outcome, code };
  };
  const readiness = async (org: 0 | 1, version: string, name = 'kv') => {
    const res = await invokeScc(h, scc[org], 'CheckCommitReadiness', definitionArgs(new CheckCommitReadinessArgs(), name, 1, version), admins[org]);
    expect(res.response.status).toBe(200);
    const r = CheckCommitReadinessResult.deserializeBinary(res.response.payload);
    return {
      approvals: Object.fromEntries(r.getApprovalsMap().toArray()),
      mismatches: Object.fromEntries(r.getMismatchesMap().toObject(false, CheckCommitReadinessResult.Mismatches.toObject).map(([org, mm]) => [org, mm.itemsList])),
    };
  };

  beforeAll(async () => {
    dir = tmpDir('weft-lifecycle-fabric-layout-');
    m = await generateMaterial(dir);
    // The ledger of Org1's peer: it holds Org1's private values and every org's hashes.
    h = openHarness(m, path.join(dir, 'ledgers'));
    const msp = new X509MspProvider();
    const sccFor = (org: 0 | 1, mspId: string): LifecycleScc =>
      new LifecycleScc(
        new LocalPolicies(msp.createMsp(msp.loadMspConfig(m.orgs[org].nodes.peer0.mspDir, mspId)), mspId),
        new ChaincodeInstaller(new PackageStore(path.join(dir, `packages${org}`)), undefined),
        () => [h.joined.channel],
      );
    scc = [sccFor(0, 'Org1MSP'), sccFor(1, 'Org2MSP')];
    admins = [signerOf(m.orgs[0], 'Admin'), signerOf(m.orgs[1], 'Admin')];
  }, 60_000);

  afterAll(() => {
    h?.channels.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("stores an approval as private data of the org's implicit collection: values on its own peers, hashes elsewhere, no public key", async () => {
    const { outcome, code } = await submit(0, 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kv', 1, '1.0', PKG1));
    expect(code).toBe(TxValidationCode.VALID);
    const rw = lifecycleRw(outcome.results);
    expect(rw.writes.size).toBe(0);
    // Fabric reads the current sequence and the committed definition's metadata (none yet), then
    // looks for the chaincode in legacy lscc state (a read with no version).
    expect(sorted(rw.reads)).toEqual(['namespaces/fields/kv/Sequence', 'namespaces/metadata/kv']);
    expect(readsOf(outcome.results, 'lscc')).toEqual([['kv', false]]);
    expect(sorted(rw.hashedWrites.get(ORG1_COLL) ?? [])).toEqual(sorted(approvalKeys('kv', 1).map(hex)));
    // Fabric's serializer reads each structure's metadata before writing it (none yet).
    expect(sorted(rw.hashedReads.get(ORG1_COLL) ?? [])).toEqual(sorted(['namespaces/metadata/kv#1', 'chaincode-sources/metadata/kv#1'].map(hex)));
    // The private rwset carries the values, byte for byte Fabric's serializer output.
    const [pvt] = decodeTxPvtRwSet(outcome.pvt as Uint8Array);
    expect([pvt?.namespace, pvt?.collection]).toEqual([LIFECYCLE_NAMESPACE, ORG1_COLL]);
    const values = new Map(KVRWSet.deserializeBinary(pvt?.rwset as Uint8Array).getWritesList().map((w) => [w.getKey(), Buffer.from(w.getValue_asU8())]));
    expect(Object.fromEntries(values)).toEqual({
      'chaincode-sources/fields/kv#1/PackageID': Buffer.from(string(PKG1)),
      'chaincode-sources/metadata/kv#1': Buffer.from(metadata('ChaincodeLocalPackage', ['PackageID'])),
      'namespaces/fields/kv#1/Collections': Buffer.from(noCollections()),
      'namespaces/fields/kv#1/EndorsementInfo': Buffer.from(endorsementInfo('1.0')),
      'namespaces/fields/kv#1/ValidationInfo': Buffer.from(validationInfo()),
      'namespaces/metadata/kv#1': Buffer.from(metadata('ChaincodeParameters', ['EndorsementInfo', 'ValidationInfo', 'Collections'])),
    });

    // Org1's peer (this ledger) committed its own org's values.
    const reader = h.joined.channel.ledger.newQueryExecutor();
    try {
      expect(reader.getPrivateData(LIFECYCLE_NAMESPACE, ORG1_COLL, 'chaincode-sources/fields/kv#1/PackageID')).toEqual(string(PKG1));
    } finally {
      reader.done();
    }

    // Org2's approval reaches this peer as hashes only, and its package ID nowhere.
    expect((await submit(1, 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kv', 1, '1.0', PKG2))).code).toBe(TxValidationCode.VALID);
    const ledger = h.joined.channel.ledger;
    const r2 = ledger.newQueryExecutor();
    try {
      expect(Buffer.from(r2.getPrivateDataHash(LIFECYCLE_NAMESPACE, ORG2_COLL, 'chaincode-sources/fields/kv#1/PackageID') ?? [])).toEqual(sha256(string(PKG2)));
      expect(() => r2.getPrivateData(LIFECYCLE_NAMESPACE, ORG2_COLL, 'chaincode-sources/fields/kv#1/PackageID')).toThrow(/private data matching public hash version is not available/);
      for (const key of approvalKeys('kv', 1)) expect(ledger.getVersionedState(pvtNamespace(LIFECYCLE_NAMESPACE, ORG2_COLL), key)).toBeUndefined();
      const publicValues = [...r2.getStateRange(LIFECYCLE_NAMESPACE, '', '')].map((kv) => Buffer.from(kv.value).toString('latin1'));
      expect(publicValues.filter((v) => v.includes(PKG1) || v.includes(PKG2))).toEqual([]);
    } finally {
      r2.done();
    }
  });

  it("judges commit readiness from the other org's hashes, naming Fabric's mismatching fields", async () => {
    expect(await readiness(0, '1.0')).toEqual({ approvals: { Org1MSP: true, Org2MSP: true }, mismatches: {} });
    expect(await readiness(1, '2.0')).toEqual({
      approvals: { Org1MSP: false, Org2MSP: false },
      mismatches: { Org1MSP: ['EndorsementInfo'], Org2MSP: ['EndorsementInfo'] },
    });
    expect(await readiness(0, '1.0', 'nobody')).toEqual({
      approvals: { Org1MSP: false, Org2MSP: false },
      mismatches: { Org1MSP: ['ChaincodeParameters'], Org2MSP: ['ChaincodeParameters'] },
    });
  });

  it('an approval endorsed by a peer of another org fails validation', async () => {
    const outcome = await invokeScc(h, scc[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kv', 1, '1.0', PKG2), admins[0]);
    expect(outcome.response.status).toBe(200);
    expect(await commitLifecycle(h, [sccTx(h, outcome, [h.peers[1]])])).toEqual([TxValidationCode.ENDORSEMENT_POLICY_FAILURE]);
    // Still the package Org1 approved before.
    const reader = h.joined.channel.ledger.newQueryExecutor();
    try {
      expect(reader.getPrivateData(LIFECYCLE_NAMESPACE, ORG1_COLL, 'chaincode-sources/fields/kv#1/PackageID')).toEqual(string(PKG1));
    } finally {
      reader.done();
    }
  });

  it("commits the definition as Fabric's serializer writes it, and a redefinition writes only the fields that change", async () => {
    const { outcome, code } = await submit(0, 'CommitChaincodeDefinition', definitionArgs(new CommitChaincodeDefinitionArgs(), 'kv', 1, '1.0'), h.peers);
    expect(code).toBe(TxValidationCode.VALID);
    const rw = lifecycleRw(outcome.results);
    expect(Object.fromEntries([...rw.writes].map(([k, v]) => [k, Buffer.from(v)]))).toEqual({
      'namespaces/fields/kv/Collections': Buffer.from(noCollections()),
      'namespaces/fields/kv/EndorsementInfo': Buffer.from(endorsementInfo('1.0')),
      'namespaces/fields/kv/Sequence': Buffer.from(int64(1)),
      'namespaces/fields/kv/ValidationInfo': Buffer.from(validationInfo()),
      'namespaces/metadata/kv': Buffer.from(metadata('ChaincodeDefinition', DEFINITION_FIELDS)),
    });
    expect(sorted(rw.reads)).toEqual(['namespaces/fields/kv/Sequence', 'namespaces/metadata/kv']);
    expect(readsOf(outcome.results, 'lscc')).toEqual([['kv', false]]);
    // Every org's approval, read as hashes only (Fabric's IsSerialized reads the four parameter keys).
    const params = approvalKeys('kv', 1).slice(0, 4).map(hex);
    expect(sorted(rw.hashedReads.get(ORG1_COLL) ?? [])).toEqual(sorted(params));
    expect(sorted(rw.hashedReads.get(ORG2_COLL) ?? [])).toEqual(sorted(params));

    // Both orgs' peers would run it: the cache judges the approvals from hashes, Org1's package from its own value.
    const cache = new LifecycleCache();
    expect(cache.definition(h.joined.channel.ledger, 'kv')).toMatchObject({ sequence: 1, version: '1.0', validationParameter: defaultValidationParameter() });
    expect(cache.approval(h.joined.channel.ledger, 'Org1MSP', 'kv', 1)?.packageId).toBe(PKG1);
    expect(cache.approval(h.joined.channel.ledger, 'Org2MSP', 'kv', 1)).toMatchObject({ packageId: undefined });
    expect(cache.approval(h.joined.channel.ledger, 'Org2MSP', 'kv', 1, [PKG1, PKG2])?.packageId).toBe(PKG2);
    const q = await invokeScc(h, scc[1], 'QueryChaincodeDefinition', built(new QueryChaincodeDefinitionArgs(), (q) => q.setName('kv')), admins[1]);
    expect(Object.fromEntries(QueryChaincodeDefinitionResult.deserializeBinary(q.response.payload).getApprovalsMap().toArray())).toEqual({ Org1MSP: true, Org2MSP: true });

    // Sequence 2 changes only the version: Fabric writes Sequence and EndorsementInfo, not the unchanged keys.
    await submit(0, 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kv', 2, '2.0', PKG1));
    await submit(1, 'ApproveChaincodeDefinitionForMyOrg', approveArgs('kv', 2, '2.0', PKG2));
    const second = await submit(0, 'CommitChaincodeDefinition', definitionArgs(new CommitChaincodeDefinitionArgs(), 'kv', 2, '2.0'), h.peers);
    expect(second.code).toBe(TxValidationCode.VALID);
    const rw2 = lifecycleRw(second.outcome.results);
    expect(Object.fromEntries([...rw2.writes].map(([k, v]) => [k, Buffer.from(v)]))).toEqual({
      'namespaces/fields/kv/EndorsementInfo': Buffer.from(endorsementInfo('2.0')),
      'namespaces/fields/kv/Sequence': Buffer.from(int64(2)),
    });
    expect(sorted(rw2.reads)).toEqual(sorted([...DEFINITION_FIELDS.map((f) => `namespaces/fields/kv/${f}`), 'namespaces/metadata/kv']));
    expect(readsOf(second.outcome.results, 'lscc')).toEqual([]);

    // QueryApprovedChaincodeDefinition answers from this org's private values.
    const approved = await invokeScc(h, scc[0], 'QueryApprovedChaincodeDefinition', built(new QueryApprovedChaincodeDefinitionArgs(), (q) => q.setName('kv')), admins[0]);
    const a = QueryApprovedChaincodeDefinitionResult.deserializeBinary(approved.response.payload);
    expect([a.getSequence(), a.getVersion(), a.getSource()?.getLocalPackage()?.getPackageId()]).toEqual([2, '2.0', PKG1]);
  });

  it('keeps unknown fields inside a collection package in what an approval stores and hashes, as protobuf-go does', async () => {
    // Collections (field 7) appended to the arguments by hand: the generated classes drop unknown fields.
    const approveWith = (pkg: Uint8Array) => Buffer.concat([approveArgs('uf', 1, '1.0', PKG1), len(7, pkg)]);
    const plain = collectionPackage({ name: 'secrets' }).serializeBinary();
    const unknownInside = len(1, len(1, Buffer.concat([staticCollection({ name: 'secrets' }).serializeBinary(), UNKNOWN])));
    expect((await submit(0, 'ApproveChaincodeDefinitionForMyOrg', approveWith(plain))).code).toBe(TxValidationCode.VALID);
    expect((await submit(1, 'ApproveChaincodeDefinitionForMyOrg', approveWith(unknownInside))).code).toBe(TxValidationCode.VALID);
    const storedHash = (coll: string): Buffer => {
      const reader = h.joined.channel.ledger.newQueryExecutor();
      try {
        return Buffer.from(reader.getPrivateDataHash(LIFECYCLE_NAMESPACE, coll, 'namespaces/fields/uf#1/Collections') ?? []);
      } finally {
        reader.done();
      }
    };
    expect(storedHash(ORG1_COLL)).toEqual(sha256(bytes(plain)));
    expect(storedHash(ORG2_COLL)).toEqual(sha256(bytes(unknownInside)));
    const check = new CheckCommitReadinessArgs();
    check.setCollections(collectionPackage({ name: 'secrets' }));
    const res = await invokeScc(h, scc[0], 'CheckCommitReadiness', definitionArgs(check, 'uf', 1, '1.0'), admins[0]);
    const r = CheckCommitReadinessResult.deserializeBinary(res.response.payload);
    expect(Object.fromEntries(r.getApprovalsMap().toArray())).toEqual({ Org1MSP: true, Org2MSP: false });
    expect(r.getMismatchesMap().get('Org2MSP')?.getItemsList()).toEqual(['Collections']);

    // The package's own unknown fields are not stored (Fabric's Approve builds a new package of the
    // configs): approving the plain package again with one is approving the same content.
    const again = await invokeScc(h, scc[0], 'ApproveChaincodeDefinitionForMyOrg', approveWith(Buffer.concat([plain, UNKNOWN])), admins[0]);
    expect(again.response.message).toMatch(/attempted to redefine uncommitted sequence \(1\) for namespace uf with unchanged content/);
  });

  it('still reads a definition committed in the layout of earlier Weft versions, without reading its key in a simulation', async () => {
    const legacy = encodeDefinition(testDefinition('old', { sequence: 3, version: '0.9' }));
    const tx = endorsedTx({ creator: h.users[0], endorsers: h.peers, chaincode: LIFECYCLE_NAMESPACE, results: rwset({ [LIFECYCLE_NAMESPACE]: { [definitionKey('old')]: legacy } }) });
    expect(await commitLifecycle(h, [{ ...tx, pvt: undefined }])).toEqual([TxValidationCode.VALID]);

    expect(new LifecycleCache().definition(h.joined.channel.ledger, 'old')).toMatchObject({ sequence: 3, version: '0.9' });
    const q = await invokeScc(h, scc[0], 'QueryChaincodeDefinition', built(new QueryChaincodeDefinitionArgs(), (q) => q.setName('old')), admins[0]);
    expect(q.response.status).toBe(200);
    expect(QueryChaincodeDefinitionResult.deserializeBinary(q.response.payload).getVersion()).toBe('0.9');
    const all = await invokeScc(h, scc[0], 'QueryChaincodeDefinitions', new Uint8Array(0), admins[0]);
    expect(QueryChaincodeDefinitionsResult.deserializeBinary(all.response.payload).getChaincodeDefinitionsList().map((d) => [d.getName(), d.getSequence()])).toEqual([
      ['kv', 2],
      ['old', 3],
    ]);

    // Its sequence counts: the next approval is 4, and the committed one cannot be redefined.
    const next = await submit(0, 'ApproveChaincodeDefinitionForMyOrg', approveArgs('old', 4, '1.0', PKG1));
    expect(next.code).toBe(TxValidationCode.VALID);
    expect(lifecycleRw(next.outcome.results).reads).not.toContain(definitionKey('old'));
    expect(readsOf(next.outcome.results, 'lscc')).toEqual([]);
    const redefine = await invokeScc(h, scc[0], 'ApproveChaincodeDefinitionForMyOrg', approveArgs('old', 3, '1.0', PKG1), admins[0]);
    expect(redefine.response.message).toMatch(/attempted to redefine the current committed sequence \(3\) for namespace old with different parameters/);
  });
});
