/**
 * `_lifecycle` query results as a peer (Weft's or Fabric's) answers them, decoded as Fabric's
 * `peer lifecycle chaincode …` commands decode them with protobuf-go's `proto.Unmarshal`
 * (internal/peer/lifecycle/chaincode: install.go:171, queryinstalled.go:140, queryapproved.go:168,
 * checkcommitreadiness.go:240, querycommitted.go:158,170), so `weft chaincode …` reports what
 * Fabric's CLI reports for the same answer: a known field with another wire type is skipped, a
 * message sent twice merged, a string that is not UTF-8 refused. Results without collections go
 * through the schema decoder (`config-decode.ts`); those with collections are read field by field,
 * their collection packages by the lifecycle's own protobuf-go reader (policies nest deep).
 */
import {
  ChaincodeSource,
  CheckCommitReadinessResult,
  InstallChaincodeResult,
  QueryApprovedChaincodeDefinitionResult,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsResult,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { decodeCollectionPackageInto } from '../../../core/peer/lifecycle/collection-wire';
import { type FieldSpec, type Schema, decodeConfigProto } from '../../../core/protocol/config-decode';
import { LEN, type MessageBytes, VARINT, WireReader } from '../../../core/protocol/wire-reader';

const string: FieldSpec = { kind: 'string' };
const ChaincodeSchema: Schema = { name: 'lifecycle.QueryInstalledChaincodesResult.Chaincode', fields: { 1: string, 2: string } };
const ReferencesSchema: Schema = { name: 'lifecycle.QueryInstalledChaincodesResult.References', fields: { 1: { kind: ChaincodeSchema, card: 'repeated' } } };
const InstalledChaincodeSchema: Schema = {
  name: 'lifecycle.QueryInstalledChaincodesResult.InstalledChaincode',
  fields: { 1: string, 2: string, 3: { kind: ReferencesSchema, card: 'map' } },
};
const QueryInstalledChaincodesResultSchema: Schema = {
  name: 'lifecycle.QueryInstalledChaincodesResult',
  fields: { 1: { kind: InstalledChaincodeSchema, card: 'repeated' } },
};
const InstallChaincodeResultSchema: Schema = { name: 'lifecycle.InstallChaincodeResult', fields: { 1: string, 2: string } };
const MismatchesSchema: Schema = { name: 'lifecycle.CheckCommitReadinessResult.Mismatches', fields: { 1: { kind: 'string', card: 'repeated' } } };
const CheckCommitReadinessResultSchema: Schema = {
  name: 'lifecycle.CheckCommitReadinessResult',
  fields: { 1: { kind: 'bool', card: 'map' }, 2: { kind: MismatchesSchema, card: 'map' } },
};

export function decodeInstallResult(bytes: Uint8Array): InstallChaincodeResult {
  return decodeConfigProto(InstallChaincodeResult, InstallChaincodeResultSchema, bytes, 'install_chaincode_result');
}

export function decodeInstalledChaincodes(bytes: Uint8Array): QueryInstalledChaincodesResult {
  return decodeConfigProto(QueryInstalledChaincodesResult, QueryInstalledChaincodesResultSchema, bytes, 'query_installed_chaincodes_result');
}

export function decodeCommitReadiness(bytes: Uint8Array): CheckCommitReadinessResult {
  return decodeConfigProto(CheckCommitReadinessResult, CheckCommitReadinessResultSchema, bytes, 'check_commit_readiness_result');
}

type Definition = QueryApprovedChaincodeDefinitionResult | QueryChaincodeDefinitionResult | QueryChaincodeDefinitionsResult.ChaincodeDefinition;

/**
 * The seven fields the definition results share, numbered from `first`: sequence, version,
 * endorsement and validation plugins, validation parameter, collections, init required. `extra`
 * reads any other field it knows and returns true; other fields are skipped (unknown to protobuf-go).
 */
function decodeDefinition<T extends Definition>(m: T, bytes: MessageBytes, path: string, typeName: string, first: number, extra: (r: WireReader) => boolean): T {
  const r = new WireReader(bytes, path, typeName);
  let collections: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(first, VARINT)) m.setSequence(r.int64());
    else if (r.has(first + 1, LEN)) m.setVersion(r.string());
    else if (r.has(first + 2, LEN)) m.setEndorsementPlugin(r.string());
    else if (r.has(first + 3, LEN)) m.setValidationPlugin(r.string());
    else if (r.has(first + 4, LEN)) m.setValidationParameter(r.bytes().slice());
    else if (r.has(first + 5, LEN)) collections = r.message(collections);
    else if (r.has(first + 6, VARINT)) m.setInitRequired(r.uint() !== 0);
    else if (!extra(r)) r.skip();
  }
  if (collections !== undefined) {
    const pkg = new CollectionConfigPackage();
    m.setCollections(pkg);
    decodeCollectionPackageInto(collections, pkg, 2, `${path}.collections`);
  }
  return m;
}

