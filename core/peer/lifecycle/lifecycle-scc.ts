import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ApproveChaincodeDefinitionForMyOrgResult,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  CheckCommitReadinessResult,
  CommitChaincodeDefinitionArgs,
  CommitChaincodeDefinitionResult,
  GetInstalledChaincodePackageArgs,
  GetInstalledChaincodePackageResult,
  InstallChaincodeArgs,
  InstallChaincodeResult,
  QueryApprovedChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionResult,
  QueryApprovedChaincodeDefinitionsResult,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsResult,
  QueryInstalledChaincodeArgs,
  QueryInstalledChaincodeResult,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeResponse } from '../../chaincode/chaincode-runtime';
import { ChaincodeError } from '../../errors';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { type LocalPolicies, checkChannelPolicy } from '../scc/acl';
import { type SccInvocation, type SystemChaincode, argString, failure, success } from '../scc/system-chaincode';
import type { ChaincodeInstaller } from './chaincode-installer';
import { decodeApproveArgs, decodeCheckCommitReadinessArgs, decodeCommitArgs, encodeWithCollections } from './definition-wire';
import { lenField, message } from '../../protocol/wire-writer';
import { checkApprovalChange, checkApprovalSequence, checkNextSequence, validateDefinitionInput, withDefaults } from './lifecycle-rules';
import {
  type Approval,
  type ChaincodeDefinition,
  type DefinitionSetters,
  LIFECYCLE_NAMESPACE,
  type PackageReference,
  approvalKey,
  approvalsPrefix,
  approvalIn,
  definitionMismatches,
  definitionOf,
  definitionKey,
  definedNames,
  encodeApproval,
  encodeDefinition,
  packageReferences,
  readApproval,
  readDefinition,
  writeDefinition,
} from './lifecycle-state';

/** Fabric's default ACL of the channel-scoped `_lifecycle` functions (`defaultaclprovider.go`). */
const WRITERS = '/Channel/Application/Writers';
/** How Fabric's `SCC.Invoke` words an ACL denial. */
const ACL_FAILED = 'Failed to authorize invocation due to failed ACL check: ';

/**
 * Fabric 2.x's `_lifecycle` system chaincode: install and query packages on this peer, approve a
 * definition for this peer's org, check commit readiness, commit (endorsed under the channel's
 * `LifecycleEndorsement`), query committed definitions. Arguments and results are Fabric's
 * `peer/lifecycle` messages, so Fabric's `peer lifecycle chaincode …` tooling can drive it.
 */
export class LifecycleScc implements SystemChaincode {
  readonly name = LIFECYCLE_NAMESPACE;

  constructor(
    private readonly local: LocalPolicies,
    private readonly installer: ChaincodeInstaller,
    /** The channels this peer has joined: an installed package's `References` are where this org approved it. */
    private readonly channels: () => readonly Channel[],
  ) {}

  async invoke(inv: SccInvocation): Promise<ChaincodeResponse> {
    // Fabric's SCC.Invoke: a function name and one serialized argument message, exactly.
    if (inv.args.length === 0) return failure('lifecycle scc must be invoked with arguments');
    if (inv.args.length !== 2) return failure(`lifecycle scc operations require exactly two arguments but received ${inv.args.length}`);
    const fn = argString(inv.args, 0);
    const input = inv.args[1] as Uint8Array;
    try {
      switch (fn) {
        case 'InstallChaincode':
          return await this.install(inv, input);
        case 'QueryInstalledChaincode':
          return this.queryInstalled(inv, input);
        case 'QueryInstalledChaincodes':
          return this.queryAllInstalled(inv);
        case 'GetInstalledChaincodePackage':
          return this.getPackage(inv, input);
        case 'ApproveChaincodeDefinitionForMyOrg':
          return this.approve(inv, input);
        case 'CheckCommitReadiness':
          return this.checkReadiness(inv, input);
        case 'CommitChaincodeDefinition':
          return this.commit(inv, input);
        case 'QueryApprovedChaincodeDefinition':
          return this.queryApproved(inv, input);
        case 'QueryApprovedChaincodeDefinitions':
          return this.queryAllApproved(inv);
        case 'QueryChaincodeDefinition':
          return this.queryDefinition(inv, input);
        case 'QueryChaincodeDefinitions':
          return this.queryDefinitions(inv);
        default:
          return this.unknown(inv, fn);
      }
    } catch (err) {
      // Fabric checks the ACL before dispatching, and says so: clients tell a denial from a failure by it.
      if (err instanceof PeerError && err.code === 'PEER_ACCESS_DENIED') return failure(`${ACL_FAILED}${err.message}`);
      return failure(`failed to invoke backing implementation of '${fn}': ${(err as Error).message}`);
    }
  }

