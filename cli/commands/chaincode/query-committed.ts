import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg, orgFlag } from '../../common-flags';
import { queryCommitted, type CommittedDefinition } from '../../services/chaincode/lifecycle';
import { resolveOrg } from '../../services/chaincode/org-args';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeQueryCommitted extends WeftCommand {
  static override summary = 'Show the chaincode definitions committed on the channel (one with --name, with its approvals), with their endorsement policy and private data collections.';
  static override examples = ['<%= config.bin %> chaincode query-committed ./net', '<%= config.bin %> chaincode query-committed ./net --name basic --json'];
  static override args = { dir: networkDirArg };
  static override flags = { channel: channelFlag, org: orgFlag, name: Flags.string({ char: 'n', description: 'one chaincode' }) };

  async run(): Promise<{ definitions: CommittedDefinition[] }> {
    const { args, flags } = await this.parse(ChaincodeQueryCommitted);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const definitions = await queryCommitted(layout, resolveOrg(layout, flags.org), flags.name);
    if (definitions.length === 0) this.log(flags.name ? `chaincode ${flags.name} is not committed on ${layout.spec.channel.name}` : 'no chaincode is committed');
    for (const d of definitions) {
      const approvals = d.approvals ? `  approvals: ${Object.entries(d.approvals).map(([m, ok]) => `${m}=${ok}`).join(', ')}` : '';
      const collections = d.collections.length > 0 ? `  collections: ${d.collections.map((c) => c.name).join(', ')}` : '';
      const policy = 'signaturePolicy' in d.endorsementPolicy ? d.endorsementPolicy.signaturePolicy : d.endorsementPolicy.channelConfigPolicy;
      this.log(`${d.name}  version ${d.version}  sequence ${d.sequence}${d.initRequired ? '  init required' : ''}  policy ${policy}${collections}${approvals}`);
    }
    return { definitions };
  }
}
