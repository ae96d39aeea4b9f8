import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import type { ApproveChaincodeDefinitionForMyOrgArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ProtocolError } from '../../errors';
import type { QueryExecutor } from '../../ledger/tx-simulator';
import { bytesEqual } from '../../protocol/bytes';
import { decodeCollectionPackageInto, encodeCollectionPackage } from './collection-wire';
import { type CollectionDefinition, describeCollections } from './collections';
import { decodeApproveArgs, decodeCommitArgs, encodeDefinitionArgs } from './definition-wire';

/** The `_lifecycle` namespace in world state. */
export const LIFECYCLE_NAMESPACE = '_lifecycle';

/** Fabric's default endorsement policy reference for a chaincode defined without one. */
export const DEFAULT_ENDORSEMENT_POLICY_REF = '/Channel/Application/Endorsement';
/** The channel policy that commits a chaincode definition. */
export const LIFECYCLE_ENDORSEMENT_POLICY = '/Channel/Application/LifecycleEndorsement';

/** A chaincode definition as committed on a channel (the fields Fabric agrees on). */
export interface ChaincodeDefinition {
  readonly name: string;
  readonly sequence: number;
  readonly version: string;
  readonly endorsementPlugin: string;
  readonly validationPlugin: string;
  /** `common.ApplicationPolicy` bytes. */
  readonly validationParameter: Uint8Array;
  readonly initRequired: boolean;
  /** The private data collections, in package order. */
  readonly collections: readonly CollectionDefinition[];
  /**
   * The `CollectionConfigPackage` as this peer serializes it (empty when there are no collections):
   * what is stored and compared, as Fabric compares the marshalled package.
   */
  readonly collectionsBytes: Uint8Array;
}

/** A definition to write into a message: without `collectionsBytes`, one without collections. */
export type DefinitionInput = Omit<ChaincodeDefinition, 'collections' | 'collectionsBytes'> & Partial<Pick<ChaincodeDefinition, 'collectionsBytes'>>;

/**
 * Key layout (Weft's, not Fabric's private-data layout): the committed definition under
 * `namespaces/fields/<name>/Definition`, each org's approval under
 * `approvals/<mspId>/<name>/<sequence>`. Approvals are public state here, not private data in each
 * org's implicit collection as in Fabric: an approval carries nothing secret except the package ID.
 */
export function definitionKey(name: string): string {
  return `namespaces/fields/${name}/Definition`;
}
export function approvalKey(mspId: string, name: string, sequence: number): string {
  return `${approvalsPrefix(mspId)}${name}/${sequence}`;
}
/** The start of every approval key of one org (its range ends at the prefix with '/' raised to '0'). */
export function approvalsPrefix(mspId: string): string {
  return `approvals/${mspId}/`;
}
/** The msp id an `approvals/...` key belongs to, or undefined for other keys. */
export function approvalKeyOrg(key: string): string | undefined {
  const m = /^approvals\/([^/]+)\//.exec(key);
  return m?.[1];
}

export function defaultValidationParameter(): Uint8Array {
  const ap = new ApplicationPolicy();
  ap.setChannelConfigPolicyReference(DEFAULT_ENDORSEMENT_POLICY_REF);
  return ap.serializeBinary();
}

/**
 * The definition fields every `_lifecycle` argument and result message shares, as getters
 * (`QueryApprovedChaincodeDefinitionResult` and `QueryChaincodeDefinitionResult` have no name)…
 */
export type DefinitionFields = Pick<
  CommitChaincodeDefinitionArgs,
  'getSequence' | 'getVersion' | 'getEndorsementPlugin' | 'getValidationPlugin' | 'getValidationParameter_asU8' | 'getInitRequired' | 'getCollections'
> &
  Partial<Pick<CommitChaincodeDefinitionArgs, 'getName'>>;
/** …and as setters. */
export type DefinitionSetters = Pick<
  CommitChaincodeDefinitionArgs,
  'setSequence' | 'setVersion' | 'setEndorsementPlugin' | 'setValidationPlugin' | 'setValidationParameter' | 'setInitRequired' | 'setCollections'
> &
  Partial<Pick<CommitChaincodeDefinitionArgs, 'setName'>>;

/**
 * The definition carried by an Approve/CheckCommitReadiness/Commit message (or a stored one; ''
 * as the name of a message without one). Collections are described, not validated: Fabric's
 * CheckCommitReadiness compares whatever it is given, and Approve and Commit validate first.
 */