  /**
   * A function `_lifecycle` does not have. Fabric's ACL check comes first and finds no policy for
   * `_lifecycle/<fn>` unless the channel config names one; past that, its dispatcher has no method.
   */
  private unknown(inv: SccInvocation, fn: string): ChaincodeResponse {
    const resource = `${LIFECYCLE_NAMESPACE}/${fn}`;
    const configured = inv.channel?.resources().aclPolicyPath(resource, '') ?? '';
    if (inv.channel === undefined || configured === '') return failure(`${ACL_FAILED}Unmapped policy for ${resource}`);
    checkChannelPolicy(inv.channel, configured, inv.proposal, resource);
    return failure(`failed to invoke backing implementation of '${fn}': receiver *lifecycle.Invocation.${fn} does not exist`);
  }

  private async install(inv: SccInvocation, input: Uint8Array): Promise<ChaincodeResponse> {
    this.local.checkAdmin(inv.proposal, '_lifecycle/InstallChaincode');
    const args = InstallChaincodeArgs.deserializeBinary(input);
    const installed = await this.installer.install(args.getChaincodeInstallPackage_asU8());
    const res = new InstallChaincodeResult();
    res.setPackageId(installed.packageId);
    res.setLabel(installed.label);
    return success(res.serializeBinary());
  }

  private queryInstalled(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryInstalledChaincode');
    const id = QueryInstalledChaincodeArgs.deserializeBinary(input).getPackageId();
    const found = this.installer.list().find((c) => c.packageId === id);
    if (found === undefined) return failure(`failed to invoke backing implementation of 'QueryInstalledChaincode': could not load '${id}': chaincode install package '${id}' not found`);
    const res = new QueryInstalledChaincodeResult();
    res.setPackageId(found.packageId);
    res.setLabel(found.label);
    setReferences(res.getReferencesMap(), packageReferences(this.channels(), this.local.mspId).get(found.packageId), QueryInstalledChaincodeResult.References, QueryInstalledChaincodeResult.Chaincode);
    return success(res.serializeBinary());
  }

