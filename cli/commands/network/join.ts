import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { hsmKeyOptions } from '../../common-flags';
import { joinNetwork, type JoinResult } from '../../services/network/network-join';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkJoin extends WeftCommand {
  static override summary = "Complete a new org's directory (weft network new-org) from a member's certificates-only export, so weft network up starts and joins its peers.";
  static override description =
    "Takes from --from (a member's network directory, best one exported with weft network export <dir> <out> --public) network.yaml, the orderer org's and the other orgs' certificates and the channels' genesis blocks, never a private key, " +
    "adds the new org (as its org-definition.json says) where network.yaml does not list it yet, and writes its peers' configs. Its own keys are untouched. " +
    'Then weft network up <dir> starts its peers, which join the default channel from its genesis block and take the rest from the orderer, once a member added the org (weft network add-org --definition). ' +
    'An org made with its keys in a PKCS#11 token (weft network new-org --hsm-library) names the same token here (--hsm-library/--hsm-label; no PIN is needed to write the configs): its peers\' configs get the bccsp PKCS11 section. ' +
    'Refuses a directory without org-definition.json or with a network.yaml already, and a member view that lists the org with other certificates.';
  static override examples = ['<%= config.bin %> network join ./org3 --from ./for-org3', '<%= config.bin %> network up ./org3'];
  static override args = { dir: Args.string({ description: "the new org's directory (made by weft network new-org)", required: true }) };
  static override flags = {
    from: Flags.string({ description: "a member's directory or its certificates-only export (weft network export --public)", required: true }),
    'hsm-library': Flags.string({
      description: "PKCS#11 module (.so) of the token the org's keys were made in (weft network new-org --hsm-library), with --hsm-label: its peers' configs sign there. Without: keys in files (MEMBER_KEY_NOT_HERE when a peer's keystore is empty)",
    }),
    'hsm-label': Flags.string({ description: 'label of that token (with --hsm-library)' }),
  };

  async run(): Promise<JoinResult> {
    const { args, flags } = await this.parse(NetworkJoin);
    const result = joinNetwork(args.dir, flags.from, (m) => this.progress(m), hsmKeyOptions(flags));
    this.log(`${result.org} (${result.mspId}) has the network's view in ${result.dir}: channel ${result.channel}, peers ${result.peers.join(', ')}`);
    this.log(`next: weft network up ${shellWord(result.dir)}`);
    return result;
  }
}
