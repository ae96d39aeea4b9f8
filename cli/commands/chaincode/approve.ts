import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { definitionFlags, networkDirArg, orgFlag } from '../../common-flags';
import { approve, queryCommitted } from '../../services/chaincode/lifecycle';
import { loadCollectionsConfig } from '../../services/chaincode/collections-config';
import { resolveOrg } from '../../services/chaincode/org-args';
import { policyOutsideChannelWarnings } from '../../services/chaincode/policy-outside-channel';
import { uninstalledPackageWarning } from '../../services/chaincode/uninstalled-package-warning';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeApprove extends WeftCommand {
  static override summary = "Approve a chaincode definition for one org (a transaction by the org's Admin).";
  static override examples = [
    '<%= config.bin %> chaincode approve ./net --org Org1 --name basic --package-id basic_1.0:ab12… --sequence 1',
    '<%= config.bin %> chaincode approve ./net --org Org1 --name private --package-id private_1.0:cd34… --collections-config ./collections_config.json',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    ...definitionFlags,
    org: orgFlag,
    'package-id': Flags.string({ description: 'installed package to run (see weft chaincode query-installed)', required: true }),
  };

  async run(): Promise<{ transactionId: string; sequence: number; mspId: string }> {
    const { args, flags } = await this.parse(ChaincodeApprove);
    const collections = loadCollectionsConfig(flags['collections-config']);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const org = resolveOrg(layout, flags.org);
    const sequence = flags.sequence ?? ((await queryCommitted(layout, org, flags.name))[0]?.sequence ?? 0) + 1;
    const def = { name: flags.name, version: flags.version, sequence, policy: flags.policy, initRequired: flags['init-required'], collections };
    // Fabric approves these as asked (an org may approve before it installs); each is said, not refused.
    policyOutsideChannelWarnings(layout, def).forEach((w) => this.warning(w));
    const r = await approve(layout, org, def, flags['package-id']);
    const uninstalled = await uninstalledPackageWarning(layout, org, flags['package-id']);
    if (uninstalled !== undefined) this.warning(uninstalled);
    this.log(`${org.mspId} approved ${flags.name} sequence ${sequence} (tx ${r.transactionId})`);
    return { ...r, sequence, mspId: org.mspId };
  }
}