  private queryAllInstalled(inv: SccInvocation): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryInstalledChaincodes');
    const references = packageReferences(this.channels(), this.local.mspId);
    const res = new QueryInstalledChaincodesResult();
    res.setInstalledChaincodesList(
      this.installer.list().map((c) => {
        const ic = new QueryInstalledChaincodesResult.InstalledChaincode();
        ic.setPackageId(c.packageId);
        ic.setLabel(c.label);
        setReferences(ic.getReferencesMap(), references.get(c.packageId), QueryInstalledChaincodesResult.References, QueryInstalledChaincodesResult.Chaincode);
        return ic;
      }),
    );
    return success(res.serializeBinary());
  }

  private getPackage(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/GetInstalledChaincodePackage');
    const id = GetInstalledChaincodePackageArgs.deserializeBinary(input).getPackageId();
    let bytes: Uint8Array;
    try {
      bytes = this.installer.load(id);
    } catch (err) {
      // Fabric's ChaincodeStore.Load error, wrapped as its GetInstalledChaincodePackage wraps it.
      if (err instanceof ChaincodeError && err.code === 'CHAINCODE_NOT_INSTALLED') {
        throw new PeerError('PEER_LIFECYCLE', `could not load cc install package: chaincode install package '${id}' not found`, { packageId: id });
      }
      throw err;
    }
    const res = new GetInstalledChaincodePackageResult();
    res.setChaincodeInstallPackage(bytes);
    return success(res.serializeBinary());
  }

  private approve(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/ApproveChaincodeDefinitionForMyOrg');
    const { channel, sim } = this.onChannel(inv, 'ApproveChaincodeDefinitionForMyOrg');
    const args = decodeApproveArgs(input, 'ApproveChaincodeDefinitionForMyOrgArgs');
    const committed = readDefinition(sim, args.getName());
    validateDefinitionInput(args.getName(), args.getVersion(), args.getCollections(), channel, committed);
    checkApprovalSequence(args.getSequence(), committed?.sequence ?? 0);
    const def = withDefaults(definitionOf(args), channel);
    const packageId = args.getSource()?.getLocalPackage()?.getPackageId() ?? '';
    checkApprovalChange(def, packageId, committed, readApproval(sim, this.local.mspId, def.name, def.sequence));
    const stored = writeDefinition(new ApproveChaincodeDefinitionForMyOrgArgs(), def);
    stored.setSource(chaincodeSource(packageId));
    sim.setState(LIFECYCLE_NAMESPACE, approvalKey(this.local.mspId, def.name, def.sequence), encodeApproval(stored));
    return success(new ApproveChaincodeDefinitionForMyOrgResult().serializeBinary());
  }

  /**
   * Each channel org's approval of `def` (Fabric's `QueryOrgApprovals`), and for an org that has not
   * approved it, which parts differ: `ChaincodeParameters` when the org approved nothing at that
   * sequence, else `EndorsementInfo` (version, endorsement plugin, init required),
   * `ValidationInfo` (validation plugin and parameter) and/or `Collections`, Fabric's field names.
   */
  private approvals(channel: Channel, sim: TxSimulator, def: ChaincodeDefinition): { approvals: Map<string, boolean>; mismatches: Map<string, string[]> } {
    const approvals = new Map<string, boolean>();
    const mismatches = new Map<string, string[]>();
    for (const org of channel.resources().config.applicationOrgs) {
      const differs = definitionMismatches(readApproval(sim, org.mspId, def.name, def.sequence)?.definition, def);
      approvals.set(org.mspId, differs.length === 0);
      if (differs.length > 0) mismatches.set(org.mspId, differs);
    }
    return { approvals, mismatches };
  }

  /**
   * Fabric's `CheckCommitReadiness`: the next sequence, defaults filled in, each org's approval.
   * Collections are compared, not validated (Fabric validates them only at Approve and Commit).
   */
  private readiness(
    channel: Channel,
    sim: TxSimulator,
    args: CheckCommitReadinessArgs | CommitChaincodeDefinitionArgs,
    committed = readDefinition(sim, args.getName()),
  ): { def: ChaincodeDefinition; approvals: Map<string, boolean>; mismatches: Map<string, string[]> } {
    checkNextSequence(args.getSequence(), committed?.sequence ?? 0);
    const def = withDefaults(definitionOf(args), channel);
    return { def, ...this.approvals(channel, sim, def) };
  }

  private checkReadiness(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, 'CheckCommitReadiness', WRITERS);
    const args = decodeCheckCommitReadinessArgs(input, 'CheckCommitReadinessArgs');
    const { approvals, mismatches } = this.readiness(channel, sim, args);
    const res = new CheckCommitReadinessResult();
    const map = res.getApprovalsMap();
    for (const [org, ok] of approvals) map.set(org, ok);
    for (const [org, items] of mismatches) {
      const m = new CheckCommitReadinessResult.Mismatches();
      m.setItemsList(items);
      res.getMismatchesMap().set(org, m);
    }
    return success(res.serializeBinary());
  }

  /**
   * Only this peer's own org must have approved (Fabric's rule): the other orgs' approvals count
   * through the channel's `LifecycleEndorsement` policy when the transaction is validated.
   */
  private commit(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, 'CommitChaincodeDefinition', WRITERS);
    const args = decodeCommitArgs(input, 'CommitChaincodeDefinitionArgs');
    const committed = readDefinition(sim, args.getName());
    validateDefinitionInput(args.getName(), args.getVersion(), args.getCollections(), channel, committed);
    if (!channel.resources().config.applicationOrgs.some((o) => o.mspId === this.local.mspId)) {
      throw new PeerError('PEER_LIFECYCLE', "impossibly, this peer's org is processing requests for a channel it is not a member of", { mspId: this.local.mspId });
    }
    const { def, approvals } = this.readiness(channel, sim, args, committed);
    if (approvals.get(this.local.mspId) !== true) {
      throw new PeerError('PEER_LIFECYCLE', `chaincode definition not agreed to by this org (${this.local.mspId})`, { mspId: this.local.mspId });
    }
    sim.setState(LIFECYCLE_NAMESPACE, definitionKey(def.name), encodeDefinition(def));
    return success(new CommitChaincodeDefinitionResult().serializeBinary());
  }

  /**
   * Fabric's `QueryApprovedChaincodeDefinition`: sequence 0 means the committed sequence, or the
   * next one when this org has approved it; any other sequence is looked up as given.
   */
  private queryApproved(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryApprovedChaincodeDefinition');
    const { sim } = this.onChannel(inv, 'QueryApprovedChaincodeDefinition');
    const a = QueryApprovedChaincodeDefinitionArgs.deserializeBinary(input);
    const name = a.getName();
    let seq = a.getSequence();
    if (seq === 0) {
      seq = readDefinition(sim, name)?.sequence ?? 0;
      if (readApproval(sim, this.local.mspId, name, seq + 1) !== undefined) seq += 1;
    }
    const approval = readApproval(sim, this.local.mspId, name, seq);
    if (approval === undefined) {
      throw new PeerError('PEER_LIFECYCLE', `could not fetch approved chaincode definition (name: '${name}', sequence: '${seq}') on channel '${inv.proposal.channelId}'`, {
        name,
        sequence: seq,
      });
    }
    const res = writeResult(new QueryApprovedChaincodeDefinitionResult(), approval.definition);
    res.setSource(chaincodeSource(approval.packageId ?? ''));
    return success(encodeWithCollections(res, 6));
  }

  /** Fabric's `QueryApprovedChaincodeDefinitions`: every definition this org approved on the channel, by name and sequence. */
  private queryAllApproved(inv: SccInvocation): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryApprovedChaincodeDefinitions');
    const { sim } = this.onChannel(inv, 'QueryApprovedChaincodeDefinitions');
    const prefix = approvalsPrefix(this.local.mspId);
    const approved: Approval[] = [];
    for (const kv of sim.getStateRange(LIFECYCLE_NAMESPACE, prefix, `${prefix.slice(0, -1)}0`)) {
      const approval = kv.value.length > 0 ? approvalIn(kv.value) : undefined;
      if (approval !== undefined) approved.push(approval);
    }
    approved.sort((a, b) => (a.definition.name < b.definition.name ? -1 : a.definition.name > b.definition.name ? 1 : a.definition.sequence - b.definition.sequence));
    // Each entry attached while empty: a setter walks (recursively) whatever subtree it is handed.
    const res = new QueryApprovedChaincodeDefinitionsResult();
    for (const a of approved) {
      const d = new QueryApprovedChaincodeDefinitionsResult.ApprovedChaincodeDefinition();
      res.addApprovedChaincodeDefinitions(d);
      writeResult(d, a.definition);
      d.setSource(chaincodeSource(a.packageId ?? ''));
    }
    return success(message(...res.getApprovedChaincodeDefinitionsList().map((d) => lenField(1, encodeWithCollections(d, 7), false))));
  }

  private queryDefinition(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, 'QueryChaincodeDefinition', WRITERS);
    const name = QueryChaincodeDefinitionArgs.deserializeBinary(input).getName();
    const d = readDefinition(sim, name);
    if (d === undefined) return failure(`namespace ${name} is not defined`, 404);
    const res = writeResult(new QueryChaincodeDefinitionResult(), d);
    const map = res.getApprovalsMap();
    for (const [org, ok] of this.approvals(channel, sim, d).approvals) map.set(org, ok);
    return success(encodeWithCollections(res, 6));
  }

  private queryDefinitions(inv: SccInvocation): ChaincodeResponse {
    const { sim } = this.onChannel(inv, 'QueryChaincodeDefinitions', WRITERS);
    const res = new QueryChaincodeDefinitionsResult();
    for (const name of definedNames(sim)) {
      const d = readDefinition(sim, name);
      if (d === undefined) continue;
      const entry = new QueryChaincodeDefinitionsResult.ChaincodeDefinition();
      res.addChaincodeDefinitions(entry);
      writeResult(entry, d);
    }
    return success(message(...res.getChaincodeDefinitionsList().map((d) => lenField(1, encodeWithCollections(d, 7), false))));
  }

  /**
   * The channel and simulator of a channel-bound call; with `defaultPolicy`, the creator must also
   * satisfy the channel ACL for `_lifecycle/<fn>` (the config's, else `defaultPolicy`).
   */
  private onChannel(inv: SccInvocation, fn: string, defaultPolicy?: string): { channel: Channel; sim: TxSimulator } {
    if (inv.channel === undefined || inv.simulator === undefined) {
      throw new PeerError('PEER_LIFECYCLE', `${fn} must be invoked on a channel`, {});
    }
    if (defaultPolicy !== undefined) checkChannelPolicy(inv.channel, defaultPolicy, inv.proposal, `_lifecycle/${fn}`);
    return { channel: inv.channel, sim: inv.simulator };
  }
}

