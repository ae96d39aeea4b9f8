import {
  GetInstalledChaincodePackageArgs,
  GetInstalledChaincodePackageResult,
  InstallChaincodeArgs,
  InstallChaincodeResult,
  QueryInstalledChaincodeArgs,
  QueryInstalledChaincodeResult,
  QueryInstalledChaincodesResult,
} from '@hyperledger/fabric-protos/lib/peer/lifecycle/lifecycle_pb';
import type { ChaincodeResponse } from '../../chaincode/chaincode-runtime';
import { ChaincodeError } from '../../errors';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
import type { LocalPolicies } from '../scc/acl';
import { type SccInvocation, failure, success } from '../scc/system-chaincode';
import type { ChaincodeInstaller } from './chaincode-installer';
import { type PackageReference, packageReferences } from './lifecycle-state';

/**
 * `_lifecycle`'s functions on the packages installed on this peer (Fabric's install, query
 * installed, get package): local to the peer, bound to no channel, each for a local admin only.
 * `LifecycleScc` dispatches to them and words what they throw as Fabric's SCC does.
 */
export class LifecyclePackageFunctions {
  constructor(
    private readonly local: LocalPolicies,
    private readonly installer: ChaincodeInstaller,
    /** The channels this peer has joined: an installed package's `References` are where this org approved it. */
    private readonly channels: () => readonly Channel[],
  ) {}

  async install(inv: SccInvocation, input: Uint8Array): Promise<ChaincodeResponse> {
    this.local.checkAdmin(inv.proposal, '_lifecycle/InstallChaincode');
    const args = InstallChaincodeArgs.deserializeBinary(input);
    const installed = await this.installer.install(args.getChaincodeInstallPackage_asU8());
    const res = new InstallChaincodeResult();
    res.setPackageId(installed.packageId);
    res.setLabel(installed.label);
    return success(res.serializeBinary());
  }

  queryInstalled(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryInstalledChaincode');
    const id = QueryInstalledChaincodeArgs.deserializeBinary(input).getPackageId();
    const found = this.installer.list().find((c) => c.packageId === id);
    if (found === undefined) return failure(`failed to invoke backing implementation of 'QueryInstalledChaincode': could not load '${id}': chaincode install package '${id}' not found`);
    const res = new QueryInstalledChaincodeResult();
    res.setPackageId(found.packageId);
    res.setLabel(found.label);
    setReferences(res.getReferencesMap(), packageReferences(this.channels(), this.local.mspId, [found.packageId]).get(found.packageId), QueryInstalledChaincodeResult.References, QueryInstalledChaincodeResult.Chaincode);
    return success(res.serializeBinary());
  }

  queryAllInstalled(inv: SccInvocation): ChaincodeResponse {
    this.local.checkAdmin(inv.proposal, '_lifecycle/QueryInstalledChaincodes');
    const installed = this.installer.list();
    const references = packageReferences(
      this.channels(),
      this.local.mspId,
      installed.map((c) => c.packageId),
    );
    const res = new QueryInstalledChaincodesResult();
    res.setInstalledChaincodesList(
      installed.map((c) => {
        const ic = new QueryInstalledChaincodesResult.InstalledChaincode();
        ic.setPackageId(c.packageId);
        ic.setLabel(c.label);
        setReferences(ic.getReferencesMap(), references.get(c.packageId), QueryInstalledChaincodesResult.References, QueryInstalledChaincodesResult.Chaincode);
        return ic;
      }),
    );
    return success(res.serializeBinary());
  }

  getPackage(inv: SccInvocation, input: Uint8Array): ChaincodeResponse {
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
