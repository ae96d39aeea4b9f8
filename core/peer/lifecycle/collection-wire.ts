/**
 * `CollectionConfigPackage` bytes decoded as protobuf-go decodes them, and encoded, without
 * recursion through the signature policies they hold (see `policy-wire.ts` for why).
 */
import {
  CollectionConfig,
  CollectionConfigPackage,
  CollectionPolicyConfig,
  StaticCollectionConfig,
} from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import { ApplicationPolicy } from '@hyperledger/fabric-protos/lib/peer/policy_pb';
import { LEN, type MessageBytes, VARINT, WireReader } from '../../protocol/wire-reader';
import { boolField, int32Field, lenField, message, stringField, uintField } from '../../protocol/wire-writer';
import { goMarshalCollectionPackage } from './collection-go-marshal';
import { checkDepth, decodeApplicationPolicyInto, decodeSignatureEnvelopeInto, encodeApplicationPolicy, encodeSignatureEnvelope } from '../../protocol/policy-wire';

/**
 * protobuf-go's bytes of each package decoded here (unknown fields kept, see `collection-go-marshal.ts`),
 * with and without the package's own unknown fields. A decoded package is read, never changed.
 */
const goBytes = new WeakMap<CollectionConfigPackage, { readonly raw: MessageBytes; readonly full: Uint8Array; configsOnly?: Uint8Array }>();

/**
 * Decodes `bytes` into `pkg` (fresh), which sits `depth` messages deep (1: on its own; 2 inside a
 * `_lifecycle` argument message). Throws `PROTOCOL_MALFORMED` naming `path` where protobuf-go fails.
 */
export function decodeCollectionPackageInto(bytes: MessageBytes, pkg: CollectionConfigPackage, depth: number, path: string): void {
  decodePackage(bytes, pkg, depth, path);
  goBytes.set(pkg, { raw: bytes, full: goMarshalCollectionPackage(bytes, true) });
}

function decodePackage(bytes: MessageBytes, pkg: CollectionConfigPackage, depth: number, path: string): void {
  checkDepth(depth, path, 'protos.CollectionConfigPackage');
  const r = new WireReader(bytes, path, 'protos.CollectionConfigPackage');
  while (r.next()) {
    if (!r.has(1, LEN)) {
      r.skip();
      continue;
    }
    const at = `${path}.config[${pkg.getConfigList().length}]`;
    const config = new CollectionConfig();
    pkg.addConfig(config);
    decodeCollectionConfig(r.bytes(), config, depth + 1, at);
  }
}

/** `CollectionConfigPackage` bytes decoded on their own. */
export function decodeCollectionPackage(bytes: Uint8Array, path: string): CollectionConfigPackage {
  const pkg = new CollectionConfigPackage();
  decodeCollectionPackageInto(bytes, pkg, 1, path);
  return pkg;
}

function decodeCollectionConfig(bytes: Uint8Array, config: CollectionConfig, depth: number, path: string): void {
  checkDepth(depth, path, 'protos.CollectionConfig');
  const r = new WireReader(bytes, path, 'protos.CollectionConfig');
  let occurrences: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) occurrences = r.message(occurrences);
    else r.skip();
  }
  if (occurrences === undefined) return;
  const c = new StaticCollectionConfig();
  config.setStaticCollectionConfig(c);
  decodeStaticCollectionConfig(occurrences, c, depth + 1, `${path}.static_collection_config`);
}

