/**
 * Fabric 2.x's `_lifecycle` state layout (`core/chaincode/lifecycle/lifecycle.go`), written and read
 * through {@link serialize} and friends:
 *
 * - public `_lifecycle` state: `namespaces/metadata/<cc>` (a `ChaincodeDefinition`) and
 *   `namespaces/fields/<cc>/{Sequence,EndorsementInfo,ValidationInfo,Collections}`;
 * - each org's implicit collection `_implicit_org_<msp>` of `_lifecycle` (private data: the org's
 *   peers hold the values, every peer the hashes): its approval of sequence N as
 *   `namespaces/metadata/<cc>#N` (`ChaincodeParameters`) with the three parameter fields, and the
 *   package its peers run as `chaincode-sources/metadata/<cc>#N` (`ChaincodeLocalPackage`) with
 *   `chaincode-sources/fields/<cc>#N/PackageID`.
 *
 * Field order and type names are Fabric's Go struct declarations: they are hashed, so another org
 * checks an approval by hashing what it would have stored.
 */
import { ProtocolError } from '../../errors';
import { ProtocolErrorCode } from '../../protocol/bounded-decode';
import { hashedKey, hashedNamespace, pvtNamespace } from '../../ledger/private-data';
import type { QueryExecutor, TxSimulator } from '../../ledger/tx-simulator';
import type { VersionedValue } from '../../ledger/versioned-state-store';
import { LEN, VARINT, WireReader } from '../../protocol/wire-reader';
import { boolField, lenField, message, stringField } from '../../protocol/wire-writer';
import { decodeCollectionPackage, encodeCollectionPackage } from './collection-wire';
import { describeCollections, implicitCollectionName } from './collections';
import {
  type FieldValue,
  type OpaqueState,
  type ReadableState,
  type Serializable,
  type WritableState,
  fieldKey,
  isMetadataSerialized,
  isSerialized,
  readField,
  readMetadata,
  serialize,
} from './lifecycle-serializer';
import type { Approval, ChaincodeDefinition } from './definition-types';

/** The `_lifecycle` namespace in world state. */
export const LIFECYCLE_NAMESPACE = '_lifecycle';
export const NAMESPACES = 'namespaces';
export const CHAINCODE_SOURCES = 'chaincode-sources';
export const DEFINITION_TYPE = 'ChaincodeDefinition';
export const PARAMETERS_TYPE = 'ChaincodeParameters';
export const LOCAL_PACKAGE_TYPE = 'ChaincodeLocalPackage';

/**
 * `_lifecycle` itself, as Fabric's `ChaincodeDefinitionIfDefined` answers for it: defined, without
 * explicit collections, so only the implicit org collections (each org's approvals) exist.
 */
export const LIFECYCLE_SELF_DEFINITION: ChaincodeDefinition = Object.freeze({
  name: LIFECYCLE_NAMESPACE,
  sequence: 0,
  version: '',
  endorsementPlugin: '',
  validationPlugin: '',
  validationParameter: new Uint8Array(0),
  initRequired: false,
  collections: [],
  collectionsBytes: new Uint8Array(0),
});

/** The name an org's approval of sequence `sequence` is stored under, `<cc>#<sequence>`. */
export function privateName(name: string, sequence: number): string {
  return `${name}#${sequence}`;
}

function endorsementInfo(d: ChaincodeDefinition): Uint8Array {
  return message(stringField(1, d.version), boolField(2, d.initRequired), stringField(3, d.endorsementPlugin));
}

function validationInfo(d: ChaincodeDefinition): Uint8Array {
  return message(stringField(1, d.validationPlugin), lenField(2, d.validationParameter, true));
}

/** Fabric's `ChaincodeParameters{EndorsementInfo, ValidationInfo, Collections}`. */
export function parametersStruct(d: ChaincodeDefinition): Serializable {
  return {
    datatype: PARAMETERS_TYPE,
    fields: [
      ['EndorsementInfo', { bytes: endorsementInfo(d) }],
      ['ValidationInfo', { bytes: validationInfo(d) }],
      ['Collections', { bytes: d.collectionsBytes }],
    ],
  };
}

