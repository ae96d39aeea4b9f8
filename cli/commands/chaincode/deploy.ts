import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { definitionFlags, deployVersionFlag, networkDirArg, typeCheckFlag } from '../../common-flags';
import { loadCollectionsConfig } from '../../services/chaincode/collections-config';
import { deployChaincode, type DeployOptions, type DeployResult } from '../../services/chaincode/deploy';
import { deployNextSteps } from '../../services/chaincode/deploy-next-steps';
import { projectChanges, staleBuildWarning, watchAndRedeploy, watchLabel, type WatchRound } from '../../services/chaincode/deploy-watch';
import { openNetwork } from '../../services/network/network-access';
import type { NetworkLayout } from '../../services/network/network-layout';

export default class ChaincodeDeploy extends WeftCommand {
  static override summary = 'Package, install, approve and commit a chaincode in one command, as every org whose keys the network directory holds.';
  static override examples = [
    '<%= config.bin %> chaincode deploy ./net chaincode-examples/asset-transfer --name basic',
    `<%= config.bin %> chaincode deploy ./net ./my-assets --name assets --version 2.0 --policy "OR('Org1MSP.peer','Org2MSP.peer')"`,
    '<%= config.bin %> chaincode deploy ./net ./basic_1.0.tar.gz --name basic --json',
    '<%= config.bin %> chaincode deploy ./net ./private-assets --name private --collections-config ./collections_config.json',
    '<%= config.bin %> chaincode deploy ./net ./my-assets --name assets --watch',
    '<%= config.bin %> chaincode deploy ./net assets_1.0:671fb3599a24f89ee3fb69f160308806d506d1b0ab99a9a78972ffaf22aba40c --name assets --version 1.0',
  ];
  static override args = {
    dir: networkDirArg,
    source: Args.string({
      description: 'chaincode project folder, a package made by weft chaincode package, or the ID of a package installed on the peers here (weft chaincode query-installed lists them: to roll back to an earlier one)',
      required: true,
    }),
  };
  static override flags = {
    ...definitionFlags,
    version: deployVersionFlag,
    label: Flags.string({ description: 'package label when packaging a project (default <name>_<version>, the version as --version or, without it, as deploy resolves it)' }),
    watch: Flags.boolean({
      description:
        'after deploying, watch the project folder and deploy again on every save (the first deploy\'s version, next sequence, label <label>-dev.<time>), until Ctrl-C; for a development network. Without --version the committed version is kept whatever the code',
      default: false,
    }),
    'type-check': typeCheckFlag,
  };

  async run(): Promise<DeployResult> {
    const { args, flags } = await this.parse(ChaincodeDeploy);
    const collections = loadCollectionsConfig(flags['collections-config']);
    // Before the first deploy: a package file given to --watch fails at once, not after a deploy.
    const changes = flags.watch ? projectChanges(args.source) : undefined;
    const staleBuild = changes === undefined ? undefined : staleBuildWarning(args.source);
    if (staleBuild !== undefined) this.warning(staleBuild);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const options: DeployOptions = { name: flags.name, version: flags.version, sequence: flags.sequence, policy: flags.policy, initRequired: flags['init-required'], collections, label: flags.label, typeCheck: flags['type-check'], reuseCommittedVersion: flags.watch };
    const result = await deployChaincode(layout, args.source, options, (m) => this.progress(m));
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
    if (changes === undefined) return result;
    return this.watch(layout, args.source, options, changes, result);
  }

  /** The `--watch` loop: resolves with the last deploy that succeeded once Ctrl-C ends it. */
  private async watch(layout: NetworkLayout, source: string, options: DeployOptions, changes: ReturnType<typeof projectChanges>, first: DeployResult): Promise<DeployResult> {
    const stop = new AbortController();
    const onSigint = (): void => stop.abort();
    process.once('SIGINT', onSigint);
    let last = first;
    this.log(`watching ${source} for changes: each save deploys ${options.name} again (Ctrl-C stops)`);
    const report = (r: WatchRound): void => {
      if ('error' in r) {
        this.warning(`redeploy ${r.round} (${r.changed.join(', ')}) failed: ${r.error.message}; still watching`);
        return;
      }
      last = r.result;
      this.log(`redeploy ${r.round} (${r.changed.join(', ')}): ${r.result.name} sequence ${r.result.sequence}, package ${r.result.packageId}, ${r.result.committed ? 'committed' : `waiting for ${r.result.waitingFor.join(', ')}`}`);
    };
    try {
      await watchAndRedeploy({
        changes,
        // The committed sequence + 1 each round (Fabric needs a new sequence for a new package); the
        // first deploy's version stays (given, as a development network wants, not VERSION_REQUIRED
        // for each saved change), and the label is made unique per build.
        deploy: () =>
          deployChaincode(layout, source, { ...options, version: first.version, sequence: undefined, label: watchLabel(options.label ?? `${options.name}_${first.version}`) }, (m) => this.progress(m)),
        report,
        signal: stop.signal,
      });
    } finally {
      process.off('SIGINT', onSigint);
    }
    this.log('stopped watching');
    return last;
  }
}
