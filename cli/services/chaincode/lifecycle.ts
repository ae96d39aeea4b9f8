import { ApplicationPolicy, SignaturePolicyEnvelope } from '@hyperledger/fabric-protos/lib/common/policies_pb';
import type { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  CommitChaincodeDefinitionArgs,
  GetInstalledChaincodePackageArgs,
  GetInstalledChaincodePackageResult,
  InstallChaincodeArgs,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionsArgs,
  QueryInstalledChaincodesArgs,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import { ChaincodeError } from '../../../core/errors';
import { describeCollections, principalMspId } from '../../../core/peer/lifecycle/collections';
import { compilePolicyExpression } from '../../../core/policy/policy-expression';
import { decodeApplicationPolicy } from '../../../core/protocol/policy-wire';
import { loadClientIdentity, type ClientIdentity } from '../client/client-identity';
import { GatewaySession } from '../client/gateway-session';
import { withPeerClient } from '../client/peer-client';
import { describeSignaturePolicy } from '../network/channel-config-diff';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import type { PeerOrgSpec } from '../network/network-spec';
import { approvedDefinition } from './approved-definition';
import { gatewayFailure } from './gateway-errors';
import { invalidTransactionError } from './transact';
import { decodeCommitReadiness, decodeCommittedDefinition, decodeCommittedDefinitions, decodeInstallResult, decodeInstalledChaincodes } from './lifecycle-results';
import { type ChaincodeDefinition as StoredDefinition, type DefinitionSetters, definitionOf, sameDefinition, writeDefinition } from '../../../core/peer/lifecycle/lifecycle-state';

const LIFECYCLE = '_lifecycle';

/** A chaincode definition as orgs approve and commit it. */
export interface ChaincodeDefinition {
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
  /** A Fabric signature policy expression; undefined = the channel's /Channel/Application/Endorsement. */
  readonly policy?: string;
  readonly initRequired: boolean;
  /** Private data collections (`--collections-config`); undefined or empty: none. */
  readonly collections?: CollectionConfigPackage;
}

export interface InstalledPackage {
  readonly packageId: string;
  readonly label: string;
}

export interface CommittedDefinition {
  readonly name: string;
  readonly version: string;
  readonly sequence: number;
  readonly initRequired: boolean;
  /** Its endorsement policy (the validation parameter): a channel policy path, or a signature policy and the MSP ids it names. */
  readonly endorsementPolicy: EndorsementPolicyRef;
  /** Its private data collections, in definition order (empty when it has none). */
  readonly collections: CommittedCollection[];
  readonly approvals?: Record<string, boolean>;
}

/**
 * An endorsement policy as a committed definition carries it: a channel policy path, or a signature
 * policy in Fabric's DSL with the MSP ids it names.
 */
export type EndorsementPolicyRef = { readonly channelConfigPolicy: string } | { readonly signaturePolicy: string; readonly signaturePolicyOrgs: readonly string[] };

/** A collection of a committed definition, with the field names of the collections config file. */
export interface CommittedCollection {
  readonly name: string;
  /** MSP ids named by its member orgs policy. */
  readonly memberOrgs: readonly string[];
  readonly requiredPeerCount: number;
  readonly maxPeerCount: number;
  readonly blockToLive: number;
  readonly memberOnlyRead: boolean;
  readonly memberOnlyWrite: boolean;
  /** Its own endorsement policy. Absent: the chaincode's applies. */
  readonly endorsementPolicy?: EndorsementPolicyRef;
}

/**
 * `ApplicationPolicy` bytes for a definition, as the Fabric peer CLI builds them: a channel policy
 * path (`/Channel/...`, its `--channel-config-policy`) is referenced, any other text is a
 * signature policy (its `--signature-policy`).
 */
export function validationParameter(policy: string | undefined): Uint8Array {
  const app = new ApplicationPolicy();
  if (policy === undefined) app.setChannelConfigPolicyReference('/Channel/Application/Endorsement');
  else if (policy.startsWith('/Channel/')) app.setChannelConfigPolicyReference(policy);
  else app.setSignaturePolicy(SignaturePolicyEnvelope.deserializeBinary(compilePolicyExpression(policy)));
  return app.serializeBinary();
}

export function orgAdmin(layout: NetworkLayout, org: PeerOrgSpec): ClientIdentity {
  return loadClientIdentity(layout.user(org, 'Admin'));
}

function orgOf(layout: NetworkLayout, node: NodeLayout): PeerOrgSpec {
  return layout.spec.orgs.find((o) => o.mspId === node.mspId)!;
}

/** `_lifecycle QueryInstalledChaincodes` on one peer, as its org's Admin. */
export function queryInstalled(layout: NetworkLayout, peer: NodeLayout): Promise<InstalledPackage[]> {
  const admin = orgAdmin(layout, orgOf(layout, peer));
  return withPeerClient(layout.spec, peer, admin, async (c) => {
    const payload = await c.call(admin.signer, '', LIFECYCLE, ['QueryInstalledChaincodes', new QueryInstalledChaincodesArgs().serializeBinary()]);
    return decodeInstalledChaincodes(payload)
      .getInstalledChaincodesList()
      .map((i) => ({ packageId: i.getPackageId(), label: i.getLabel() }));
  });
}

/** `_lifecycle GetInstalledChaincodePackage` on one peer, as its org's Admin: the package's bytes, to install it on another peer. */
export function installedPackage(layout: NetworkLayout, peer: NodeLayout, packageId: string): Promise<Uint8Array> {
  const admin = orgAdmin(layout, orgOf(layout, peer));
  return withPeerClient(layout.spec, peer, admin, async (c) => {
    const args = new GetInstalledChaincodePackageArgs();
    args.setPackageId(packageId);
    const payload = await c.call(admin.signer, '', LIFECYCLE, ['GetInstalledChaincodePackage', args.serializeBinary()]);
    return GetInstalledChaincodePackageResult.deserializeBinary(payload).getChaincodeInstallPackage_asU8();
  });
}

/** Installs a package on one peer unless it is there already; returns its package ID. */
export async function install(layout: NetworkLayout, peer: NodeLayout, packageBytes: Uint8Array, packageId: string): Promise<{ packageId: string; alreadyInstalled: boolean }> {
  if ((await queryInstalled(layout, peer)).some((p) => p.packageId === packageId)) return { packageId, alreadyInstalled: true };
  const admin = orgAdmin(layout, orgOf(layout, peer));
  return withPeerClient(layout.spec, peer, admin, async (c) => {
    const args = new InstallChaincodeArgs();
    args.setChaincodeInstallPackage(packageBytes);
    const payload = await c.call(admin.signer, '', LIFECYCLE, ['InstallChaincode', args.serializeBinary()]);
    return { packageId: decodeInstallResult(payload).getPackageId(), alreadyInstalled: false };
  });
}

/** A definition as `_lifecycle` stores it, with Fabric's default plugins. */
function lifecycleDefinition(def: ChaincodeDefinition): StoredDefinition {
  return {
    name: def.name,
    version: def.version,
    sequence: def.sequence,
    endorsementPlugin: 'escc',
    validationPlugin: 'vscc',
    validationParameter: validationParameter(def.policy),
    initRequired: def.initRequired,
    collections: describeCollections(def.collections),
    collectionsBytes: def.collections?.serializeBinary() ?? new Uint8Array(0),
  };
}

/** The `_lifecycle` message fields of a definition. */
function definitionArgs<T extends DefinitionSetters>(args: T, def: ChaincodeDefinition): T {
  return writeDefinition(args, lifecycleDefinition(def));
}

/** `ApproveChaincodeDefinitionForMyOrg` as a transaction endorsed by the org's own peer, through the Gateway. */
export async function approve(layout: NetworkLayout, org: PeerOrgSpec, def: ChaincodeDefinition, packageId: string): Promise<{ transactionId: string }> {
  const args = definitionArgs(new ApproveChaincodeDefinitionForMyOrgArgs(), def);
  const source = new ChaincodeSource();
  const local = new ChaincodeSource.Local();
  local.setPackageId(packageId);
  source.setLocalPackage(local);
  args.setSource(source);
  return submitLifecycle(layout, org, 'ApproveChaincodeDefinitionForMyOrg', args.serializeBinary(), [org.mspId]);
}

/**
 * Whether `org` has already approved exactly `def` with package `packageId` (`QueryApprovedChaincodeDefinition`
 * at `def.sequence` on the org's first peer, as its Admin). Re-approving it would be refused as
 * "unchanged content", as in Fabric.
 */
export async function hasApproved(layout: NetworkLayout, org: PeerOrgSpec, def: ChaincodeDefinition, packageId: string): Promise<boolean> {
  const a = await approvedDefinition(layout, org, def.name, def.sequence);
  if (a === undefined) return false;
  const approved: StoredDefinition = { ...definitionOf(a), name: def.name };
  return sameDefinition(approved, lifecycleDefinition(def)) && a.getSource()?.getLocalPackage()?.getPackageId() === packageId;
}

/** What `CheckCommitReadiness` reports: each org's approval, and for the others what differs (Fabric's field names). */
export interface CommitReadiness {
  readonly approvals: Record<string, boolean>;
  readonly mismatches: Record<string, string[]>;
}

/** `CheckCommitReadiness` on a peer of `org`: which orgs approved this exact definition. */
export function checkCommitReadiness(layout: NetworkLayout, org: PeerOrgSpec, def: ChaincodeDefinition): Promise<CommitReadiness> {
  const args = definitionArgs(new CheckCommitReadinessArgs(), def);
  const peer = layout.peersOf(org)[0]!;
  const admin = orgAdmin(layout, org);
  return withPeerClient(layout.spec, peer, admin, async (c) => {
    const payload = await c.call(admin.signer, layout.spec.channel.name, LIFECYCLE, ['CheckCommitReadiness', args.serializeBinary()]);
    const result = decodeCommitReadiness(payload);
    // forEach, not toArray: toArray gives a message-valued map's values as raw arrays.
    const mismatches: Record<string, string[]> = {};
    result.getMismatchesMap().forEach((m, msp) => (mismatches[msp] = m.getItemsList()));
    return { approvals: Object.fromEntries(result.getApprovalsMap().toArray()) as Record<string, boolean>, mismatches };
  });
}

/**
 * `CommitChaincodeDefinition` through the Gateway, endorsed by a peer of each org that approved this
 * definition, as Fabric's `peer lifecycle chaincode commit` sent to those orgs' peers: a peer of an
 * org that has not approved refuses to endorse ("not agreed to by this org"), and whether the orgs
 * that did are enough is the channel's LifecycleEndorsement policy's to say (a majority by default).
 */
export async function commit(layout: NetworkLayout, org: PeerOrgSpec, def: ChaincodeDefinition): Promise<{ transactionId: string }> {
  const { approvals } = await checkCommitReadiness(layout, org, def);
  const approved = layout.spec.orgs.map((o) => o.mspId).filter((msp) => approvals[msp] === true);
  if (approved.length === 0) {
    throw new ChaincodeError('NOT_READY', `no org has approved chaincode ${def.name} sequence ${def.sequence} with this definition (version, policy, init-required and collections count)`, {
      approvals,
      suggestions: [
        `see what differs with: weft chaincode check-commit-readiness <dir> --name ${def.name} --sequence ${def.sequence} [the same definition flags]`,
        `approve it: weft chaincode approve <dir> --org <org> --name ${def.name} --package-id <id> --sequence ${def.sequence}`,
      ],
    });
  }
  const args = definitionArgs(new CommitChaincodeDefinitionArgs(), def);
  try {
    return await submitLifecycle(layout, org, 'CommitChaincodeDefinition', args.serializeBinary(), approved);
  } catch (err) {
    if (!(err instanceof ChaincodeError && err.code === 'TX_INVALID' && err.details.code === TxValidationCode.ENDORSEMENT_POLICY_FAILURE)) throw err;
    const waiting = Object.keys(approvals).filter((msp) => approvals[msp] !== true);
    throw new ChaincodeError(
      'NOT_READY',
      `CommitChaincodeDefinition transaction ${String(err.details.transactionId)} was committed as invalid (ENDORSEMENT_POLICY_FAILURE): the orgs that approved (${approved.join(', ')}) are not enough for the channel's LifecycleEndorsement policy (by default a majority of its orgs)`,
      { ...err.details, approvals, suggestions: [`more orgs must approve the same definition: ${waiting.join(', ')}`] },
      { cause: err },
    );
  }
}

/** `QueryChaincodeDefinition` (one name) or `QueryChaincodeDefinitions` (all) on a peer of `org`. */
export function queryCommitted(layout: NetworkLayout, org: PeerOrgSpec, name: string | undefined, peer = layout.peersOf(org)[0]!): Promise<CommittedDefinition[]> {
  const channel = layout.spec.channel.name;
  const admin = orgAdmin(layout, org);
  return withPeerClient(layout.spec, peer, admin, async (c) => {
    const signer = admin.signer;
    if (name !== undefined) {
      const args = new QueryChaincodeDefinitionArgs();
      args.setName(name);
      const r = await c.propose(signer, channel, LIFECYCLE, ['QueryChaincodeDefinition', args.serializeBinary()]);
      if (r.response.status >= 400) {
        if (/not found|not defined|does not exist|no chaincode/i.test(r.response.message)) return [];
        throw new ChaincodeError('LIFECYCLE_QUERY_FAILED', `QueryChaincodeDefinition ${name} on ${peer.id}: ${r.response.message}`, {});
      }
      const d = decodeCommittedDefinition(r.response.payload);
      return [
        {
          name,
          version: d.getVersion(),
          sequence: d.getSequence(),
          initRequired: d.getInitRequired(),
          endorsementPolicy: endorsementPolicyOf(d.getValidationParameter_asU8(), 'query_chaincode_definition_result.validation_parameter'),
          collections: committedCollections(d.getCollections()),
          approvals: Object.fromEntries(d.getApprovalsMap().toArray()) as Record<string, boolean>,
        },
      ];
    }
    return committedDefinitionsOf(await c.call(signer, channel, LIFECYCLE, ['QueryChaincodeDefinitions', new QueryChaincodeDefinitionsArgs().serializeBinary()]));
  });
}

/** The definitions of a `QueryChaincodeDefinitionsResult` (`_lifecycle`'s answer, as bytes). */
export function committedDefinitionsOf(payload: Uint8Array): CommittedDefinition[] {
  return decodeCommittedDefinitions(payload)
    .getChaincodeDefinitionsList()
    .map((d, i) => ({
      name: d.getName(),
      version: d.getVersion(),
      sequence: d.getSequence(),
      initRequired: d.getInitRequired(),
      endorsementPolicy: endorsementPolicyOf(d.getValidationParameter_asU8(), `query_chaincode_definitions_result.chaincode_definitions[${i}].validation_parameter`),
      collections: committedCollections(d.getCollections()),
    }));
}

function committedCollections(pkg: CollectionConfigPackage | undefined): CommittedCollection[] {
  return describeCollections(pkg).map((c) => ({
    name: c.name,
    memberOrgs: c.memberMspIds,
    requiredPeerCount: c.requiredPeerCount,
    maxPeerCount: c.maximumPeerCount,
    blockToLive: c.blockToLive,
    memberOnlyRead: c.memberOnlyRead,
    memberOnlyWrite: c.memberOnlyWrite,
    ...(c.endorsementPolicy === undefined ? {} : { endorsementPolicy: endorsementPolicyOf(c.endorsementPolicy, 'collection.endorsement_policy') }),
  }));
}

function endorsementPolicyOf(bytes: Uint8Array, field: string): EndorsementPolicyRef {
  // policy-wire reads these bytes: google-protobuf's reader would recurse through a deeply nested policy.
  const policy = decodeApplicationPolicy(bytes, field);
  const envelope = policy.getSignaturePolicy();
  if (envelope === undefined) return { channelConfigPolicy: policy.getChannelConfigPolicyReference() };
  return {
    signaturePolicy: describeSignaturePolicy(envelope),
    signaturePolicyOrgs: [...new Set(envelope.getIdentitiesList().flatMap((p) => principalMspId(p) ?? []))],
  };
}

async function submitLifecycle(layout: NetworkLayout, org: PeerOrgSpec, fn: string, arg: Uint8Array, endorsingOrganizations: string[]): Promise<{ transactionId: string }> {
  const session = new GatewaySession(layout, orgAdmin(layout, org));
  try {
    const contract = session.gateway.getNetwork(layout.spec.channel.name).getContract(LIFECYCLE);
    const submitted = await contract.submitAsync(fn, { arguments: [arg], endorsingOrganizations });
    const status = await submitted.getStatus();
    if (!status.successful) throw invalidTransactionError(status, 1, undefined, fn, layout.dir);
    return { transactionId: status.transactionId };
  } catch (err) {
    throw gatewayFailure(err, `${LIFECYCLE} ${fn}`, layout.dir);
  } finally {
    session.close();
  }
}