/** Fabric's `ChaincodeDefinition{Sequence, EndorsementInfo, ValidationInfo, Collections}`. */
export function definitionStruct(d: ChaincodeDefinition): Serializable {
  return { datatype: DEFINITION_TYPE, fields: [['Sequence', { int64: d.sequence }], ...parametersStruct(d).fields] };
}

/** Fabric's `ChaincodeLocalPackage{PackageID}` ('' for an approval without a package). */
export function localPackageStruct(packageId: string): Serializable {
  return { datatype: LOCAL_PACKAGE_TYPE, fields: [['PackageID', { string: packageId }]] };
}

function malformed(key: string, message: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.Malformed, `${key}: ${message}`, { path: key });
}

/** Fabric's `DeserializeFieldAs*`: no value is the zero value, another oneof member an error. */
function fieldOf(prefix: string, name: string, field: string, kind: 'int64' | 'bytes' | 'string', state: ReadableState): FieldValue | undefined {
  const v = readField(prefix, name, field, state);
  if (v !== undefined && !(kind in v)) throw malformed(fieldKey(prefix, name, field), `expected a value of type ${kind}`);
  return v;
}

function bytesAt(prefix: string, name: string, field: string, state: ReadableState): Uint8Array {
  const v = fieldOf(prefix, name, field, 'bytes', state);
  return v !== undefined && 'bytes' in v ? v.bytes : new Uint8Array(0);
}

/** Fabric's `DeserializeFieldAsInt64(namespaces, <cc>, "Sequence")`: 0 when the chaincode was never defined. */
export function readSequence(state: ReadableState, name: string): number {
  const v = fieldOf(NAMESPACES, name, 'Sequence', 'int64', state);
  return v !== undefined && 'int64' in v ? v.int64 : 0;
}

/** The parameter fields stored under `name` (`<cc>` or `<cc>#<seq>`), as a definition of `definitionName` at `sequence`. */
function readParameters(state: ReadableState, prefixName: string, definitionName: string, sequence: number): ChaincodeDefinition {
  const ei = new WireReader(bytesAt(NAMESPACES, prefixName, 'EndorsementInfo', state), fieldKey(NAMESPACES, prefixName, 'EndorsementInfo'), 'lifecycle.ChaincodeEndorsementInfo');
  let version = '';
  let initRequired = false;
  let endorsementPlugin = '';
  while (ei.next()) {
    if (ei.has(1, LEN)) version = ei.string();
    else if (ei.has(2, VARINT)) initRequired = ei.uint() !== 0;
    else if (ei.has(3, LEN)) endorsementPlugin = ei.string();
    else ei.skip();
  }
  const vi = new WireReader(bytesAt(NAMESPACES, prefixName, 'ValidationInfo', state), fieldKey(NAMESPACES, prefixName, 'ValidationInfo'), 'lifecycle.ChaincodeValidationInfo');
  let validationPlugin = '';
  let validationParameter = new Uint8Array(0);
  while (vi.next()) {
    if (vi.has(1, LEN)) validationPlugin = vi.string();
    else if (vi.has(2, LEN)) validationParameter = vi.bytes().slice();
    else vi.skip();
  }
  const pkg = decodeCollectionPackage(bytesAt(NAMESPACES, prefixName, 'Collections', state), fieldKey(NAMESPACES, prefixName, 'Collections'));
  return {
    name: definitionName,
    sequence,
    version,
    endorsementPlugin,
    validationPlugin,
    validationParameter,
    initRequired,
    collections: describeCollections(pkg),
    collectionsBytes: encodeCollectionPackage(pkg),
  };
}

/**
 * Fabric's `ChaincodeDefinitionIfDefined`: the committed definition, undefined when its metadata
 * is absent. Throws `PROTOCOL_MALFORMED` where Fabric fails (bytes that do not decode, metadata of
 * another type).
 */
export function readCommitted(state: ReadableState, name: string): ChaincodeDefinition | undefined {
  const md = readMetadata(NAMESPACES, name, state);
  if (md === undefined) return undefined;
  if (md.datatype !== DEFINITION_TYPE) throw malformed(`${NAMESPACES}/metadata/${name}`, `not a chaincode type: ${md.datatype}`);
  return readParameters(state, name, name, readSequence(state, name));
}

