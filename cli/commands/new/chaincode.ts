import { Args, Flags } from '@oclif/core';
import { shellWord } from '../../../core/node/shell-word';
import { WeftCommand } from '../../base-command';
import { scaffoldChaincode, type ScaffoldResult } from '../../services/scaffold/scaffold';

export default class NewChaincode extends WeftCommand {
  static override summary = 'Scaffold a chaincode project (fabric-contract-api) with tests that run it through Weft\'s runtime.';
  static override examples = [
    '<%= config.bin %> new chaincode my-assets',
    '<%= config.bin %> new chaincode my-assets --lang js --dir ./contracts/my-assets',
  ];
  static override args = { name: Args.string({ description: 'project and chaincode name (lower-case, dashes)', required: true }) };
  static override flags = {
    lang: Flags.string({ description: 'TypeScript or JavaScript', options: ['ts', 'js'], default: 'ts' }),
    dir: Flags.string({ description: 'where to create the project (default ./<name>); must be absent or empty' }),
  };

  async run(): Promise<ScaffoldResult> {
    const { args, flags } = await this.parse(NewChaincode);
    const result = scaffoldChaincode(args.name, flags.lang as 'ts' | 'js', flags.dir);
    this.log(`created ${result.dir} (${result.files.length} files)`);
    this.log(`next: cd ${shellWord(result.dir)} && npm install && npm test`);
    return result;
  }
}