export function definitionOf(m: DefinitionFields): ChaincodeDefinition {
  const collections = m.getCollections();
  return {
    name: m.getName?.() ?? '',
    sequence: m.getSequence(),
    version: m.getVersion(),
    endorsementPlugin: m.getEndorsementPlugin(),
    validationPlugin: m.getValidationPlugin(),
    validationParameter: m.getValidationParameter_asU8(),
    initRequired: m.getInitRequired(),
    collections: describeCollections(collections),
    collectionsBytes: collections === undefined ? new Uint8Array(0) : encodeCollectionPackage(collections),
  };
}

/**
 * Copies a definition into a `_lifecycle` message; returns the message. A definition without
 * collections leaves the package unset, so its bytes are those of a definition from before
 * collections existed. `collectionsBytes` are this peer's own encoding, decoded as protobuf-go
 * would (they may nest as deep as Go's limit); a package attached empty and filled after, as a
 * google-protobuf setter walks the whole subtree it is handed.
 */
export function writeDefinition<T extends DefinitionSetters>(m: T, d: DefinitionInput): T {
  m.setName?.(d.name);
  m.setSequence(d.sequence);
  m.setVersion(d.version);
  m.setEndorsementPlugin(d.endorsementPlugin);
  m.setValidationPlugin(d.validationPlugin);
  m.setValidationParameter(d.validationParameter);
  m.setInitRequired(d.initRequired);
  if (d.collectionsBytes !== undefined && d.collectionsBytes.length > 0) {
    const pkg = new CollectionConfigPackage();
    m.setCollections(pkg);
    decodeCollectionPackageInto(d.collectionsBytes, pkg, 2, 'definition.collections');
  }
  return m;
}

export function encodeDefinition(d: DefinitionInput): Uint8Array {
  return encodeDefinitionArgs(writeDefinition(new CommitChaincodeDefinitionArgs(), d));
}

/** Stored definition bytes as protobuf-go reads them; throws `PROTOCOL_MALFORMED` where it fails. */
export function decodeDefinition(bytes: Uint8Array): ChaincodeDefinition {
  return definitionOf(decodeCommitArgs(bytes, 'definition'));
}

/*
 * What stored `_lifecycle` bytes hold, or undefined when they hold none. Validation checks who
 * wrote an approval or a definition, not what: bytes that do not decode are no approval and no
 * definition (as Fabric, comparing hashes, would find none), and must not make every later read
 * throw (a proposal, commit readiness, discovery). Which bytes decode is protobuf-go's answer, the
 * same on every peer: nothing here recurses as deep as the bytes nest, so no stack overflow (whose
 * depth depends on the caller) decides it; any other error is a bug, and propagates.
 */

