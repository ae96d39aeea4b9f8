import { WeftCommand } from '../../base-command';
import { networkDirArg, orgFlag } from '../../common-flags';
import { queryInstalled, type InstalledPackage } from '../../services/chaincode/lifecycle';
import { resolveOrg } from '../../services/chaincode/org-args';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeQueryInstalled extends WeftCommand {
  static override summary = 'List the chaincode packages installed on the peers of an org.';
  static override examples = ['<%= config.bin %> chaincode query-installed ./net --org Org1', '<%= config.bin %> chaincode query-installed ./net --json'];
  static override args = { dir: networkDirArg };
  static override flags = { org: orgFlag };

  async run(): Promise<{ peers: { id: string; installed: InstalledPackage[] }[] }> {
    const { args, flags } = await this.parse(ChaincodeQueryInstalled);
    const layout = openNetwork(args.dir);
    const peers = [];
    for (const peer of layout.peersOf(resolveOrg(layout, flags.org))) {
      const installed = await queryInstalled(layout, peer);
      peers.push({ id: peer.id, installed });
      this.log(`${peer.id}:${installed.length === 0 ? ' (none)' : ''}`);
      for (const p of installed) this.log(`  ${p.packageId}  label ${p.label}`);
    }
    return { peers };
  }
}