export function decodeApprovedDefinition(bytes: Uint8Array): QueryApprovedChaincodeDefinitionResult {
  const path = 'query_approved_chaincode_definition_result';
  let source: MessageBytes | undefined;
  const m = decodeDefinition(new QueryApprovedChaincodeDefinitionResult(), bytes, path, 'lifecycle.QueryApprovedChaincodeDefinitionResult', 1, (r) => {
    if (!r.has(8, LEN)) return false;
    source = r.message(source);
    return true;
  });
  if (source !== undefined) m.setSource(decodeSource(source, `${path}.source`));
  return m;
}

export function decodeCommittedDefinition(bytes: Uint8Array): QueryChaincodeDefinitionResult {
  const m = new QueryChaincodeDefinitionResult();
  const approvals = m.getApprovalsMap();
  const path = 'query_chaincode_definition_result';
  return decodeDefinition(m, bytes, path, 'lifecycle.QueryChaincodeDefinitionResult', 1, (r) => {
    if (!r.has(8, LEN)) return false;
    approvals.set(...boolEntry(r.bytes(), `${path}.approvals`));
    return true;
  });
}

export function decodeCommittedDefinitions(bytes: Uint8Array): QueryChaincodeDefinitionsResult {
  const path = 'query_chaincode_definitions_result';
  const r = new WireReader(bytes, path, 'lifecycle.QueryChaincodeDefinitionsResult');
  const result = new QueryChaincodeDefinitionsResult();
  while (r.next()) {
    if (!r.has(1, LEN)) {
      r.skip();
      continue;
    }
    const at = `${path}.chaincode_definitions[${result.getChaincodeDefinitionsList().length}]`;
    const d = new QueryChaincodeDefinitionsResult.ChaincodeDefinition();
    result.addChaincodeDefinitions(d);
    decodeDefinition(d, r.bytes(), at, 'lifecycle.QueryChaincodeDefinitionsResult.ChaincodeDefinition', 2, (dr) => {
      if (!dr.has(1, LEN)) return false;
      d.setName(dr.string());
      return true;
    });
  }
  return result;
}

/** A `map<string, bool>` entry: key and value last-wins, absent ones "" and false. */
function boolEntry(bytes: Uint8Array, path: string): [string, boolean] {
  const r = new WireReader(bytes, path, 'map entry');
  let key = '';
  let value = false;
  while (r.next()) {
    if (r.has(1, LEN)) key = r.string();
    else if (r.has(2, VARINT)) value = r.uint() !== 0;
    else r.skip();
  }
  return [key, value];
}

/**
 * `ChaincodeSource`: `oneof Type { Unavailable unavailable = 1; Local local_package = 2; }`. The
 * member last on the wire is the one set; occurrences of it since the other member merge (protobuf-go
 * starts a new value when the member changes: internal/impl/codec_field.go `initOneofFieldCoders`).
 */
function decodeSource(bytes: MessageBytes, path: string): ChaincodeSource {
  const r = new WireReader(bytes, path, 'lifecycle.ChaincodeSource');
  let member: 1 | 2 | undefined;
  let occurrences: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN) || r.has(2, LEN)) {
      if (member !== r.field) occurrences = undefined;
      member = r.field as 1 | 2;
      occurrences = r.message(occurrences);
    } else r.skip();
  }
  const source = new ChaincodeSource();
  if (member === undefined) return source;
  const m = new WireReader(occurrences as MessageBytes, `${path}.${member === 1 ? 'unavailable' : 'local_package'}`, `lifecycle.ChaincodeSource.${member === 1 ? 'Unavailable' : 'Local'}`);
  if (member === 1) {
    // Unavailable has no fields: its bytes only need to be well formed.
    while (m.next()) m.skip();
    source.setUnavailable(new ChaincodeSource.Unavailable());
    return source;
  }
  const local = new ChaincodeSource.Local();
  while (m.next()) {
    if (m.has(1, LEN)) local.setPackageId(m.string());
    else m.skip();
  }
  source.setLocalPackage(local);
  return source;
}
