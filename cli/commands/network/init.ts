import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { hsmKeyFlags, hsmKeyOptions, intermediateCaFlag, keyAlgorithmFlag } from '../../common-flags';
import { DEFAULT_INIT_OPTIONS, initNetwork, initNetworkFromFile, type InitResult } from '../../services/network/network-init';
import { isLoopbackHost } from '../../services/network/node-hosts';
import { CONSENSUS_TYPES } from '../../services/network/network-spec';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkInit extends WeftCommand {
  static override summary = 'Create a network directory: network.yaml, crypto material, node configs and genesis blocks.';
  static override description =
    'Writes <dir>/network.yaml (the single source of truth, documented inline), crypto material in cryptogen\'s layout under organizations/, each node\'s config under nodes/, and each channel\'s genesis block under channel-artifacts/. Refuses a directory that is not empty. Start the network with `weft network up <dir>`.';
  static override examples = [
    '<%= config.bin %> network init ./net',
    '<%= config.bin %> network init ./net --orgs 3 --channel trade --batch-timeout 500ms',
    '<%= config.bin %> network init ./net --base-port 17050 --no-tls --json',
    '<%= config.bin %> network init ./net --from my-network.yaml',
    '<%= config.bin %> network init ./net --host orderer.example.com=10.0.0.10 --host peer0.org1.example.com=10.0.0.11 --host peer0.org2.example.com=vm2.internal',
    'WEFT_PKCS11_PIN=1234 <%= config.bin %> network init ./net --hsm-library /usr/lib/softhsm/libsofthsm2.so --hsm-label weft',
    '<%= config.bin %> network init ./net --key-algorithm ed25519',
    '<%= config.bin %> network init ./net --intermediate-ca',
    '<%= config.bin %> network init ./net --capabilities channel=V2_0,application=V2_0',
  ];
  static override args = { dir: Args.string({ description: 'directory to create (must be absent or empty)', required: true }) };
  static override flags = {
    from: Flags.string({
      description:
        'a network.yaml written by hand (copy one that init wrote: its comments describe every field): org names, MSP IDs, domains, peers, users, hosts, ports and channels as it says. Replaces every other shape flag',
      exclusive: ['orgs', 'peers-per-org', 'orderers', 'consensus', 'channel', 'batch-timeout', 'max-message-count', 'base-port', 'tls', 'mutual-tls', 'host', 'log-level', 'chaincode-debug', 'capabilities'],
    }),
    orgs: Flags.integer({ description: 'number of peer organizations', default: DEFAULT_INIT_OPTIONS.orgs, min: 1, max: 50 }),
    'peers-per-org': Flags.integer({ description: 'peers in each organization', default: DEFAULT_INIT_OPTIONS.peersPerOrg, min: 1, max: 20 }),
    orderers: Flags.integer({ description: 'number of orderers (exactly 1: Weft orders alone)', default: DEFAULT_INIT_OPTIONS.orderers, min: 1, max: 9 }),
    consensus: Flags.string({
      description:
        "how channels name their ordering: etcdraft (a one-consenter Raft, configtxgen's form, which Fabric 3 peers follow) or solo (which Fabric 3 peers do not follow), both ordered by the one orderer",
      options: [...CONSENSUS_TYPES],
      default: DEFAULT_INIT_OPTIONS.consensus,
    }),
    channel: Flags.string({ description: 'application channel name', default: DEFAULT_INIT_OPTIONS.channel }),
    'batch-timeout': Flags.string({ description: 'BatchTimeout of the channel (Go duration)', default: DEFAULT_INIT_OPTIONS.batchTimeout }),
    'max-message-count': Flags.integer({ description: 'BatchSize.MaxMessageCount of the channel', default: DEFAULT_INIT_OPTIONS.maxMessageCount, min: 1 }),
    capabilities: Flags.string({
      description:
        "capabilities the channel requires, by Fabric's level and capability names, any subset (default channel=V3_0,orderer=V2_0,application=V2_5, which only Fabric 3 nodes join). For Fabric 2.x nodes: channel=V2_0,application=V2_0 (2.5: application=V2_5); raise later with weft channel update --capability. Ed25519 keys need channel=V3_0",
    }),
    'base-port': Flags.integer({ description: 'first port; nodes take consecutive ports from here', default: DEFAULT_INIT_OPTIONS.basePort, min: 1024, max: 65000 }),
    tls: Flags.boolean({ description: 'TLS on the peers (--no-tls turns it off; orderers always use TLS)', default: true, allowNo: true }),
    'mutual-tls': Flags.boolean({ description:
        "mutual TLS: every node takes only clients with a certificate of a network org's TLS CA (users present their tls/client.crt), and serves its operations endpoint over HTTPS, /metrics and /logspec for its own org's TLS client certificates only (network.yaml operations.clientAuthRequired closes /healthz too)",
      default: false }),
    host: Flags.string({
      description:
        'where other machines reach the nodes: <host> for every node, <node>=<host> for one (repeatable; DNS name or IPv4 address; default 127.0.0.1). Certificates name the host; a node away from loopback listens on every interface and serves its operations endpoint over TLS',
      multiple: true,
    }),
    'chaincode-debug': Flags.boolean({
      description:
        "development only: each peer runs its chaincode under V8's inspector on a port of its own (network.yaml debugPort, after the nodes' ports), so Chrome DevTools or VS Code can set breakpoints in it (weft chaincode debug prints where to attach), and its Gateway waits an hour for an endorsement paused there",
      default: false,
    }),
    ...hsmKeyFlags("every node's and user's", 'keys in files. Each node config gets plugins.msp.options.bccsp PKCS11; CA and TLS keys stay files'),
    'key-algorithm': keyAlgorithmFlag("every org's (with --from: of each org whose keyAlgorithm the file leaves out)"),
    'intermediate-ca': intermediateCaFlag("every org's (with --from: each org whose intermediateCa the file leaves out)"),
    'log-level': Flags.string({ description: 'logging spec of every node: a level (fatal, error, warn, info, debug, trace, silent) or levels per logger (warn:committer=debug)', default: 'warn' }),
  };

  async run(): Promise<InitResult> {
    const { args, flags } = await this.parse(NetworkInit);
    const progress = (m: string) => this.progress(m);
    const options = {
      orgs: flags.orgs,
      peersPerOrg: flags['peers-per-org'],
      orderers: flags.orderers,
      consensus: flags.consensus as (typeof CONSENSUS_TYPES)[number],
      channel: flags.channel,
      batchTimeout: flags['batch-timeout'],
      maxMessageCount: flags['max-message-count'],
      basePort: flags['base-port'],
      tls: flags.tls,
      mutualTls: flags['mutual-tls'],
      logLevel: flags['log-level'],
      hosts: flags.host ?? [],
      chaincodeDebug: flags['chaincode-debug'],
      keyAlgorithm: flags['key-algorithm'],
      intermediateCa: flags['intermediate-ca'],
      capabilities: flags.capabilities,
    };
    const keys = hsmKeyOptions(flags);
    const result =
      flags.from !== undefined ? await initNetworkFromFile(args.dir, flags.from, progress, keys, { keyAlgorithm: flags['key-algorithm'], intermediateCa: flags['intermediate-ca'] }) : await initNetwork(args.dir, options, progress, keys);
    this.log(`network created in ${result.dir} (${result.channels.length === 1 ? 'channel' : 'channels'} ${result.channels.join(', ')})`);
    for (const n of result.nodes) this.log(`  ${n.kind.padEnd(7)} ${n.id.padEnd(28)} ${n.address}`);
    const spread = result.nodes.some((n) => !isLoopbackHost(n.address.slice(0, n.address.lastIndexOf(':'))));
    if (result.signingKeyToken !== undefined) {
      this.log(`signing keys in PKCS#11 token "${result.signingKeyToken.label}": the nodes need WEFT_PKCS11_PIN set where they start; the CLI's users sign there with WEFT_PKCS11_LIBRARY and WEFT_PKCS11_LABEL set too`);
    }
    if (flags['chaincode-debug'] === true) this.log(`chaincode debugging on (development only): once a chaincode is deployed, weft chaincode debug ${shellWord(args.dir)} --name <chaincode> prints where to attach`);
    this.log(spread ? `next: give each host a copy of ${args.dir} (weft network export ${shellWord(args.dir)} <out> --org <org> holds one org's keys only), then run weft network up there` : `next: weft network up ${shellWord(args.dir)}`);
    return result;
  }
}
