import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg } from '../../common-flags';
import { changeLine } from '../../services/network/channel-config-diff';
import { parseConfigOpFlags } from '../../services/network/channel-config-flags';
import { joinStep, updateChannel, type ChannelUpdateResult } from '../../services/network/channel-update';
import { openNetwork } from '../../services/network/network-access';

export default class ChannelUpdate extends WeftCommand {
  static override summary =
    "Change a running channel's config: batch settings, policies, ACLs, capabilities, anchor peers, orderer endpoints, or (off the default channel) its member orgs.";
  static override description =
    "Fabric's configtxlator compute_update, peer channel signconfigtx and peer channel update in one step: fetches the channel's latest config, applies the change, " +
    'computes the config update, signs it as the Admins the changed elements need whose keys the directory holds (batch settings: the orderer org; members: a majority of the member orgs), ' +
    'Each change is checked against the config first (a policy path that exists, or with --add-policy a new one in a group that exists and not a near-miss of an existing name; --remove-policy only for a policy no ACL, mod_policy, ImplicitMeta rule or committed chaincode definition names; a rule in Fabric\'s DSL over the channel\'s MSPs, an ACL resource Fabric knows, a capability this build supports, host:port addresses), and printed as path: before → after with the policy it needs; --dry-run stops there. ' +
    "submits it to an orderer, waits until this directory's peers hold the new config block, updates network.yaml, and joins the peers of an added org whose keys are here. " +
    "When another directory's Admins must sign too (weft network export), write the update with --output, sign it there with weft channel sign-update, and submit it with --from-file; run --from-file again in each other member directory to record there an update submitted elsewhere.";
  static override examples = [
    '<%= config.bin %> channel update ./net --batch-timeout 500ms --max-message-count 100',
    '<%= config.bin %> channel update ./net --channel audit --add-org Org2',
    '<%= config.bin %> channel update ./net --policy Application/Endorsement="ANY Endorsement" --dry-run',
    '<%= config.bin %> channel update ./net --policy "Application/LifecycleEndorsement=OR(\'Org1MSP.peer\',\'Org2MSP.peer\')"',
    '<%= config.bin %> channel update ./net --add-policy "Application/Org1Only=OR(\'Org1MSP.member\')" --acl qscc/GetTransactionByID=/Channel/Application/Org1Only',
    '<%= config.bin %> channel update ./net --acl qscc/GetTransactionByID= --remove-policy Application/Org1Only',
    '<%= config.bin %> channel update ./net --acl qscc/GetTransactionByID=/Channel/Application/Writers --acl event/Block=',
    '<%= config.bin %> channel update ./net --capability application=V2_5',
    '<%= config.bin %> channel update ./net --anchor-peer Org1=peer0.org1.example.com:7051',
    '<%= config.bin %> channel update ./net --orderer-endpoint OrdererMSP=orderer.example.com:7050,orderer2.example.com:7050',
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
    policy: Flags.string({ description: 'set a policy: <path>=<rule>, path like Application/Endorsement or Application/Org1MSP/Writers, rule "ANY|ALL|MAJORITY <SubPolicy>" or a signature policy such as OR(\'Org1MSP.peer\'); repeatable', multiple: true }),
    'add-policy': Flags.string({
      description: "add a policy to a group the config has: <path>=<rule>, e.g. Application/Org1Only=\"OR('Org1MSP.member')\" (version 0, mod_policy Admins; the group's mod_policy signs); repeatable",
      multiple: true,
    }),
    'remove-policy': Flags.string({
      description: 'remove a policy nothing refers to (no ACL, mod_policy, ImplicitMeta rule or committed chaincode definition; not a standard one such as Admins): <path>; repeatable',
      multiple: true,
    }),
    acl: Flags.string({ description: 'bind an ACL resource to a policy: <resource>=/Channel/Application/<Policy>; <resource>= removes the entry; repeatable', multiple: true }),
    capability: Flags.string({ description: 'raise a capability: channel=V3_0, orderer=V2_0 or application=V2_5; repeatable (one per level)', multiple: true }),
    'anchor-peer': Flags.string({ description: "set an org's anchor peers: <org>=<host:port>, repeat for several; <org>= clears them", multiple: true }),
    'orderer-endpoint': Flags.string({ description: "set an orderer org's endpoints: <ordererOrg>=<host:port>[,<host:port>...]; repeatable", multiple: true }),
    'dry-run': Flags.boolean({ description: 'print each change as path: before → after and the signatures it needs, then stop: nothing is signed or sent' }),
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
          ...parseConfigOpFlags({
            policy: flags.policy,
            addPolicy: flags['add-policy'],
            removePolicy: flags['remove-policy'],
            acl: flags.acl,
            capability: flags.capability,
            anchorPeer: flags['anchor-peer'],
            ordererEndpoint: flags['orderer-endpoint'],
          }),
        },
        dryRun: flags['dry-run'],
        output: flags.output,
        fromFile: flags['from-file'],
      },
      (m) => this.progress(m),
    );
    if (result.dryRun === true) {
      for (const change of result.changes) this.log(changeLine(change));
      for (const warning of result.warnings) this.log(`warning: ${warning}`);
      this.log(`dry run: channel ${result.channel} not changed; nothing signed or sent`);
      return result;
    }
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
