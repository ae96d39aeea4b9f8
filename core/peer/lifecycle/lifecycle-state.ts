import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { ApproveChaincodeDefinitionForMyOrgArgs, CommitChaincodeDefinitionArgs } from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { LedgerError, ProtocolError } from '../../errors';
import type { QueryExecutor } from '../../ledger/tx-simulator';
import { bytesEqual } from '../../protocol/bytes';
import { decodeCollectionPackageInto, encodeApprovedCollectionPackage, encodeCollectionPackage } from './collection-wire';
import { describeCollections, implicitCollectionName } from './collections';
import {
  CHAINCODE_SOURCES,
  LIFECYCLE_NAMESPACE,
  NAMESPACES,
  approvalMismatches,
  approvedPackageIs,
  approvedWithPackageSource,
  privateName,
  readApproval as readLayoutApproval,
  readCommitted,
  readSequence,
} from './lifecycle-layout';
import { type OpaqueState, type ReadableState, readField } from './lifecycle-serializer';
import { decodeCommitArgs, encodeDefinitionArgs } from './definition-wire';

export { LIFECYCLE_NAMESPACE } from './lifecycle-layout';

/** Fabric's default endorsement policy reference for a chaincode defined without one. */
export const DEFAULT_ENDORSEMENT_POLICY_REF = '/Channel/Application/Endorsement';
export { LIFECYCLE_ENDORSEMENT_POLICY } from './collections';
export type { Approval, ChaincodeDefinition } from './definition-types';
import type { Approval, ChaincodeDefinition } from './definition-types';

/** A definition to write into a message: without `collectionsBytes`, one without collections. */
export type DefinitionInput = Omit<ChaincodeDefinition, 'collections' | 'collectionsBytes'> & Partial<Pick<ChaincodeDefinition, 'collectionsBytes'>>;

/**
 * The key under which Weft versions before the Fabric layout (see `lifecycle-layout.ts`) stored a
 * whole committed definition (`CommitChaincodeDefinitionArgs` bytes). Read only as a fallback
 * when a chaincode has no Fabric metadata key ({@link readDefinition}), so a channel those versions
 * wrote keeps its chaincodes; never written.
 */
export function definitionKey(name: string): string {
  return `namespaces/fields/${name}/Definition`;
}

/**
 * The public key under which those versions stored an org's approval. Such approvals are NOT
 * honoured: Fabric keeps approvals as private data in each org's implicit collection, and a public
 * one would let any endorser of the key claim an org's approval and leaks the package ID. Orgs of a
 * channel written so must approve again. Kept only to name (and refuse) the old key.
 */
