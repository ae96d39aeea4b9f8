import { WeftCommand } from '../../base-command';
import { definitionFlags, networkDirArg, orgFlag } from '../../common-flags';
import { checkCommitReadiness, queryCommitted } from '../../services/chaincode/lifecycle';
import { loadCollectionsConfig } from '../../services/chaincode/collections-config';
import { resolveOrg } from '../../services/chaincode/org-args';
import { policyOutsideChannelWarnings } from '../../services/chaincode/policy-outside-channel';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeCheckCommitReadiness extends WeftCommand {
  static override summary = 'Show which orgs approved a chaincode definition (it can be committed once enough have).';
  static override examples = ['<%= config.bin %> chaincode check-commit-readiness ./net --name basic --sequence 1'];
  static override args = { dir: networkDirArg };
  static override flags = { ...definitionFlags, org: orgFlag };

  async run(): Promise<{ sequence: number; approvals: Record<string, boolean>; mismatches: Record<string, string[]> }> {
    const { args, flags } = await this.parse(ChaincodeCheckCommitReadiness);
    const collections = loadCollectionsConfig(flags['collections-config']);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const org = resolveOrg(layout, flags.org);
    const sequence = flags.sequence ?? ((await queryCommitted(layout, org, flags.name))[0]?.sequence ?? 0) + 1;
    const def = { name: flags.name, version: flags.version, sequence, policy: flags.policy, initRequired: flags['init-required'], collections };
    // What would be committed: the warning approve gives, before the orgs approve or commit it.
    policyOutsideChannelWarnings(layout, def).forEach((w) => this.warning(w));
    const { approvals, mismatches } = await checkCommitReadiness(layout, org, def);
    // As Fabric's `peer lifecycle chaincode checkcommitreadiness --inspect`.
    for (const [msp, ok] of Object.entries(approvals)) this.log(`${msp}: ${ok}${mismatches[msp] === undefined ? '' : ` (mismatch: [${mismatches[msp].join(', ')}])`}`);
    return { sequence, approvals, mismatches };
  }
}
