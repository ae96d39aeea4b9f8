import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { definitionFlags, networkDirArg } from '../../common-flags';
import { loadCollectionsConfig } from '../../services/chaincode/collections-config';
import { deployChaincode, type DeployResult } from '../../services/chaincode/deploy';
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
    if (!result.committed) {
      this.log(`chaincode ${result.name} ${result.version} (sequence ${result.sequence}) is approved by ${result.approvedBy.join(', ')}; waiting for ${result.waitingFor.join(', ')}`);
      // The other orgs must approve the very same definition: repeat what shapes it.
      const same = [
        ...(flags.policy === undefined ? [] : [`--policy "${flags.policy}"`]),
        ...(flags['init-required'] ? ['--init-required'] : []),
        ...(flags['collections-config'] === undefined ? [] : ['--collections-config <same file>']),
      ];
      this.log(
        `next, on ${result.waitingFor.length === 1 ? 'its host' : 'their hosts'}: weft chaincode deploy <dir> <same source> --name ${result.name} --version ${result.version} --sequence ${result.sequence}${same.map((f) => ` ${f}`).join('')}`,
      );
      return result;
    }
    this.log(`chaincode ${result.name} ${result.version} (sequence ${result.sequence}) is committed; installed here on ${result.installedOn.join(', ')}`);
    this.log(`try: weft chaincode query ${args.dir} --name ${result.name} <function> [args...]`);
    return result;
  }
}
