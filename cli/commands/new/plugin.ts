import { Args, Flags } from '@oclif/core';
import { shellWord } from '../../../core/node/shell-word';
import { SLOTS } from '../../../core/node/slots';
import { WeftCommand } from '../../base-command';
import { scaffoldPlugin, type ScaffoldResult } from '../../services/scaffold/scaffold';

export default class NewPlugin extends WeftCommand {
  static override summary = 'Scaffold a plugin for one slot, with a test that runs the slot\'s core conformance suite.';
  static override examples = ['<%= config.bin %> new plugin my-ledger --slot ledger', '<%= config.bin %> new plugin my-policy --slot policy --dir ./plugins/my-policy'];
  static override args = { name: Args.string({ description: 'plugin name (lower-case, dashes)', required: true }) };
  static override flags = {
    slot: Flags.string({ description: 'the extension point the plugin fills', options: [...SLOTS], required: true }),
    dir: Flags.string({ description: 'where to create the plugin (default ./<name>); must be absent or empty' }),
  };

  async run(): Promise<ScaffoldResult> {
    const { args, flags } = await this.parse(NewPlugin);
    const result = scaffoldPlugin(args.name, flags.slot as (typeof SLOTS)[number], flags.dir);
    this.log(`created ${result.dir} (${result.files.length} files)`);
    this.log(`next: cd ${shellWord(result.dir)} && npm install && npm test`);
    return result;
  }
}