/** Fabric's `Serialize` of a committed definition into public state. */
export function writeCommitted(state: WritableState, d: ChaincodeDefinition): void {
  serialize(NAMESPACES, d.name, definitionStruct(d), state);
}

/** Fabric's `ApproveChaincodeDefinitionForOrg` writes: the parameters, then the package source, into the org's collection. */
export function writeApproval(orgState: WritableState, d: ChaincodeDefinition, packageId: string): void {
  const pn = privateName(d.name, d.sequence);
  serialize(NAMESPACES, pn, parametersStruct(d), orgState);
  serialize(CHAINCODE_SOURCES, pn, localPackageStruct(packageId), orgState);
}

/**
 * Fabric's `fetchApprovedChaincodeDefinition`: an org's approval read from its own private values;
 * undefined when it approved nothing at `sequence`. Throws `PROTOCOL_MALFORMED` where Fabric fails
 * (a type other than `ChaincodeParameters`, or parameters without a package source).
 */
export function readApproval(orgState: ReadableState, name: string, sequence: number): Approval | undefined {
  const pn = privateName(name, sequence);
  const md = readMetadata(NAMESPACES, pn, orgState);
  if (md === undefined) return undefined;
  if (md.datatype !== PARAMETERS_TYPE) throw malformed(`${NAMESPACES}/metadata/${pn}`, `not a chaincode parameters type: ${md.datatype}`);
  const definition = readParameters(orgState, pn, name, sequence);
  const source = readMetadata(CHAINCODE_SOURCES, pn, orgState);
  if (source === undefined) throw malformed(`${CHAINCODE_SOURCES}/metadata/${pn}`, `could not fetch chaincode-source metadata for ${pn}`);
  if (source.datatype !== LOCAL_PACKAGE_TYPE) throw malformed(`${CHAINCODE_SOURCES}/metadata/${pn}`, `not a chaincode local package type: ${source.datatype}`);
  const held = fieldOf(CHAINCODE_SOURCES, pn, 'PackageID', 'string', orgState);
  const packageId = held !== undefined && 'string' in held ? held.string : '';
  return { definition, packageId: packageId === '' ? undefined : packageId };
}

/**
 * Fabric's `QueryApprovedChaincodeDefinitions`: every approval in `mspId`'s collection (this
 * peer's values of it), by name then sequence. Throws `PROTOCOL_MALFORMED` where Fabric fails: a
 * metadata key not named `<cc>#<sequence>`, or an approval that does not decode.
 */
export function readAllApprovals(reader: Pick<QueryExecutor, 'getPrivateDataRange' | 'getPrivateData'>, mspId: string): Approval[] {
  const collection = implicitCollectionName(mspId);
  const prefix = `${NAMESPACES}/metadata/`;
  const names: string[] = [];
  for (const kv of reader.getPrivateDataRange(LIFECYCLE_NAMESPACE, collection, prefix, `${NAMESPACES}/metadata0`)) names.push(kv.key.slice(prefix.length));
  const own: ReadableState = { getState: (key) => reader.getPrivateData(LIFECYCLE_NAMESPACE, collection, key) };
  const approvals = names.map((pn) => {
    const parts = pn.split('#');
    const sequence = parts.length === 2 && /^[+-]?\d+$/.test(parts[1] as string) ? Number(parts[1]) : NaN;
    if (!Number.isSafeInteger(sequence)) throw malformed(`${prefix}${pn}`, `could not extract chaincode name and sequence number from metadata: invalid private name format: ${pn}`);
    const approval = readApproval(own, parts[0] as string, sequence);
    if (approval === undefined) throw malformed(`${prefix}${pn}`, `could not fetch approved chaincode definition for ${pn}`);
    return approval;
  });
  return approvals.sort((a, b) => (a.definition.name < b.definition.name ? -1 : a.definition.name > b.definition.name ? 1 : a.definition.sequence - b.definition.sequence));
}

/**
 * Fabric's `QueryOrgApprovals` for one org: the parameters of `d` that org's stored hashes do not
 * match (`ChaincodeParameters` alone when it approved nothing at that sequence); empty: approved.
 */
export function approvalMismatches(orgState: OpaqueState, d: ChaincodeDefinition): string[] {
  return isSerialized(NAMESPACES, privateName(d.name, d.sequence), parametersStruct(d), orgState).mismatches;
}

