import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { DEFAULT_INIT_OPTIONS, initNetwork, type InitResult } from '../../services/network/network-init';

export default class NetworkInit extends WeftCommand {
  static override summary = 'Create a network directory: network.yaml, crypto material, node configs and the genesis block.';
  static override description =
    'Writes <dir>/network.yaml (the single source of truth, documented inline), crypto material in cryptogen\'s layout under organizations/, each node\'s config under nodes/, and the channel\'s genesis block under channel-artifacts/. Refuses a directory that is not empty. Start the network with `weft network up <dir>`.';
  static override examples = [
    '<%= config.bin %> network init ./net',
    '<%= config.bin %> network init ./net --orgs 3 --channel trade --batch-timeout 500ms',
    '<%= config.bin %> network init ./net --base-port 17050 --no-tls --json',
  ];
  static override args = { dir: Args.string({ description: 'directory to create (must be absent or empty)', required: true }) };
  static override flags = {
    orgs: Flags.integer({ description: 'number of peer organizations', default: DEFAULT_INIT_OPTIONS.orgs, min: 1, max: 50 }),
    'peers-per-org': Flags.integer({ description: 'peers in each organization', default: DEFAULT_INIT_OPTIONS.peersPerOrg, min: 1, max: 20 }),
    orderers: Flags.integer({ description: 'number of orderers (solo: exactly 1)', default: DEFAULT_INIT_OPTIONS.orderers, min: 1, max: 9 }),
    consensus: Flags.string({ description: 'ordering service type', options: ['solo'], default: DEFAULT_INIT_OPTIONS.consensus }),
    channel: Flags.string({ description: 'application channel name', default: DEFAULT_INIT_OPTIONS.channel }),
    'batch-timeout': Flags.string({ description: 'BatchTimeout of the channel (Go duration)', default: DEFAULT_INIT_OPTIONS.batchTimeout }),
    'max-message-count': Flags.integer({ description: 'BatchSize.MaxMessageCount of the channel', default: DEFAULT_INIT_OPTIONS.maxMessageCount, min: 1 }),
    'base-port': Flags.integer({ description: 'first port; nodes take consecutive ports from here', default: DEFAULT_INIT_OPTIONS.basePort, min: 1024, max: 65000 }),
    tls: Flags.boolean({ description: 'TLS on the peers (--no-tls turns it off; orderers always use TLS)', default: true, allowNo: true }),
    'log-level': Flags.string({ description: 'log level of every node', options: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'warn' }),
  };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(NetworkInit);
    const result = await initNetwork(
      args.dir,
      {
        orgs: flags.orgs,
        peersPerOrg: flags['peers-per-org'],
        orderers: flags.orderers,
        consensus: flags.consensus as 'solo',
        channel: flags.channel,
        batchTimeout: flags['batch-timeout'],
        maxMessageCount: flags['max-message-count'],
        basePort: flags['base-port'],
        tls: flags.tls,
        logLevel: flags['log-level'] as 'warn',
      },
      (m) => this.progress(m),
    );
    this.log(`network created in ${result.dir} (channel ${result.channel})`);
    for (const n of result.nodes) this.log(`  ${n.kind.padEnd(7)} ${n.id.padEnd(28)} ${n.address}`);
    this.log(`next: weft network up ${args.dir}`);
    return result;
  }
}