/** The definition stored `bytes` hold, or undefined. */
export function definitionIn(bytes: Uint8Array): ChaincodeDefinition | undefined {
  try {
    return decodeDefinition(bytes);
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

/** The approval stored `bytes` hold, or undefined. */
export function approvalIn(bytes: Uint8Array): Approval | undefined {
  try {
    return decodeApproval(bytes);
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

/** An org's approval: the definition it agreed to and the package its peers run. */
export interface Approval {
  readonly definition: ChaincodeDefinition;
  /** Undefined when the org approved without a package (`ChaincodeSource.unavailable`). */
  readonly packageId: string | undefined;
}

export function encodeApproval(a: ApproveChaincodeDefinitionForMyOrgArgs): Uint8Array {
  return encodeDefinitionArgs(a);
}

/** Stored approval bytes as protobuf-go reads them; throws `PROTOCOL_MALFORMED` where it fails. */
export function decodeApproval(bytes: Uint8Array): Approval {
  const m = decodeApproveArgs(bytes, 'approval');
  const local = m.getSource()?.getLocalPackage();
  return {
    definition: definitionOf(m),
    packageId: local?.getPackageId() || undefined,
  };
}

/** Whether two definitions agree on every field Fabric compares (not the package source). */
export function sameDefinition(a: ChaincodeDefinition, b: ChaincodeDefinition): boolean {
  return a.name === b.name && a.sequence === b.sequence && definitionMismatches(a, b).length === 0;
}

/**
 * The parts of `approved` that differ from `def`, named as Fabric's `IsSerialized` names them:
 * `ChaincodeParameters` when nothing was approved, else `EndorsementInfo` (version, endorsement
 * plugin, init required), `ValidationInfo` (validation plugin and parameter) and `Collections`
 * (the marshalled packages differ; none and an empty package are the same).
 */
export function definitionMismatches(approved: ChaincodeDefinition | undefined, def: ChaincodeDefinition): string[] {
  if (approved === undefined) return ['ChaincodeParameters'];
  const out: string[] = [];
  if (approved.version !== def.version || approved.endorsementPlugin !== def.endorsementPlugin || approved.initRequired !== def.initRequired) out.push('EndorsementInfo');
  if (approved.validationPlugin !== def.validationPlugin || !bytesEqual(approved.validationParameter, def.validationParameter)) out.push('ValidationInfo');
  if (!bytesEqual(approved.collectionsBytes, def.collectionsBytes)) out.push('Collections');
  return out;
}

/** The committed definition of a chaincode, read through `reader` (a simulator records the read). */
export function readDefinition(reader: Pick<QueryExecutor, 'getState'>, name: string): ChaincodeDefinition | undefined {
  const bytes = reader.getState(LIFECYCLE_NAMESPACE, definitionKey(name));
  return bytes === undefined || bytes.length === 0 ? undefined : definitionIn(bytes);
}

/** The names of every chaincode defined on the channel, in key order, read through `reader`. */
export function definedNames(reader: Pick<QueryExecutor, 'getStateRange'>): string[] {
  const names: string[] = [];
  for (const kv of reader.getStateRange(LIFECYCLE_NAMESPACE, 'namespaces/fields/', 'namespaces/fields0')) {
    const m = /^namespaces\/fields\/(.+)\/Definition$/.exec(kv.key);
    if (m !== null) names.push(m[1] as string);
  }
  return names;
}

export function readApproval(reader: Pick<QueryExecutor, 'getState'>, mspId: string, name: string, sequence: number): Approval | undefined {
  const bytes = reader.getState(LIFECYCLE_NAMESPACE, approvalKey(mspId, name, sequence));
  return bytes === undefined || bytes.length === 0 ? undefined : approvalIn(bytes);
}

/** Whether `approval` agrees with `definition` on every parameter Fabric compares (its `IsSerialized`). */
export function approves(approval: Approval, definition: ChaincodeDefinition): boolean {
  return definitionMismatches(approval.definition, definition).length === 0;
}

/** A chaincode defined on a channel that an org approved, at the committed sequence, with a package. */
export interface ApprovedChaincode {
  readonly name: string;
  readonly sequence: number;
  readonly version: string;
  readonly packageId: string;
  readonly collections: readonly string[];
}

/**
 * The chaincodes defined on `ledger`'s channel whose committed definition `mspId` approved with a
 * package, as committed now (Fabric's cache `Approved` with a local package source, less the
 * installation check). An approval at the committed sequence with other parameters (the channel
 * committed a definition this org did not agree to) does not count, as in Fabric's cache.
 */
export function approvedChaincodes(ledger: { newQueryExecutor(): QueryExecutor }, mspId: string): ApprovedChaincode[] {
  const reader = ledger.newQueryExecutor();
  try {
    const out: ApprovedChaincode[] = [];
    for (const name of definedNames(reader)) {
      const definition = readDefinition(reader, name);
      if (definition === undefined) continue;
      const approval = readApproval(reader, mspId, name, definition.sequence);
      if (approval?.packageId === undefined || !approves(approval, definition)) continue;
      out.push({ name, sequence: definition.sequence, version: definition.version, packageId: approval.packageId, collections: definition.collections.map((c) => c.name) });
    }
    return out;
  } finally {
    reader.done();
  }
}

/** One chaincode an installed package runs on a channel (Fabric's `QueryInstalledChaincodeResult.Chaincode`). */
export interface PackageReference {
  readonly name: string;
  readonly version: string;
}

/**
 * Fabric's `References` of installed packages: per package ID, per channel, the chaincodes whose
 * committed definition `mspId` approved with that package. Channels without one are left out.
 */
export function packageReferences(
  channels: readonly { readonly id: string; readonly ledger: { newQueryExecutor(): QueryExecutor } }[],
  mspId: string,
): Map<string, Map<string, PackageReference[]>> {
  const out = new Map<string, Map<string, PackageReference[]>>();
  for (const channel of channels) {
    for (const cc of approvedChaincodes(channel.ledger, mspId)) {
      let byChannel = out.get(cc.packageId);
      if (byChannel === undefined) out.set(cc.packageId, (byChannel = new Map()));
      let refs = byChannel.get(channel.id);
      if (refs === undefined) byChannel.set(channel.id, (refs = []));
      refs.push({ name: cc.name, version: cc.version });
    }
  }
  return out;
}
