import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { exportNetwork, type ExportResult } from '../../services/network/network-export';

export default class NetworkExport extends WeftCommand {
  static override summary = "Copy a network directory for some orgs' hosts: their keys only, every org's certificates.";
  static override description =
    "Writes <out> with network.yaml, the channels' genesis blocks, every org's certificates and the private keys and node configs of the orgs --org names (peer orgs or the orderer org; by name, MSP ID or domain), and no CA key. Copy it to those orgs' hosts and run `weft network up` there: it starts the nodes whose keys it holds, and every command acts as those orgs only. The directory `weft network init` made keeps every key; keep it offline. " +
    'With --public instead of --org it holds no key and no node config: hand it to a new org, which completes its own directory from it with weft network join.';
  static override examples = [
    '<%= config.bin %> network export ./net ./net-org1 --org Org1MSP --org OrdererMSP',
    '<%= config.bin %> network export ./net ./net-org2 --org Org2',
    '<%= config.bin %> network export ./org1 ./for-org3 --public',
  ];
  static override args = {
    dir: Args.string({ description: 'network directory (made by weft network init)', required: true }),
    out: Args.string({ description: 'directory to write (absent or empty)', required: true }),
  };
  static override flags = {
    org: Flags.string({ description: 'an org whose keys the copy takes (repeatable)', multiple: true, exactlyOne: ['org', 'public'] }),
    public: Flags.boolean({ description: "certificates only, no key and no node config: what a new org joins from (weft network join <its dir> --from <out>)", exactlyOne: ['org', 'public'] }),
  };

  async run(): Promise<ExportResult> {
    const { args, flags } = await this.parse(NetworkExport);
    const result = exportNetwork(args.dir, args.out, flags.org ?? [], (m) => this.progress(m), { publicOnly: flags.public });
    if (flags.public) {
      this.log(`exported the network's certificates to ${result.dir}: no private key (${result.keysLeftOut} left out), no node config`);
      this.log(`next: hand it to the new org, which runs: weft network join <its dir> --from <this copy>`);
      return result;
    }
    this.log(`exported ${result.orgs.join(', ')} to ${result.dir}: ${result.keysCopied} private keys, ${result.keysLeftOut} left out (other orgs' and the CAs')`);
    this.log(`  nodes to run from it: ${result.nodes.length > 0 ? result.nodes.join(', ') : 'none (a client-only directory)'}`);
    this.log(`next: copy it to the orgs' hosts, then there: weft network up <dir>`);
    return result;
  }
}
