import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { signUpdateFile, type SignUpdateResult } from '../../services/network/channel-update-sign';

export default class ChannelSignUpdate extends WeftCommand {
  static override summary = "Add an org Admin's signature to a channel config update file (like peer channel signconfigtx).";
  static override description =
    'Signs the ConfigUpdateEnvelope that weft channel update --output wrote, as the Admin of --org (a peer org or the orderer org) whose key this directory holds, ' +
    'and writes it back. Hand the file on to the next Admin, or submit it with weft channel update --from-file.';
  static override examples = ['<%= config.bin %> channel sign-update ./net-org2 audit-add-org3.pb --org Org2'];
  static override args = { dir: networkDirArg, file: Args.string({ description: 'the config update file (weft channel update --output)', required: true }) };
  static override flags = { org: Flags.string({ description: 'the org whose Admin signs (name, MSP ID or domain)', required: true }) };

  async run(): Promise<SignUpdateResult> {
    const { args, flags } = await this.parse(ChannelSignUpdate);
    const result = signUpdateFile(args.dir, args.file, flags.org);
    this.log(
      result.added
        ? `signed ${result.file} as the Admin of ${result.org}; it carries the signatures of ${result.signedBy.join(', ')}`
        : `${result.file} already carries ${result.org}'s signature (signed by ${result.signedBy.join(', ')})`,
    );
    return result;
  }
}