/**
 * A definition in a query result. Fabric's results always carry a collection config package (an
 * empty one for a definition without collections), and clients print what they get.
 */
function writeResult<T extends DefinitionSetters>(m: T, d: ChaincodeDefinition): T {
  writeDefinition(m, d);
  if (d.collectionsBytes.length === 0) m.setCollections(new CollectionConfigPackage());
  return m;
}

/** Where an org's peers find the chaincode: a local package, or `unavailable` when `packageId` is ''. */
function chaincodeSource(packageId: string): ChaincodeSource {
  const source = new ChaincodeSource();
  if (packageId === '') {
    source.setUnavailable(new ChaincodeSource.Unavailable());
  } else {
    const local = new ChaincodeSource.Local();
    local.setPackageId(packageId);
    source.setLocalPackage(local);
  }
  return source;
}

/**
 * Fills a result's `references` map: channel → the chaincodes the package runs there. The two
 * query results declare their own, identical, `References` and `Chaincode` messages.
 */
function setReferences<C extends { setName(v: string): unknown; setVersion(v: string): unknown }, R extends { setChaincodesList(v: C[]): unknown }>(
  map: { set(key: string, value: R): unknown },
  byChannel: ReadonlyMap<string, readonly PackageReference[]> | undefined,
  References: new () => R,
  Chaincode: new () => C,
): void {
  for (const [channelId, chaincodes] of byChannel ?? []) {
    const refs = new References();
    refs.setChaincodesList(
      chaincodes.map((c) => {
        const m = new Chaincode();
        m.setName(c.name);
        m.setVersion(c.version);
        return m;
      }),
    );
    map.set(channelId, refs);
  }
}
