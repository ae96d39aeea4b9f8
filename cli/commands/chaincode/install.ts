import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg, orgFlag, typeCheckFlag } from '../../common-flags';
import { resolveOrg } from '../../services/chaincode/org-args';
import { install } from '../../services/chaincode/lifecycle';
import { loadOrBuildPackage } from '../../services/chaincode/package-project';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeInstall extends WeftCommand {
  static override summary = "Install a chaincode package on the peers of an org, as the org's Admin.";
  static override examples = [
    '<%= config.bin %> chaincode install ./net basic_1.0.tar.gz --org Org1',
    '<%= config.bin %> chaincode install ./net ./my-assets --label assets_1.0 --org Org2 --json',
  ];
  static override args = { dir: networkDirArg, source: Args.string({ description: 'package file, or a project folder to package', required: true }) };
  static override flags = {
    org: orgFlag,
    label: Flags.string({ description: 'label when packaging a project folder', default: 'chaincode_1.0' }),
    'type-check': typeCheckFlag,
  };

  async run(): Promise<{ packageId: string; peers: { id: string; alreadyInstalled: boolean }[] }> {
    const { args, flags } = await this.parse(ChaincodeInstall);
    const layout = openNetwork(args.dir);
    const org = resolveOrg(layout, flags.org);
    const pkg = await loadOrBuildPackage(args.source, flags.label, { typeCheck: flags['type-check'] });
    pkg.warnings.forEach((w) => this.warning(w));
    const peers = [];
    for (const peer of layout.peersOf(org)) {
      const r = await install(layout, peer, pkg.bytes, pkg.packageId);
      peers.push({ id: peer.id, alreadyInstalled: r.alreadyInstalled });
      this.log(`${peer.id}: ${r.alreadyInstalled ? 'already installed' : 'installed'} ${pkg.packageId}`);
    }
    return { packageId: pkg.packageId, peers };
  }
}