function decodeStaticCollectionConfig(bytes: MessageBytes, c: StaticCollectionConfig, depth: number, path: string): void {
  checkDepth(depth, path, 'protos.StaticCollectionConfig');
  const r = new WireReader(bytes, path, 'protos.StaticCollectionConfig');
  let member: MessageBytes | undefined;
  let endorsement: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) c.setName(r.string());
    else if (r.has(2, LEN)) member = r.message(member);
    else if (r.has(3, VARINT)) c.setRequiredPeerCount(r.int32());
    else if (r.has(4, VARINT)) c.setMaximumPeerCount(r.int32());
    else if (r.has(5, VARINT)) c.setBlockToLive(r.uint());
    else if (r.has(6, VARINT)) c.setMemberOnlyRead(r.uint() !== 0);
    else if (r.has(7, VARINT)) c.setMemberOnlyWrite(r.uint() !== 0);
    else if (r.has(8, LEN)) endorsement = r.message(endorsement);
    else r.skip();
  }
  if (member !== undefined) {
    const policy = new CollectionPolicyConfig();
    c.setMemberOrgsPolicy(policy);
    decodeCollectionPolicyConfig(member, policy, depth + 1, `${path}.member_orgs_policy`);
  }
  if (endorsement !== undefined) {
    const policy = new ApplicationPolicy();
    c.setEndorsementPolicy(policy);
    decodeApplicationPolicyInto(endorsement, policy, depth + 1, `${path}.endorsement_policy`);
  }
}

function decodeCollectionPolicyConfig(bytes: MessageBytes, policy: CollectionPolicyConfig, depth: number, path: string): void {
  checkDepth(depth, path, 'protos.CollectionPolicyConfig');
  const r = new WireReader(bytes, path, 'protos.CollectionPolicyConfig');
  let occurrences: MessageBytes | undefined;
  while (r.next()) {
    if (r.has(1, LEN)) occurrences = r.message(occurrences);
    else r.skip();
  }
  if (occurrences === undefined) return;
  const envelope = new SignaturePolicyEnvelope();
  policy.setSignaturePolicy(envelope);
  decodeSignatureEnvelopeInto(occurrences, envelope, depth + 1, `${path}.signature_policy`);
}

/**
 * `pkg`'s bytes, without recursion: as protobuf-go marshals it for a package decoded here (its
 * unknown fields kept, as Fabric stores and hashes them), else as google-protobuf's
 * `serializeBinary` writes it (the same bytes for a package without unknown fields).
 */
export function encodeCollectionPackage(pkg: CollectionConfigPackage): Uint8Array {
  const decoded = goBytes.get(pkg);
  if (decoded !== undefined) return decoded.full;
  return message(...pkg.getConfigList().map((config) => lenField(1, encodeCollectionConfig(config), false)));
}

/**
 * The bytes Fabric's `ApproveChaincodeDefinitionForMyOrg` stores for `pkg`: a new package holding
 * its configs (`&CollectionConfigPackage{Config: input.Collections.Config}`), so the package's own
 * unknown fields are dropped while those inside each config are kept.
 */
export function encodeApprovedCollectionPackage(pkg: CollectionConfigPackage): Uint8Array {
  const decoded = goBytes.get(pkg);
  if (decoded === undefined) return encodeCollectionPackage(pkg);
  decoded.configsOnly ??= goMarshalCollectionPackage(decoded.raw, false);
  return decoded.configsOnly;
}

function encodeCollectionConfig(config: CollectionConfig): Uint8Array {
  const c = config.getStaticCollectionConfig();
  if (c === undefined) return new Uint8Array(0);
  const member = c.getMemberOrgsPolicy();
  const memberEnvelope = member?.getSignaturePolicy();
  const endorsement = c.getEndorsementPolicy();
  const staticBytes = message(
    stringField(1, c.getName()),
    member === undefined ? undefined : lenField(2, memberEnvelope === undefined ? new Uint8Array(0) : message(lenField(1, encodeSignatureEnvelope(memberEnvelope), false)), false),
    int32Field(3, c.getRequiredPeerCount()),
    int32Field(4, c.getMaximumPeerCount()),
    uintField(5, c.getBlockToLive()),
    boolField(6, c.getMemberOnlyRead()),
    boolField(7, c.getMemberOnlyWrite()),
    endorsement === undefined ? undefined : lenField(8, encodeApplicationPolicy(endorsement), false),
  );
  return message(lenField(1, staticBytes, false));
}
