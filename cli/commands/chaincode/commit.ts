import { WeftCommand } from '../../base-command';
import { definitionFlags, networkDirArg, orgFlag } from '../../common-flags';
import { commit, queryCommitted } from '../../services/chaincode/lifecycle';
import { loadCollectionsConfig } from '../../services/chaincode/collections-config';
import { resolveOrg } from '../../services/chaincode/org-args';
import { policyOutsideChannelWarnings } from '../../services/chaincode/policy-outside-channel';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeCommit extends WeftCommand {
  static override summary = "Commit an approved chaincode definition to the channel, endorsed by the orgs that approved it (the channel's LifecycleEndorsement policy, a majority by default, says whether they are enough).";
  static override examples = ['<%= config.bin %> chaincode commit ./net --name basic --sequence 1'];
  static override args = { dir: networkDirArg };
  static override flags = { ...definitionFlags, org: orgFlag };

  async run(): Promise<{ transactionId: string; sequence: number }> {
    const { args, flags } = await this.parse(ChaincodeCommit);
    const collections = loadCollectionsConfig(flags['collections-config']);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const org = resolveOrg(layout, flags.org);
    const sequence = flags.sequence ?? ((await queryCommitted(layout, org, flags.name))[0]?.sequence ?? 0) + 1;
    const def = { name: flags.name, version: flags.version, sequence, policy: flags.policy, initRequired: flags['init-required'], collections };
    // As approve: Fabric commits such a definition; it is said, not refused.
    policyOutsideChannelWarnings(layout, def).forEach((w) => this.warning(w));
    const r = await commit(layout, org, def);
    this.log(`committed ${flags.name} sequence ${sequence} (tx ${r.transactionId})`);
    return { ...r, sequence };
  }
}
