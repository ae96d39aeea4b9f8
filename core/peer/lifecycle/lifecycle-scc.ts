import { CollectionConfigPackage } from '@hyperledger/fabric-protos/lib/peer/collection_pb';
import {
  ApproveChaincodeDefinitionForMyOrgResult,
  ChaincodeSource,
  CheckCommitReadinessArgs,
  CheckCommitReadinessResult,
  CommitChaincodeDefinitionArgs,
  CommitChaincodeDefinitionResult,
  QueryApprovedChaincodeDefinitionArgs,
  QueryApprovedChaincodeDefinitionResult,
  QueryApprovedChaincodeDefinitionsResult,
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeResponse } from '../../chaincode/chaincode-runtime';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { type LocalPolicies, checkChannelPolicy } from '../scc/acl';
import { type SccInvocation, type SystemChaincode, argString, failure, success } from '../scc/system-chaincode';
import type { ChaincodeInstaller } from './chaincode-installer';
import { LifecyclePackageFunctions } from './lifecycle-package-functions';
import { decodeApproveArgs, decodeCheckCommitReadinessArgs, decodeCommitArgs, encodeWithCollections } from './definition-wire';
import { lenField, message } from '../../protocol/wire-writer';
import { checkApprovalChange, checkApprovalSequence, checkNextSequence, validateDefinitionInput, withDefaults } from './lifecycle-rules';
import {
  NAMESPACES,
  approvalMismatches,
  committedReader,
  opaqueOrgState,
  readAllApprovals,
  readApproval as readApprovalFrom,
  simOrgState,
  simPublicState,
  writeApproval,
  writeCommitted,
} from './lifecycle-layout';
import {
  type ChaincodeDefinition,
  type DefinitionSetters,
  LIFECYCLE_NAMESPACE,
  currentSequence,
  definitionOf,
  definedNames,
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

  /** The functions on this peer's installed packages. */
  private readonly packages: LifecyclePackageFunctions;

  constructor(
    private readonly local: LocalPolicies,
    installer: ChaincodeInstaller,
    /** The channels this peer has joined: an installed package's `References` are where this org approved it. */
    channels: () => readonly Channel[],
  ) {
    this.packages = new LifecyclePackageFunctions(local, installer, channels);
  }

  async invoke(inv: SccInvocation): Promise<ChaincodeResponse> {
    if (inv.args.length === 2 && argString(inv.args, 0) === 'InstallChaincode') {
      return this.dispatch('InstallChaincode', () => this.packages.install(inv, inv.args[1] as Uint8Array));
    }
    return this.invokeSync(inv);
  }

  /**
   * Every function but `InstallChaincode`, answered synchronously: Fabric lets chaincode call
   * `_lifecycle` (it checks no caller), and a call from chaincode waits inside the caller's sandbox,
   * recording into the caller's simulator. Installing writes files, so it is refused from chaincode
   * after the ACL check a proposal for it gets.
   */
  invokeSync(inv: SccInvocation): ChaincodeResponse {
    // Fabric's SCC.Invoke: a function name and one serialized argument message, exactly.
    if (inv.args.length === 0) return failure('lifecycle scc must be invoked with arguments');
    if (inv.args.length !== 2) return failure(`lifecycle scc operations require exactly two arguments but received ${inv.args.length}`);
    const fn = argString(inv.args, 0);
    const input = inv.args[1] as Uint8Array;
    return this.dispatch(fn, () => {
      switch (fn) {
        case 'InstallChaincode':
          this.local.checkAdmin(inv.proposal, '_lifecycle/InstallChaincode');
          throw new PeerError('PEER_C2C_SYSTEM_CHAINCODE', 'a chaincode cannot install chaincode on this peer', { function: fn });
        case 'QueryInstalledChaincode':
          return this.packages.queryInstalled(inv, input);
        case 'QueryInstalledChaincodes':
          return this.packages.queryAllInstalled(inv);
        case 'GetInstalledChaincodePackage':
          return this.packages.getPackage(inv, input);
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
    });
  }

  /** Runs one function, its failures worded as Fabric's SCC words them. */
  private dispatch<R extends ChaincodeResponse | Promise<ChaincodeResponse>>(fn: string, run: () => R): R | ChaincodeResponse {
    const fail = (err: unknown): ChaincodeResponse => {
      // Fabric checks the ACL before dispatching, and says so: clients tell a denial from a failure by it.
      if (err instanceof PeerError && err.code === 'PEER_ACCESS_DENIED') return failure(`${ACL_FAILED}${err.message}`);
      return failure(`failed to invoke backing implementation of '${fn}': ${(err as Error).message}`);
    };
    try {
      const out = run();
      return out instanceof Promise ? (out.catch(fail) as R) : out;
    } catch (err) {
      return fail(err);
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

  /**
   * Fabric's `ApproveChaincodeDefinitionForOrg`: the parameters and the package source written, as
   * Fabric's serializer writes them, into this org's implicit collection of `_lifecycle` (private
   * data: only this org's peers keep the values, every peer their hashes).
   */
  private approve(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/ApproveChaincodeDefinitionForMyOrg');
    const { channel, sim } = this.onChannel(inv, 'ApproveChaincodeDefinitionForMyOrg');
    const legacy = committedReader(channel.ledger);
    const args = decodeApproveArgs(input, 'ApproveChaincodeDefinitionForMyOrgArgs');
    const committed = committedForValidation(sim, channel, args.getName());
    validateDefinitionInput(args.getName(), args.getVersion(), args.getCollections(), channel, committed);
    checkApprovalSequence(args.getSequence(), currentSequence(sim, args.getName(), legacy));
    const def = withDefaults(definitionOf(args), channel);
    const packageId = args.getSource()?.getLocalPackage()?.getPackageId() ?? '';
    checkApprovalChange(def, packageId, committed, readApproval(sim, this.local.mspId, def.name, def.sequence));
    writeApproval(simOrgState(sim, this.local.mspId), def, packageId);
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
      const differs = approvalMismatches(opaqueOrgState(sim, org.mspId), def);
      approvals.set(org.mspId, differs.length === 0);
      if (differs.length > 0) mismatches.set(org.mspId, differs);
    }
    return { approvals, mismatches };
  }

  /**
   * Fabric's `CheckCommitReadiness`: the next sequence, defaults filled in, each org's approval
   * judged from the hashes of its implicit collection. Collections are compared, not validated
   * (Fabric validates them only at Approve and Commit).
   */
  private readiness(
    channel: Channel,
    sim: TxSimulator,
    args: CheckCommitReadinessArgs | CommitChaincodeDefinitionArgs,
  ): { def: ChaincodeDefinition; approvals: Map<string, boolean>; mismatches: Map<string, string[]> } {
    checkNextSequence(args.getSequence(), currentSequence(sim, args.getName(), committedReader(channel.ledger)));
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
    const committed = committedForValidation(sim, channel, args.getName());
    validateDefinitionInput(args.getName(), args.getVersion(), args.getCollections(), channel, committed);
    if (!channel.resources().config.applicationOrgs.some((o) => o.mspId === this.local.mspId)) {
      throw new PeerError('PEER_LIFECYCLE', "impossibly, this peer's org is processing requests for a channel it is not a member of", { mspId: this.local.mspId });
    }
    const { def, approvals } = this.readiness(channel, sim, args);
    if (approvals.get(this.local.mspId) !== true) {
      throw new PeerError('PEER_LIFECYCLE', `chaincode definition not agreed to by this org (${this.local.mspId})`, { mspId: this.local.mspId });
    }
    writeCommitted(simPublicState(sim), def);
    return success(new CommitChaincodeDefinitionResult().serializeBinary());
  }

  /**
   * Fabric's `QueryApprovedChaincodeDefinition`: sequence 0 means the committed sequence, or the
   * next one when this org has approved it; any other sequence is looked up as given.
   */
  private queryApproved(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryApprovedChaincodeDefinition');
    const { channel, sim } = this.onChannel(inv, 'QueryApprovedChaincodeDefinition');
    const a = QueryApprovedChaincodeDefinitionArgs.deserializeBinary(input);
    const name = a.getName();
    const own = simOrgState(sim, this.local.mspId);
    let seq = a.getSequence();
    if (seq === 0) {
      seq = currentSequence(sim, name, committedReader(channel.ledger));
      if (own.getState(`${NAMESPACES}/metadata/${name}#${seq + 1}`) !== undefined) seq += 1;
    }
    const approval = readApprovalFrom(own, name, seq);
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
    const approved = readAllApprovals(sim, this.local.mspId);
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
    const d = readDefinition(sim, name, committedReader(channel.ledger));
    if (d === undefined) return failure(`namespace ${name} is not defined`, 404);
    const res = writeResult(new QueryChaincodeDefinitionResult(), d);
    const map = res.getApprovalsMap();
    for (const [org, ok] of this.approvals(channel, sim, d).approvals) map.set(org, ok);
    return success(encodeWithCollections(res, 6));
  }

  private queryDefinitions(inv: SccInvocation): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, 'QueryChaincodeDefinitions', WRITERS);
    const res = new QueryChaincodeDefinitionsResult();
    for (const name of definedNames(sim)) {
      const d = readDefinition(sim, name, committedReader(channel.ledger));
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

/** The namespace of Fabric v1.x's lifecycle, `lscc`, where Fabric looks for a chaincode `_lifecycle` does not define. */
const LSCC = 'lscc';

/**
 * The committed definition Approve and Commit validate against, read as Fabric's `validateInput`
 * reads it: through the transaction (`ChaincodeInfo`), and for a chaincode `_lifecycle` does not
 * define, from legacy `lscc` state too. A Weft peer has no `lscc` state, but records that read, so
 * its read set is the one a Fabric peer produces.
 */
function committedForValidation(sim: TxSimulator, channel: Channel, name: string): ChaincodeDefinition | undefined {
  const committed = readDefinition(sim, name, committedReader(channel.ledger));
  if (committed === undefined) sim.getState(LSCC, name);
  return committed;
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
