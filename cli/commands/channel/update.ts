import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { joinStep, updateChannel, type ChannelUpdateResult } from '../../services/network/channel-update';
import { openNetwork } from '../../services/network/network-access';

export default class ChannelUpdate extends WeftCommand {
  static override summary = "Change a running channel's config: its batch settings, or (off the default channel) its member orgs.";
  static override description =
    "Fabric's configtxlator compute_update, peer channel signconfigtx and peer channel update in one step: fetches the channel's latest config, applies the change, " +
    'computes the config update, signs it as the Admins the changed elements need whose keys the directory holds (batch settings: the orderer org; members: a majority of the member orgs), ' +
    "submits it to an orderer, waits until this directory's peers hold the new config block, updates network.yaml, and joins the peers of an added org whose keys are here. " +
    "When another directory's Admins must sign too (weft network export), write the update with --output, sign it there with weft channel sign-update, and submit it with --from-file; run --from-file again in each other member directory to record there an update submitted elsewhere.";
  static override examples = [
    '<%= config.bin %> channel update ./net --batch-timeout 500ms --max-message-count 100',
    '<%= config.bin %> channel update ./net --channel audit --add-org Org2',
    '<%= config.bin %> channel update ./net --channel audit --remove-org Org3MSP',
    '<%= config.bin %> channel update ./net-org1 --channel audit --add-org Org3 --output audit-add-org3.pb',
    '<%= config.bin %> channel update ./net-org1 --channel audit --from-file audit-add-org3.pb',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    'batch-timeout': Flags.string({ description: 'Orderer BatchTimeout, a Go duration such as 2s or 250ms' }),
    'max-message-count': Flags.integer({ description: 'Orderer BatchSize.MaxMessageCount', min: 1 }),
    'absolute-max-bytes': Flags.integer({ description: 'Orderer BatchSize.AbsoluteMaxBytes', min: 1 }),
    'preferred-max-bytes': Flags.integer({ description: 'Orderer BatchSize.PreferredMaxBytes', min: 1 }),
    'add-org': Flags.string({ description: 'an org of this network to add to the channel (name, MSP ID or domain); repeatable', multiple: true }),
    'remove-org': Flags.string({ description: 'a member org to remove from the channel (name, MSP ID or domain); repeatable', multiple: true }),
    output: Flags.string({ char: 'o', description: 'write the (partly) signed ConfigUpdateEnvelope to this file instead of submitting it' }),
    'from-file': Flags.string({ char: 'f', description: 'submit the ConfigUpdateEnvelope in this file (written with --output, signed with weft channel sign-update)' }),
  };

  async run(): Promise<ChannelUpdateResult> {
    const { args, flags } = await this.parse(ChannelUpdate);
    const result = await updateChannel(
      args.dir,
      {
        channel: flags.channel,
        change: {
          batchTimeout: flags['batch-timeout'],
          maxMessageCount: flags['max-message-count'],
          absoluteMaxBytes: flags['absolute-max-bytes'],
          preferredMaxBytes: flags['preferred-max-bytes'],
          addOrgs: flags['add-org'],
          removeOrgs: flags['remove-org'],
        },
        output: flags.output,
        fromFile: flags['from-file'],
      },
      (m) => this.progress(m),
    );
    if (result.recorded === true) {
      this.log(`channel ${result.channel} has this update already (config block ${result.configBlock}): ${args.dir}'s network.yaml now says so`);
      return result;
    }
    if (!result.submitted) {
      this.log(`config update of ${result.channel} written to ${result.file} (signed by ${result.signedBy.join(', ') || 'nobody yet'})`);
      return result;
    }
    this.log(`channel ${result.channel} updated${result.configBlock === undefined ? '' : ` (config block ${result.configBlock})`}, signed by ${result.signedBy.join(', ')}`);
    if (result.waitingFor.length > 0) {
      this.log(`next, for ${result.waitingFor.join(', ')}: ${joinStep(openNetwork(args.dir), result.channel)}`);
    }
    return result;
  }
}
