import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { packageProject, type PackagedChaincode } from '../../services/chaincode/package-project';

export default class ChaincodePackage extends WeftCommand {
  static override summary = 'Build a Fabric-format chaincode package (.tar.gz) from a contract project.';
  static override description =
    'Bundles the project (TypeScript or JavaScript, fabric-contract-api) with its npm dependencies into one script with esbuild, so installing it needs no network and no build on the peer. Prints the package ID.';
  static override examples = [
    '<%= config.bin %> chaincode package ./my-assets --label my-assets_1.0',
    '<%= config.bin %> chaincode package chaincode-examples/asset-transfer --label basic_1.0 --output /tmp/basic.tar.gz --json',
  ];
  static override args = { project: Args.string({ description: 'chaincode project folder (holding package.json)', required: true }) };
  static override flags = {
    label: Flags.string({ description: 'package label, e.g. basic_1.0', required: true }),
    output: Flags.string({ char: 'o', description: 'package file to write (default ./<label>.tar.gz)' }),
  };

  async run(): Promise<PackagedChaincode> {
    const { args, flags } = await this.parse(ChaincodePackage);
    const result = await packageProject(args.project, flags.label, flags.output);
    result.warnings.forEach((w) => this.warning(w));
    this.log(`${result.file} (${result.bytes} bytes)`);
    this.log(`package ID: ${result.packageId}`);
    return result;
  }
}
