import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { definitionFlags, networkDirArg } from '../../common-flags';
import { loadCollectionsConfig } from '../../services/chaincode/collections-config';
import { deployChaincode, type DeployResult } from '../../services/chaincode/deploy';
import { deployNextSteps } from '../../services/chaincode/deploy-next-steps';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeDeploy extends WeftCommand {
  static override summary = 'Package, install, approve and commit a chaincode in one command, as every org whose keys the network directory holds.';
  static override examples = [
    '<%= config.bin %> chaincode deploy ./net chaincode-examples/asset-transfer --name basic',
    `<%= config.bin %> chaincode deploy ./net ./my-assets --name assets --version 2.0 --policy "OR('Org1MSP.peer','Org2MSP.peer')"`,
    '<%= config.bin %> chaincode deploy ./net ./basic_1.0.tar.gz --name basic --json',
    '<%= config.bin %> chaincode deploy ./net ./private-assets --name private --collections-config ./collections_config.json',
  ];
  static override args = {
    dir: networkDirArg,
    source: Args.string({ description: 'chaincode project folder, or a package made by weft chaincode package', required: true }),
  };
  static override flags = {
    ...definitionFlags,
    label: Flags.string({ description: 'package label when packaging a project (default <name>_<version>)' }),
  };

  async run(): Promise<DeployResult> {
    const { args, flags } = await this.parse(ChaincodeDeploy);
    const collections = loadCollectionsConfig(flags['collections-config']);
    const result = await deployChaincode(
      openNetwork(args.dir).forChannel(flags.channel),
      args.source,
      { name: flags.name, version: flags.version, sequence: flags.sequence, policy: flags.policy, initRequired: flags['init-required'], collections, label: flags.label },
      (m) => this.progress(m),
    );
    const next = deployNextSteps(args.dir, result, {
      channel: flags.channel,
      policy: flags.policy,
      initRequired: flags['init-required'],
      collectionsConfig: flags['collections-config'],
    });
    if (result.committed) {
      this.log(`chaincode ${result.name} ${result.version} (sequence ${result.sequence}) is committed; installed here on ${result.installedOn.join(', ')}`);
    } else {
      this.log(`chaincode ${result.name} ${result.version} (sequence ${result.sequence}) is approved by ${result.approvedBy.join(', ')}; waiting for ${result.waitingFor.join(', ')}`);
    }
    for (const line of next) this.log(line);
    return result;
  }
}