/** Fabric's cache check that an org's approval names a local package at all (`IsMetadataSerialized`). */
export function approvedWithPackageSource(orgState: OpaqueState, name: string, sequence: number): boolean {
  return isMetadataSerialized(CHAINCODE_SOURCES, privateName(name, sequence), { datatype: LOCAL_PACKAGE_TYPE, fieldNames: ['PackageID'] }, orgState);
}

/** Whether the package hash stored for `<cc>#<sequence>` is that of `packageId` (Fabric's cache matches installed packages so). */
export function approvedPackageIs(orgState: OpaqueState, name: string, sequence: number, packageId: string): boolean {
  return isSerialized(CHAINCODE_SOURCES, privateName(name, sequence), localPackageStruct(packageId), orgState).ok;
}

/** Public `_lifecycle` state through a simulator (reads recorded). */
export function simPublicState(sim: Pick<TxSimulator, 'getState' | 'setState' | 'deleteState'>): WritableState {
  return {
    getState: (key) => sim.getState(LIFECYCLE_NAMESPACE, key),
    putState: (key, value) => sim.setState(LIFECYCLE_NAMESPACE, key, value),
    delState: (key) => sim.deleteState(LIFECYCLE_NAMESPACE, key),
  };
}

/** An org's implicit collection of `_lifecycle` through a simulator: the values (this org's peers hold them). */
export function simOrgState(sim: Pick<TxSimulator, 'getPrivateData' | 'setPrivateData' | 'deletePrivateData'>, mspId: string): WritableState {
  const collection = implicitCollectionName(mspId);
  return {
    getState: (key) => sim.getPrivateData(LIFECYCLE_NAMESPACE, collection, key),
    putState: (key, value) => sim.setPrivateData(LIFECYCLE_NAMESPACE, collection, key, value),
    delState: (key) => sim.deletePrivateData(LIFECYCLE_NAMESPACE, collection, key),
  };
}

/** An org's implicit collection of `_lifecycle` as every peer sees it, through a reader: hashes (hashed reads recorded). */
export function opaqueOrgState(reader: Pick<QueryExecutor, 'getPrivateDataHash'>, mspId: string): OpaqueState {
  const collection = implicitCollectionName(mspId);
  return { getStateHash: (key) => reader.getPrivateDataHash(LIFECYCLE_NAMESPACE, collection, key) };
}

/** Committed state read directly (nothing recorded): the cache's, validation's and discovery's view. */
export interface CommittedState {
  getVersionedState(namespace: string, key: string): VersionedValue | undefined;
}

/** Committed state as a `getState` reader: records nothing (the cache's view, and where a legacy definition is looked for). */
export function committedReader(ledger: CommittedState): Pick<QueryExecutor, 'getState'> {
  return { getState: (namespace, key) => ledger.getVersionedState(namespace, key)?.value };
}

export function committedPublicState(ledger: CommittedState): ReadableState {
  return { getState: (key) => ledger.getVersionedState(LIFECYCLE_NAMESPACE, key)?.value };
}

export function committedOpaqueOrgState(ledger: CommittedState, mspId: string): OpaqueState {
  const hashedNs = hashedNamespace(LIFECYCLE_NAMESPACE, implicitCollectionName(mspId));
  return { getStateHash: (key) => ledger.getVersionedState(hashedNs, hashedKey(key))?.value };
}

/**
 * An org's private values as this peer holds them: a value counts only at the version its hash was
 * committed at (one this peer missed an update of is not the channel's).
 */
export function committedOrgState(ledger: CommittedState, mspId: string): ReadableState {
  const collection = implicitCollectionName(mspId);
  const hashedNs = hashedNamespace(LIFECYCLE_NAMESPACE, collection);
  const pvtNs = pvtNamespace(LIFECYCLE_NAMESPACE, collection);
  return {
    getState: (key) => {
      const hashed = ledger.getVersionedState(hashedNs, hashedKey(key));
      const value = ledger.getVersionedState(pvtNs, key);
      if (hashed === undefined || value === undefined) return undefined;
      return value.version.blockNum === hashed.version.blockNum && value.version.txNum === hashed.version.txNum ? value.value : undefined;
    },
  };
}
