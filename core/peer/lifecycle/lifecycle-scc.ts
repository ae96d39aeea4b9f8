import {
  ApproveChaincodeDefinitionForMyOrgArgs,
  ApproveChaincodeDefinitionForMyOrgResult,
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
  QueryChaincodeDefinitionArgs,
  QueryChaincodeDefinitionResult,
  QueryChaincodeDefinitionsResult,
  QueryInstalledChaincodeArgs,
  QueryInstalledChaincodeResult,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeResponse } from '../../chaincode/chaincode-runtime';
import type { TxSimulator } from '../../ledger/tx-simulator';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import { checkChannelPolicy, checkLocalAdmin } from '../scc/acl';
import { type SccInvocation, type SystemChaincode, argString, failure, success } from '../scc/system-chaincode';
import type { ChaincodeInstaller } from './chaincode-installer';
import {
  type ChaincodeDefinition,
  LIFECYCLE_NAMESPACE,
  approvalKey,
  defaultValidationParameter,
  definitionOf,
  definitionKey,
  encodeDefinition,
  readApproval,
  readDefinition,
  sameDefinition,
  writeDefinition,
} from './lifecycle-state';

/**
 * Fabric 2.x's `_lifecycle` system chaincode: install and query packages on this peer, approve a
 * definition for this peer's org, check commit readiness, commit (endorsed under the channel's
 * `LifecycleEndorsement`), query committed definitions. Arguments and results are Fabric's
 * `peer/lifecycle` messages, so Fabric's `peer lifecycle chaincode …` tooling can drive it.
 */
export class LifecycleScc implements SystemChaincode {
  readonly name = LIFECYCLE_NAMESPACE;

  constructor(
    private readonly localMspId: string,
    private readonly installer: ChaincodeInstaller,
  ) {}

