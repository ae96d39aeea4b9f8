import { ApplicationPolicy as CommonApplicationPolicy, SignaturePolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { SerializedIdentity } from '@hyperledger/fabric-protos/lib/msp/identities_pb';
import { MSPPrincipal, MSPRole, OrganizationUnit } from '@hyperledger/fabric-protos/lib/msp/msp_principal_pb';
import { CollectionConfig, type CollectionConfigPackage, type StaticCollectionConfig } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { nOutOf, rolePrincipal, signedBy } from '../../policy/policy-expression';
import { decodeFailure } from '../../protocol/bounded-decode';
import { type Schema, decodeConfigProto } from '../../protocol/config-decode';
import type { ChannelResources } from '../channel/channel-resources';
import { PeerError } from '../peer-error';
import { encodeApplicationPolicy, encodeSignatureEnvelope, firstInRules } from '../../protocol/policy-wire';

/** One private data collection of a chaincode definition (Fabric's `StaticCollectionConfig`). */
export interface CollectionDefinition {
  readonly name: string;
  /** MSP ids of the orgs whose members the member_orgs_policy names (SignaturePolicyEnvelope identities), in policy order, deduplicated. */
  readonly memberMspIds: readonly string[];
  /** The member_orgs_policy's SignaturePolicyEnvelope bytes. */
  readonly memberOrgsPolicy: Uint8Array;
  readonly requiredPeerCount: number;
  readonly maximumPeerCount: number;
  /** 0: kept forever. */
  readonly blockToLive: number;
  readonly memberOnlyRead: boolean;
  readonly memberOnlyWrite: boolean;
  /** `common.ApplicationPolicy` bytes when the collection has its own endorsement policy; undefined: the chaincode's applies. */
  readonly endorsementPolicy?: Uint8Array;
}

const IMPLICIT_PREFIX = '_implicit_org_';
/**
 * Fabric's default `peer.gossip.pvtData.implicitCollectionDisseminationPolicy` (core.yaml). Fabric
 * applies it to the local org's implicit collection only and uses 0/0 for other orgs'; callers
 * here do not say which org is local, so every implicit collection gets the default.
 */
const IMPLICIT_REQUIRED_PEER_COUNT = 0;
const IMPLICIT_MAXIMUM_PEER_COUNT = 1;
/**
 * Fabric's `^[A-Za-z0-9-]+([A-Za-z0-9_-]+)*$`, minus the nested quantifier: the same names, but a
 * backtracking engine (unlike Go's RE2) would take exponential time on a long name that fails.
 */
const COLLECTION_NAME = /^[A-Za-z0-9-][A-Za-z0-9_-]*$/;

function collectionError(message: string, details: Record<string, unknown>): PeerError {
  return new PeerError('PEER_LIFECYCLE', message, { field: 'collections', ...details });
}

/** Fabric's implicit per-org collection name, `_implicit_org_<mspId>`. */
export function implicitCollectionName(mspId: string): string {
  return `${IMPLICIT_PREFIX}${mspId}`;
}

/** The MSP id of an implicit collection name (Fabric's `MspIDIfImplicitCollection`), else undefined. */
export function implicitCollectionMspId(name: string): string | undefined {
  return name.startsWith(IMPLICIT_PREFIX) ? name.slice(IMPLICIT_PREFIX.length) : undefined;
}

/** What a channel says of the principals a member orgs policy names (Fabric asks its MSP manager). */
export interface CollectionMembership {
  /** Whether `mspId` is an MSP of the channel (orderer orgs count). */
  hasMsp(mspId: string): boolean;
  /** Whether the channel's MSPs deserialize `identity` (a `SerializedIdentity`). */
  knowsIdentity(identity: Uint8Array): boolean;
  /** The channel's MSP ids, for error details. */
  mspIds(): readonly string[];
}

/**
 * Parses a package's StaticCollectionConfigs with the checks of Fabric's `extractStaticCollectionConfigs`
 * and `validateCollectionConfigs` (throws PeerError PEER_LIFECYCLE on anything Fabric refuses, with
 * Fabric's message), in Fabric's order: each collection wholly, its principals' channel membership
 * included, before the next. Without `membership` (no channel at hand) membership is not checked.
 */
export function parseCollections(pkg: CollectionConfigPackage | undefined, membership?: CollectionMembership): CollectionDefinition[] {
  // Every entry's payload first, as Fabric extracts the static configs before judging any of them.
  const configs = (pkg?.getConfigList() ?? []).map((config, index) => {
    const c = config.getStaticCollectionConfig();
    if (config.getPayloadCase() !== CollectionConfig.PayloadCase.STATIC_COLLECTION_CONFIG || c === undefined) {
      throw collectionError('collection config contains unexpected payload type: <nil>', { index });
    }
    return c;
  });
  const seen = new Set<string>();
  return configs.map((c) => {
    const name = c.getName();
    if (!COLLECTION_NAME.test(name)) {
      throw collectionError(`invalid collection name '${name}'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`, { collection: name });
    }
    if (seen.has(name)) throw collectionError(`collection-name: ${name} -- found duplicate in collection configuration`, { collection: name });
    seen.add(name);
    const required = c.getRequiredPeerCount();
    const maximum = c.getMaximumPeerCount();
    if (maximum < required) {
      throw collectionError(`collection-name: ${name} -- maximum peer count (${maximum}) cannot be less than the required peer count (${required})`, {
        collection: name,
        requiredPeerCount: required,
        maximumPeerCount: maximum,
      });
    }
    if (required < 0) throw collectionError(`collection-name: ${name} -- requiredPeerCount (${required}) cannot be less than zero`, { collection: name, requiredPeerCount: required });
    checkMemberOrgsPolicy(c, membership);
    return describe(c);
  });
}

/**
 * The collections of a package as stored, without judging them: what `CheckCommitReadiness`
 * (which Fabric does not validate) and decoding a stored definition need. Payloads other than
 * static configs are skipped, and so are principals that do not decode (Fabric's `getMemberOrgs`).
 */
export function describeCollections(pkg: CollectionConfigPackage | undefined): CollectionDefinition[] {
  const out: CollectionDefinition[] = [];
  for (const config of pkg?.getConfigList() ?? []) {
    const c = config.getStaticCollectionConfig();
    if (c !== undefined) out.push(describe(c));
  }
  return out;
}

/**
 * The named collection of a committed definition: an explicit one, or Fabric's implicit org
 * collection for `_implicit_org_<msp>` (as `GenerateImplicitCollectionForOrg` builds it: any member
 * of that MSP, no block-to-live, not member-only). undefined when neither. Writes into an implicit
 * collection are endorsed under the org's policy, not the chaincode's: see
 * {@link implicitCollectionEndorsementPolicy}.
 */
export function collectionOf(def: { readonly collections: readonly CollectionDefinition[] }, name: string): CollectionDefinition | undefined {
  const mspId = implicitCollectionMspId(name);
  if (mspId !== undefined) {
    return {
      name,
      memberMspIds: [mspId],
      memberOrgsPolicy: anyMemberOf(mspId).serializeBinary(),
      requiredPeerCount: IMPLICIT_REQUIRED_PEER_COUNT,
      maximumPeerCount: IMPLICIT_MAXIMUM_PEER_COUNT,
      blockToLive: 0,
      memberOnlyRead: false,
      memberOnlyWrite: false,
    };
  }
  return def.collections.find((c) => c.name === name);
}

/**
 * A collection of the `_lifecycle` namespace: it has only the implicit org collections, where each
 * org keeps its approvals (Fabric's `ChaincodeDefinitionIfDefined` answers `_lifecycle` with a
 * definition without explicit collections); undefined for any other name.
 */
export function lifecycleCollection(name: string): CollectionDefinition | undefined {
  return implicitCollectionMspId(name) === undefined ? undefined : collectionOf({ collections: [] }, name);
}

/**
 * The `common.ApplicationPolicy` Fabric's validator applies to writes into `mspId`'s implicit
 * collection (`ImplicitCollectionEndorsementPolicyAsBytes`): the org's own
 * `/Channel/Application/<org>/Endorsement` when the channel defines it, else any member of the
 * org (channels from before 2.0). undefined when `mspId` is no application org of the channel,
 * which Fabric treats as an invalid transaction.
 */
export function implicitCollectionEndorsementPolicy(resources: ChannelResources, mspId: string): Uint8Array | undefined {
  const org = resources.config.applicationOrgs.find((o) => o.mspId === mspId);
  if (org === undefined) return undefined;
  const policy = new CommonApplicationPolicy();
  const reference = `/Channel/Application/${org.name}/Endorsement`;
  if (resources.policies.getPolicy(reference) !== undefined) policy.setChannelConfigPolicyReference(reference);
  else policy.setSignaturePolicy(anyMemberOf(mspId));
  return policy.serializeBinary();
}

/** The channel policy that commits a chaincode definition (Fabric's `LifecycleEndorsementPolicyRef`). */
export const LIFECYCLE_ENDORSEMENT_POLICY = '/Channel/Application/LifecycleEndorsement';

/**
 * The `common.ApplicationPolicy` Fabric validates `_lifecycle`'s own writes (committed definitions)
 * against (`LifecycleEndorsementPolicyAsBytes`): the channel's `LifecycleEndorsement` when it
 * defines one, else, on a channel upgraded from v1.x, a signature from a member of a majority of
 * its application orgs (`SignedByNOutOfGivenRole(n/2+1, MEMBER, sorted msp ids)`).
 */
export function lifecycleEndorsementPolicy(resources: ChannelResources): Uint8Array {
  const policy = new CommonApplicationPolicy();
  if (resources.policies.getPolicy(LIFECYCLE_ENDORSEMENT_POLICY) !== undefined) {
    policy.setChannelConfigPolicyReference(LIFECYCLE_ENDORSEMENT_POLICY);
    return policy.serializeBinary();
  }
  const ids = resources.config.applicationOrgs.map((o) => o.mspId).sort();
  const envelope = new SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setRule(
    nOutOf(
      Math.floor(ids.length / 2) + 1,
      ids.map((_, i) => signedBy(i)),
    ),
  );
  envelope.setIdentitiesList(ids.map((id) => rolePrincipal(id, 'member')));
  policy.setSignaturePolicy(envelope);
  return policy.serializeBinary();
}

/** Fabric's `SignedByMspMember` (and `SignedByAnyMember` of one org): one signature of any member. */
function anyMemberOf(mspId: string): SignaturePolicyEnvelope {
  const envelope = new SignaturePolicyEnvelope();
  envelope.setVersion(0);
  envelope.setRule(nOutOf(1, [signedBy(0)]));
  envelope.setIdentitiesList([rolePrincipal(mspId, 'member')]);
  return envelope;
}

function describe(c: StaticCollectionConfig): CollectionDefinition {
  const envelope = c.getMemberOrgsPolicy()?.getSignaturePolicy();
  const endorsement = c.getEndorsementPolicy();
  return {
    name: c.getName(),
    memberMspIds: envelope === undefined ? [] : [...new Set(envelope.getIdentitiesList().flatMap((p) => principalMspId(p) ?? []))],
    memberOrgsPolicy: envelope === undefined ? new Uint8Array(0) : encodeSignatureEnvelope(envelope),
    requiredPeerCount: c.getRequiredPeerCount(),
    maximumPeerCount: c.getMaximumPeerCount(),
    blockToLive: c.getBlockToLive(),
    memberOnlyRead: c.getMemberOnlyRead(),
    memberOnlyWrite: c.getMemberOnlyWrite(),
    ...(endorsement === undefined ? {} : { endorsementPolicy: encodeApplicationPolicy(endorsement) }),
  };
}

/*
 * A principal's bytes as Fabric's `proto.Unmarshal` reads them (protobuf-go: a known field with
 * another wire type skipped, an msp id that is not UTF-8 refused), where google-protobuf would
 * throw on the first and take the second.
 */
const MSPRoleSchema: Schema = { name: 'common.MSPRole', fields: { 1: { kind: 'string' }, 2: { kind: 'int32' } } };
const OrganizationUnitSchema: Schema = { name: 'common.OrganizationUnit', fields: { 1: { kind: 'string' }, 2: { kind: 'string' }, 3: { kind: 'bytes' } } };
const SerializedIdentitySchema: Schema = { name: 'msp.SerializedIdentity', fields: { 1: { kind: 'string' }, 2: { kind: 'bytes' } } };

/** The MSP a member-orgs principal names, or undefined when it names none or does not decode. */
export function principalMspId(p: MSPPrincipal): string | undefined {
  const bytes = p.getPrincipal_asU8();
  try {
    switch (p.getPrincipalClassification()) {
      case MSPPrincipal.Classification.ROLE:
        return decodeConfigProto(MSPRole, MSPRoleSchema, bytes, 'MSPPrincipal.principal').getMspIdentifier();
      case MSPPrincipal.Classification.ORGANIZATION_UNIT:
        return decodeConfigProto(OrganizationUnit, OrganizationUnitSchema, bytes, 'MSPPrincipal.principal').getMspIdentifier();
      case MSPPrincipal.Classification.IDENTITY:
        return decodeConfigProto(SerializedIdentity, SerializedIdentitySchema, bytes, 'MSPPrincipal.principal').getMspid();
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}

/**
 * Fabric's `validateCollectionConfigMemberOrgsPolicy`: a signature policy that compiles (cauthdsl),
 * only ORs, then each principal in turn of a type Fabric supports, decodable, and (given
 * `membership`) of the channel.
 */
function checkMemberOrgsPolicy(c: StaticCollectionConfig, membership: CollectionMembership | undefined): void {
  const name = c.getName();
  const policy = c.getMemberOrgsPolicy();
  if (policy === undefined) throw collectionError(`collection member policy is not set for collection '${name}'`, { collection: name });
  const envelope = policy.getSignaturePolicy();
  if (envelope === undefined) throw collectionError(`collection member org policy is empty for collection '${name}'`, { collection: name });
  const invalid = signaturePolicyError(envelope);
  if (invalid !== undefined) throw collectionError(`invalid member org policy for collection '${name}': ${invalid}`, { collection: name });
  const notOr = notOrConcatenation(envelope.getRule());
  if (notOr !== undefined) throw collectionError(`collection-name: ${name} -- error in member org policy: ${notOr}`, { collection: name });
  for (const principal of envelope.getIdentitiesList()) {
    const classification = principal.getPrincipalClassification();
    const bytes = principal.getPrincipal_asU8();
    const onChannel = (type: string, cls: typeof MSPRole | typeof OrganizationUnit, schema: Schema): void => {
      let mspId: string;
      try {
        mspId = decodeConfigProto<MSPRole | OrganizationUnit>(cls, schema, bytes, 'MSPPrincipal.principal').getMspIdentifier();
      } catch (err) {
        throw collectionError(`collection-name: ${name} -- cannot unmarshal identity bytes into ${type}: ${decodeFailure(err)}`, { collection: name });
      }
      if (membership !== undefined && !membership.hasMsp(mspId)) {
        throw collectionError(`collection-name: ${name} -- collection member '${mspId}' is not part of the channel`, {
          collection: name,
          mspId,
          channelMsps: membership.mspIds(),
        });
      }
    };
    switch (classification) {
      case MSPPrincipal.Classification.ROLE:
        onChannel('MSPRole', MSPRole, MSPRoleSchema);
        break;
      case MSPPrincipal.Classification.ORGANIZATION_UNIT:
        onChannel('OrganizationUnit', OrganizationUnit, OrganizationUnitSchema);
        break;
      case MSPPrincipal.Classification.IDENTITY:
        if (membership !== undefined && !membership.knowsIdentity(bytes)) {
          throw collectionError(`collection-name: ${name} -- contains an identity that is not part of the channel`, { collection: name });
        }
        break;
      default:
        throw collectionError(`collection-name: ${name} -- principal type ${classificationName(classification)} is not supported`, { collection: name, classification });
    }
  }
}

/**
 * Why cauthdsl would not compile this envelope (Fabric's `compile` messages, first in its
 * depth-first order), or undefined. Iterative: a policy may nest as deep as Go's decoder allows.
 */
export function signaturePolicyError(envelope: SignaturePolicyEnvelope): string | undefined {
  const identities = envelope.getIdentitiesList().length;
  return firstInRules(envelope.getRule(), (rule) => {
    if (rule === undefined) return 'Empty policy element';
    switch (rule.getTypeCase()) {
      case SignaturePolicy.TypeCase.N_OUT_OF:
        return undefined;
      case SignaturePolicy.TypeCase.SIGNED_BY: {
        const index = rule.getSignedBy();
        return index < 0 || index >= identities ? `identity index out of range, requested ${index}, but identities length is ${identities}` : undefined;
      }
      default:
        return 'Unknown type: <nil>:<nil>';
    }
  });
}

/** Fabric's `validateSpOrConcat`: a member orgs policy may only OR its principals together. */
function notOrConcatenation(root: SignaturePolicy | undefined): string | undefined {
  return firstInRules(root, (rule) => {
    const gate = rule?.getTypeCase() === SignaturePolicy.TypeCase.N_OUT_OF ? rule.getNOutOf() : undefined;
    return gate === undefined || gate.getN() === 1 ? undefined : `signature policy is not an OR concatenation, NOutOf ${gate.getN()}`;
  });
}

/** The enum name Go's `%v` prints for a principal classification (the number when unknown). */
function classificationName(value: number): string {
  return Object.entries(MSPPrincipal.Classification).find(([, v]) => v === value)?.[0] ?? String(value);
}
