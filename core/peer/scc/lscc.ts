import { ChaincodeQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import type { Channel } from '../channel/channel';
import { type LocalPolicies, channelPolicyDenial } from './acl';
import { type SccInvocation, type SystemChaincode, argString, failure, success } from './system-chaincode';

/** Fabric's `privdata.IsCollectionConfigKey`: lscc keeps a chaincode's collections under `<name>~collection`. */
const COLLECTION_SUFFIX = '~collection';

/** A channel whose state holds Fabric 1.x chaincodes, which a Weft peer neither validates nor runs. */
const LEGACY = 'this channel holds Fabric 1.x (lscc) chaincodes, which Weft peers do not run; use the 2.x lifecycle (_lifecycle)';

/** The lookups that name a chaincode, and the ACL resource guarding each (Fabric's `resources.Lscc_*`). */
const LOOKUPS: Record<string, string> = {
  getid: 'lscc/ChaincodeExists',
  ChaincodeExists: 'lscc/ChaincodeExists',
  getdepspec: 'lscc/GetDeploymentSpec',
  GetDeploymentSpec: 'lscc/GetDeploymentSpec',
  getccdata: 'lscc/GetChaincodeData',
  GetChaincodeData: 'lscc/GetChaincodeData',
};

/**
 * Fabric 2.x's `lscc` as a peer whose channels all use the new lifecycle sees it: read-only
 * (`core/scc/lscc/lscc.go`). Fabric 1.x kept its chaincodes in the `lscc` namespace, which
 * `_lifecycle` never writes, so on a Weft channel its lists are empty and its lookups find nothing,
 * in Fabric's words; Fabric's `peer chaincode list --installed` / `--instantiated` call it. Deploy and
 * upgrade are refused as on a V2_0 channel; installing a Fabric 1.x package is not supported.
 */
export class Lscc implements SystemChaincode {
  readonly name = 'lscc';

  constructor(
    private readonly local: LocalPolicies,
    private readonly channels: (channelId: string) => Channel | undefined,
  ) {}

  invoke(inv: SccInvocation): Promise<ReturnType<typeof success>> {
    return Promise.resolve(this.invokeSync(inv));
  }

  invokeSync(inv: SccInvocation): ReturnType<typeof success> {
    const args = inv.args;
    if (args.length < 1) return failure(argCount(args.length));
    const fn = argString(args, 0);
    try {
      return this.dispatch(inv, fn);
    } catch (err) {
      return failure((err as Error).message);
    }
  }

  private dispatch(inv: SccInvocation, fn: string): ReturnType<typeof success> {
    const args = inv.args;
    switch (fn) {
      case 'install':
        if (args.length < 2) return failure(argCount(args.length));
        this.local.checkAdmin(inv.proposal, 'lscc/Install');
        return failure('invalid deployment spec: Fabric 1.x chaincode packages (lscc install) are not supported by Weft peers; install with the 2.x lifecycle (peer lifecycle chaincode install)');
      case 'deploy':
      case 'upgrade': {
        if (args.length < 3) return failure(argCount(args.length));
        const channelId = argString(args, 1);
        if (channelId === '') return failure(`invalid channel name: ${channelId}`);
        return failure(`Channel '${channelId}' has been migrated to the new lifecycle, LSCC is now read-only`);
      }
      case 'getchaincodes':
      case 'GetChaincodes':
        if (args.length !== 1) return failure(argCount(args.length));
        return this.instantiated(inv, fn);
      case 'getinstalledchaincodes':
      case 'GetInstalledChaincodes':
        if (args.length !== 1) return failure(argCount(args.length));
        this.local.checkAdmin(inv.proposal, 'lscc/GetInstalledChaincodes');
        // Only Fabric 1.x packages count here, and a Weft peer holds none.
        return success(new ChaincodeQueryResponse().serializeBinary());
      case 'GetCollectionsConfig':
      case 'getcollectionsconfig': {
        if (args.length !== 2) return failure(argCount(args.length));
        const name = argString(args, 1);
        const denied = this.channelAcl(inv, 'lscc/GetCollectionsConfig', inv.channel?.id ?? '', `access denied for [${fn}]: `);
        if (denied !== undefined) return denied;
        if (inv.simulator?.getState(this.name, name + COLLECTION_SUFFIX) === undefined) return failure(`collections config not defined for chaincode ${name}`);
        return failure(LEGACY);
      }
    }
    const resource = LOOKUPS[fn];
    if (resource === undefined) return failure(`invalid function to lscc: ${fn}`);
    if (args.length !== 3) return failure(argCount(args.length));
    // The ACL is checked on the channel the arguments name; the state read is the proposal's channel's.
    const channelId = argString(args, 1);
    const name = argString(args, 2);
    const denied = this.channelAcl(inv, resource, channelId, `access denied for [${fn}][${channelId}]: `);
    if (denied !== undefined) return denied;
    // Read as Fabric reads it (recorded in the read set); only Fabric 1.x's lifecycle writes there.
    if (inv.simulator?.getState(this.name, name) === undefined) return failure(`could not find chaincode with name '${name}'`);
    return failure(LEGACY);
  }

  /** Fabric's `getChaincodes`: the chaincodes lscc state names, which on a Weft channel are none. */
  private instantiated(inv: SccInvocation, fn: string): ReturnType<typeof success> {
    const channelId = inv.channel?.id ?? '';
    const denied = this.channelAcl(inv, 'lscc/GetInstantiatedChaincodes', channelId, `access denied for [${fn}][${channelId}]: `);
    if (denied !== undefined) return denied;
    for (const kv of inv.simulator?.getStateRange(this.name, '', '') ?? []) {
      if (!kv.key.includes(COLLECTION_SUFFIX)) return failure(LEGACY);
    }
    return success(new ChaincodeQueryResponse().serializeBinary());
  }

  /**
   * The channel ACL of `resource` on `channelId` (default `/Channel/Application/Readers`), refused
   * with `prefix` as Fabric's lscc words it; a channel this peer lacks fails as Fabric's policy
   * checker fails it.
   */
  private channelAcl(inv: SccInvocation, resource: string, channelId: string, prefix: string): ReturnType<typeof failure> | undefined {
    const channel = this.channels(channelId);
    if (channel === undefined) return failure(`${prefix}Failed to get policy manager for channel [${channelId}]`);
    const denial = channelPolicyDenial(channel, '/Channel/Application/Readers', inv.proposal, resource);
    return denial === undefined ? undefined : failure(`${prefix}${denial.reason}`);
  }
}

function argCount(n: number): string {
  return `invalid number of arguments to lscc: ${n}`;
}
