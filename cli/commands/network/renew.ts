import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { renewMember, type RenewResult } from '../../services/network/network-renew';

export default class NetworkRenew extends WeftCommand {
  static override summary = "Re-issue a node's or user's enrollment and TLS certificates from its org's CAs (fabric-ca-client reenroll), with new keys.";
  static override description =
    'Issues new certificates with the same subject (NodeOU role) and TLS names, and new keys (0600), into a staging copy of the identity\'s folder, then swaps it in; ' +
    'the replaced folder, old keys included, is kept under <dir>/backups/renew-<time>/. The channels need no config update: they trust the org\'s CAs. ' +
    'A running node keeps its old certificates until restarted: --restart restarts it if it runs here. ' +
    "Needs the org's CA keys, which only the directory weft network init made holds (CA_KEY_NOT_HERE in a directory from weft network export); " +
    'a certificate from another CA (fabric-ca) is renewed by that CA. See when certificates expire with weft network status.';
  static override examples = [
    '<%= config.bin %> network renew ./net --node peer0.org1.example.com --restart',
    '<%= config.bin %> network renew ./net --org Org1 --user User1',
    '<%= config.bin %> network renew ./net --org OrdererOrg --user Admin --days 365 --json',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    org: Flags.string({ description: "the identity's org (name, MSP ID or domain); for --user, the org with keys here by default" }),
    node: Flags.string({ description: 'the node to renew, e.g. peer0.org1.example.com', exclusive: ['user'] }),
    user: Flags.string({ description: 'the user to renew, e.g. User1 or Admin', exclusive: ['node'] }),
    days: Flags.integer({ description: "validity of the new certificates in days (default: ten years, as weft network init), at most the CA's own", min: 1 }),
    restart: Flags.boolean({ description: 'restart the node if it runs on this machine, so that it serves with the new certificates', default: false }),
  };

  async run(): Promise<RenewResult> {
    const { args, flags } = await this.parse(NetworkRenew);
    const result = await renewMember(args.dir, { org: flags.org, node: flags.node, user: flags.user, days: flags.days, restart: flags.restart }, (m) => this.progress(m));
    this.log(`${result.id} (${result.mspId}) renewed, serial ${result.enrollment.serialNumber}, valid until ${result.enrollment.notAfter}: ${result.enrollment.path}`);
    if (result.restarted) this.log(`${result.id} restarted with its new certificates`);
    if (result.restartNeeded) this.log(`next: weft network down ${args.dir} --node ${result.id} && weft network up ${args.dir} --node ${result.id}`);
    return result;
  }
}