export function approvalKey(mspId: string, name: string, sequence: number): string {
  return `approvals/${mspId}/${name}/${sequence}`;
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
    // Fabric's Approve stores a new package of the configs; Commit and CheckCommitReadiness the one sent.
    collectionsBytes: collections === undefined ? new Uint8Array(0) : m instanceof ApproveChaincodeDefinitionForMyOrgArgs ? encodeApprovedCollectionPackage(collections) : encodeCollectionPackage(collections),
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

/**
 * The definition legacy `bytes` hold, or undefined. Validation checks who wrote a definition, not
 * what: bytes that do not decode are no definition (as Fabric, failing to read it, would find none)
 * and must not make every later read throw. Which bytes decode is protobuf-go's answer, the same on
 * every peer; any error other than `ProtocolError` is a bug, and propagates.
 */
export function definitionIn(bytes: Uint8Array): ChaincodeDefinition | undefined {
  try {
    return decodeDefinition(bytes);
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
}

/** `f()`, or undefined where stored `_lifecycle` bytes do not decode (see {@link definitionIn}). */
function unlessMalformed<T>(f: () => T | undefined): T | undefined {
  try {
    return f();
  } catch (err) {
    if (err instanceof ProtocolError) return undefined;
    throw err;
  }
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

type PublicReader = Pick<QueryExecutor, 'getState'>;

function publicOf(reader: PublicReader): ReadableState {
  return { getState: (key) => reader.getState(LIFECYCLE_NAMESPACE, key) };
}

/**
 * The committed definition of a chaincode, read through `reader` (a simulator records the reads of
 * Fabric's keys). When the chaincode has no Fabric metadata key, the legacy key
 * ({@link definitionKey}) is read through `legacy`: pass a reader that records nothing (committed
 * state) so a simulation's read set stays the one a Fabric peer produces. Stored bytes that do not
 * decode are no definition.
 */
export function readDefinition(reader: PublicReader, name: string, legacy: PublicReader = reader): ChaincodeDefinition | undefined {
  let absent = false;
  const d = unlessMalformed(() => {
    const found = readCommitted(publicOf(reader), name);
    absent = found === undefined;
    return found;
  });
  if (!absent) return d;
  const bytes = legacy.getState(LIFECYCLE_NAMESPACE, definitionKey(name));
  return bytes === undefined || bytes.length === 0 ? undefined : definitionIn(bytes);
}

/**
 * Fabric's current sequence of a chaincode (its `Sequence` field, read through `reader`), else the
 * sequence of a legacy definition read through `legacy`, else 0. Throws `PROTOCOL_MALFORMED` when
 * the field does not decode, as Fabric's `could not get current sequence`.
 */
export function currentSequence(reader: PublicReader, name: string, legacy: PublicReader = reader): number {
  const seq = readSequence(publicOf(reader), name);
  if (seq !== 0) return seq;
  const bytes = legacy.getState(LIFECYCLE_NAMESPACE, definitionKey(name));
  return bytes === undefined || bytes.length === 0 ? 0 : (definitionIn(bytes)?.sequence ?? 0);
}

/** The names of every chaincode defined on the channel (Fabric's metadata keys, then legacy ones), sorted, read through `reader`. */
export function definedNames(reader: Pick<QueryExecutor, 'getStateRange'>): string[] {
  const names = new Set<string>();
  const prefix = `${NAMESPACES}/metadata/`;
  for (const kv of reader.getStateRange(LIFECYCLE_NAMESPACE, prefix, `${NAMESPACES}/metadata0`)) names.add(kv.key.slice(prefix.length));
  for (const kv of reader.getStateRange(LIFECYCLE_NAMESPACE, `${NAMESPACES}/fields/`, `${NAMESPACES}/fields0`)) {
    const m = /^namespaces\/fields\/(.+)\/Definition$/.exec(kv.key);
    if (m !== null) names.add(m[1] as string);
  }
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * `mspId`'s approval of `name` at `sequence` from its private values, read through `reader` (a
 * simulator records hashed reads); undefined when it approved nothing there, when the stored
 * values do not decode, or when this peer does not hold them (it is not of that org).
 */
export function readApproval(reader: Pick<QueryExecutor, 'getPrivateData'>, mspId: string, name: string, sequence: number): Approval | undefined {
  const state: ReadableState = { getState: (key) => reader.getPrivateData(LIFECYCLE_NAMESPACE, implicitCollectionName(mspId), key) };
  try {
    return readLayoutApproval(state, name, sequence);
  } catch (err) {
    if (err instanceof ProtocolError || (err instanceof LedgerError && err.code === 'LEDGER_PVT_DATA_UNAVAILABLE')) return undefined;
    throw err;
  }
}

/**
 * The package `mspId` approved for `def` (committed), when its stored hashes say it approved `def`
 * with a local package (Fabric's cache: `Approved`, then `IsMetadataSerialized` of the source):
 * the private value when this peer holds it and it matches the hash, else the installed package
 * (of `installed`) whose hash matches, as Fabric's cache finds it. undefined: not approved, or no
 * package known here.
 */
export function approvedPackage(
  opaque: OpaqueState,
  values: ReadableState,
  def: ChaincodeDefinition,
  installed: readonly string[] = [],
): { readonly approved: boolean; readonly packageId: string | undefined } {
  if (approvalMismatches(opaque, def).length > 0) return { approved: false, packageId: undefined };
  if (!approvedWithPackageSource(opaque, def.name, def.sequence)) return { approved: true, packageId: undefined };
  const held = unlessMalformed(() => readField(CHAINCODE_SOURCES, privateName(def.name, def.sequence), 'PackageID', values));
  const candidates = held !== undefined && 'string' in held ? [held.string, ...installed] : installed;
  return { approved: true, packageId: candidates.find((p) => p !== '' && approvedPackageIs(opaque, def.name, def.sequence, p)) };
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
 * package (Fabric's cache `Approved` with a local package source), judged from the hashes every
 * peer holds; the package is this peer's private value of it or one of `installed` with its hash.
 * An approval at the committed sequence with other parameters does not count, as in Fabric.
 */
export function approvedChaincodes(ledger: { newQueryExecutor(): QueryExecutor }, mspId: string, installed: readonly string[] = []): ApprovedChaincode[] {
  const reader = ledger.newQueryExecutor();
  try {
    const opaque: OpaqueState = { getStateHash: (key) => reader.getPrivateDataHash(LIFECYCLE_NAMESPACE, implicitCollectionName(mspId), key) };
    const values: ReadableState = {
      getState: (key) => {
        try {
          return reader.getPrivateData(LIFECYCLE_NAMESPACE, implicitCollectionName(mspId), key);
        } catch (err) {
          if (err instanceof LedgerError && err.code === 'LEDGER_PVT_DATA_UNAVAILABLE') return undefined;
          throw err;
        }
      },
    };
    const out: ApprovedChaincode[] = [];
    for (const name of definedNames(reader)) {
      const definition = readDefinition(reader, name);
      if (definition === undefined) continue;
      const { packageId } = approvedPackage(opaque, values, definition, installed);
      if (packageId === undefined) continue;
      out.push({ name, sequence: definition.sequence, version: definition.version, packageId, collections: definition.collections.map((c) => c.name) });
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
 * committed definition `mspId` approved with that package (one of `installed`, found by hash).
 * Channels without one are left out.
 */
export function packageReferences(
  channels: readonly { readonly id: string; readonly ledger: { newQueryExecutor(): QueryExecutor } }[],
  mspId: string,
  installed: readonly string[] = [],
): Map<string, Map<string, PackageReference[]>> {
  const out = new Map<string, Map<string, PackageReference[]>>();
  for (const channel of channels) {
    for (const cc of approvedChaincodes(channel.ledger, mspId, installed)) {
      let byChannel = out.get(cc.packageId);
      if (byChannel === undefined) out.set(cc.packageId, (byChannel = new Map()));
      let refs = byChannel.get(channel.id);
      if (refs === undefined) byChannel.set(channel.id, (refs = []));
      refs.push({ name: cc.name, version: cc.version });
    }
  }
  return out;
}