  async invoke(inv: SccInvocation): Promise<ChaincodeResponse> {
    const fn = argString(inv.args, 0);
    const input = inv.args[1] ?? new Uint8Array(0);
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
        case 'QueryChaincodeDefinition':
          return this.queryDefinition(inv, input);
        case 'QueryChaincodeDefinitions':
          return this.queryDefinitions(inv);
        default:
          return failure(`failed to invoke backing implementation of '${fn}': unknown function`);
      }
    } catch (err) {
      return failure(`failed to invoke backing implementation of '${fn}': ${(err as Error).message}`);
    }
  }

  private async install(inv: SccInvocation, input: Uint8Array): Promise<ChaincodeResponse> {
    checkLocalAdmin(inv.creator, this.localMspId, '_lifecycle/InstallChaincode');
    const args = InstallChaincodeArgs.deserializeBinary(input);
    const installed = await this.installer.install(args.getChaincodeInstallPackage_asU8());
    const res = new InstallChaincodeResult();
    res.setPackageId(installed.packageId);
    res.setLabel(installed.label);
    return success(res.serializeBinary());
  }

  private queryInstalled(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    checkLocalAdmin(inv.creator, this.localMspId, '_lifecycle/QueryInstalledChaincode');
    const id = QueryInstalledChaincodeArgs.deserializeBinary(input).getPackageId();
    const found = this.installer.list().find((c) => c.packageId === id);
    if (found === undefined) return failure(`failed to invoke backing implementation of 'QueryInstalledChaincode': could not load '${id}': chaincode install package '${id}' not found`);
    const res = new QueryInstalledChaincodeResult();
    res.setPackageId(found.packageId);
    res.setLabel(found.label);
    return success(res.serializeBinary());
  }

  private queryAllInstalled(inv: SccInvocation): ChaincodeResponse {
    checkLocalAdmin(inv.creator, this.localMspId, '_lifecycle/QueryInstalledChaincodes');
    const res = new QueryInstalledChaincodesResult();
    res.setInstalledChaincodesList(
      this.installer.list().map((c) => {
        const ic = new QueryInstalledChaincodesResult.InstalledChaincode();
        ic.setPackageId(c.packageId);
        ic.setLabel(c.label);
        return ic;
      }),
    );
    return success(res.serializeBinary());
  }

  private getPackage(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    checkLocalAdmin(inv.creator, this.localMspId, '_lifecycle/GetInstalledChaincodePackage');
    const id = GetInstalledChaincodePackageArgs.deserializeBinary(input).getPackageId();
    const res = new GetInstalledChaincodePackageResult();
    res.setChaincodeInstallPackage(this.installer.load(id));
    return success(res.serializeBinary());
  }

  private approve(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { sim } = this.onChannel(inv, '/Channel/Application/Writers', 'ApproveChaincodeDefinitionForMyOrg');
    if (inv.creator.mspId !== this.localMspId) {
      throw new PeerError('PEER_ACCESS_DENIED', `an approval for ${this.localMspId} must be submitted by a member of ${this.localMspId}, not ${inv.creator.mspId}`, {});
    }
    const args = ApproveChaincodeDefinitionForMyOrgArgs.deserializeBinary(input);
    const def = normalized(definitionOf(args));
    checkName(def.name);
    const current = readDefinition(sim, def.name);
    const currentSeq = current?.sequence ?? 0;
    if (def.sequence === currentSeq && current !== undefined) {
      if (!sameDefinition(current, def)) {
        throw new PeerError('PEER_LIFECYCLE', `attempted to redefine the current committed sequence (${currentSeq}) for namespace ${def.name} with different parameters`, {});
      }
    } else if (def.sequence !== currentSeq + 1) {
      throw new PeerError('PEER_LIFECYCLE', `requested sequence is ${def.sequence}, but new definition must be sequence ${currentSeq + 1}`, {});
    }
    const stored = writeDefinition(new ApproveChaincodeDefinitionForMyOrgArgs(), def);
    const source = args.getSource();
    if (source !== undefined) stored.setSource(source);
    sim.setState(LIFECYCLE_NAMESPACE, approvalKey(this.localMspId, def.name, def.sequence), stored.serializeBinary());
    return success(new ApproveChaincodeDefinitionForMyOrgResult().serializeBinary());
  }

  private approvals(channel: Channel, sim: TxSimulator, def: ChaincodeDefinition): Map<string, boolean> {
    const out = new Map<string, boolean>();
    for (const org of channel.resources().config.applicationOrgs) {
      const a = readApproval(sim, org.mspId, def.name, def.sequence);
      out.set(org.mspId, a !== undefined && sameDefinition(a.definition, def));
    }
    return out;
  }

  private checkReadiness(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, '/Channel/Application/Writers', 'CheckCommitReadiness');
    const def = normalized(definitionOf(CheckCommitReadinessArgs.deserializeBinary(input)));
    this.checkNextSequence(sim, def);
    const res = new CheckCommitReadinessResult();
    const map = res.getApprovalsMap();
    for (const [org, ok] of this.approvals(channel, sim, def)) map.set(org, ok);
    return success(res.serializeBinary());
  }

  private commit(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, '/Channel/Application/Writers', 'CommitChaincodeDefinition');
    const def = normalized(definitionOf(CommitChaincodeDefinitionArgs.deserializeBinary(input)));
    checkName(def.name);
    this.checkNextSequence(sim, def);
    const approvals = this.approvals(channel, sim, def);
    if (approvals.get(this.localMspId) !== true) {
      throw new PeerError('PEER_LIFECYCLE', `chaincode definition not agreed to by this org (${this.localMspId})`, {});
    }
    const agreed = [...approvals.values()].filter(Boolean).length;
    if (agreed * 2 <= approvals.size) {
      const missing = [...approvals].filter(([, ok]) => !ok).map(([org]) => org);
      throw new PeerError('PEER_LIFECYCLE', `chaincode definition not agreed to by a majority of orgs: missing approvals from [${missing.join(', ')}]`, {});
    }
    sim.setState(LIFECYCLE_NAMESPACE, definitionKey(def.name), encodeDefinition(def));
    return success(new CommitChaincodeDefinitionResult().serializeBinary());
  }

  private queryApproved(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { sim } = this.onChannel(inv, '/Channel/Application/Readers', 'QueryApprovedChaincodeDefinition');
    const a = QueryApprovedChaincodeDefinitionArgs.deserializeBinary(input);
    let seq = a.getSequence();
    if (seq === 0) seq = (readDefinition(sim, a.getName())?.sequence ?? 0) + 1;
    const approval = readApproval(sim, this.localMspId, a.getName(), seq) ?? readApproval(sim, this.localMspId, a.getName(), seq - 1);
    if (approval === undefined) return failure(`failed to invoke backing implementation of 'QueryApprovedChaincodeDefinition': could not fetch approved chaincode definition (name: '${a.getName()}', sequence: '${a.getSequence()}') on channel '${inv.proposal.channelId}'`);
    const d = approval.definition;
    return success(writeDefinition(new QueryApprovedChaincodeDefinitionResult(), d).serializeBinary());
  }

  private queryDefinition(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    const { channel, sim } = this.onChannel(inv, '/Channel/Application/Readers', 'QueryChaincodeDefinition');
    const name = QueryChaincodeDefinitionArgs.deserializeBinary(input).getName();
    const d = readDefinition(sim, name);
    if (d === undefined) return failure(`namespace ${name} is not defined`, 404);
    const res = writeDefinition(new QueryChaincodeDefinitionResult(), d);
    const map = res.getApprovalsMap();
    for (const [org, ok] of this.approvals(channel, sim, d)) map.set(org, ok);
    return success(res.serializeBinary());
  }

  private queryDefinitions(inv: SccInvocation): ChaincodeResponse {
    const { sim } = this.onChannel(inv, '/Channel/Application/Readers', 'QueryChaincodeDefinitions');
    const res = new QueryChaincodeDefinitionsResult();
    const defs: QueryChaincodeDefinitionsResult.ChaincodeDefinition[] = [];
    for (const kv of sim.getStateRange(LIFECYCLE_NAMESPACE, 'namespaces/fields/', 'namespaces/fields0')) {
      const m = /^namespaces\/fields\/(.+)\/Definition$/.exec(kv.key);
      if (m === null) continue;
      const d = readDefinition(sim, m[1]);
      if (d === undefined) continue;
      defs.push(writeDefinition(new QueryChaincodeDefinitionsResult.ChaincodeDefinition(), d));
    }
    res.setChaincodeDefinitionsList(defs);
    return success(res.serializeBinary());
  }

  private checkNextSequence(sim: TxSimulator, def: ChaincodeDefinition): void {
    const currentSeq = readDefinition(sim, def.name)?.sequence ?? 0;
    if (def.sequence !== currentSeq + 1) {
      throw new PeerError('PEER_LIFECYCLE', `requested sequence is ${def.sequence}, but new definition must be sequence ${currentSeq + 1}`, {});
    }
  }

  private onChannel(inv: SccInvocation, policy: string, fn: string): { channel: Channel; sim: TxSimulator } {
    if (inv.channel === undefined || inv.simulator === undefined) {
      throw new PeerError('PEER_LIFECYCLE', `${fn} must be invoked on a channel`, {});
    }
    checkChannelPolicy(inv.channel, policy, inv.proposal, `_lifecycle/${fn}`);
    return { channel: inv.channel, sim: inv.simulator };
  }
}

/** Fabric's defaults: `escc`, `vscc` and the channel's `/Channel/Application/Endorsement` policy. */
function normalized(d: ChaincodeDefinition): ChaincodeDefinition {
  return {
    ...d,
    endorsementPlugin: d.endorsementPlugin || 'escc',
    validationPlugin: d.validationPlugin || 'vscc',
    validationParameter: d.validationParameter.length > 0 ? d.validationParameter : defaultValidationParameter(),
  };
}

const NAME = /^[a-zA-Z0-9]+([-_][a-zA-Z0-9]+)*$/;

function checkName(name: string): void {
  if (!NAME.test(name) || name.startsWith('_')) {
    throw new PeerError('PEER_LIFECYCLE', `invalid chaincode name '${name}'. Names must start with a letter or number, and can only consist of letters, numbers, underscores and hyphens`, {
      name,
    });
  }
}
