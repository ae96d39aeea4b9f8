import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, gatewayPeerFlag, nameFlag, networkDirArg, orgFlag, parseTransient, positionalsAfter, transientFlag, userFlag } from '../../common-flags';
import { resolveUser } from '../../services/client/client-identity';
import { namingCommittedChaincodes } from '../../services/chaincode/committed-names';
import { withCommitterReason } from '../../services/chaincode/invalid-reason';
import { endorsingOrgMspIds } from '../../services/chaincode/org-args';
import { namingStoppedNodes } from '../../services/chaincode/stopped-nodes';
import { invokeChaincode, type InvokeResult } from '../../services/chaincode/transact';
import { channelPeer, openNetwork } from '../../services/network/network-access';

export default class ChaincodeInvoke extends WeftCommand {
  static override summary = 'Submit a transaction through the Gateway: endorse, order, wait for commit; print the result and validation code.';
  static override description =
    "Exits non-zero when endorsement fails (with each endorser's message verbatim) or when the transaction commits as invalid, with what its validation code means and what to do. " +
    'A transaction that commits MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT (another transaction changed what it read first) is endorsed again and resubmitted, up to --retry times; no other code is retried.';
  static override strict = false;
  // oclif marks every argument of a non-strict command variadic ("DIR... FUNCTION..."): only the function's arguments are.
  static override usage = '<%= command.id %> DIR FUNCTION [ARGS...] -n <value> [--channel <value>] [--org <value>] [--user <value>] [--transient <value>...] [--endorsing-orgs <value>] [--is-init] [--retry <value>] [--peer <value>] [--json] [--verbose]';
  static override examples = [
    '<%= config.bin %> chaincode invoke ./net --name basic CreateAsset asset1 blue 5 Tomoko 300',
    '<%= config.bin %> chaincode invoke ./net --name basic --org Org2 TransferAsset asset1 Brad --json',
    '<%= config.bin %> chaincode invoke ./net --name private --transient price=100 SetPrice item1',
    '<%= config.bin %> chaincode invoke ./net --name basic --is-init InitLedger',
    '<%= config.bin %> chaincode invoke ./net --name basic --retry 10 TransferAsset asset1 Max',
  ];
  static override args = {
    dir: networkDirArg,
    function: Args.string({ description: 'transaction function (contract:function for a named contract)', required: true }),
    args: Args.string({ description: "the function's arguments, as many as it takes (put -- before the first that looks like a flag)" }),
  };
  static override flags = {
    name: nameFlag,
    channel: channelFlag,
    org: orgFlag,
    user: userFlag,
    transient: transientFlag,
    peer: gatewayPeerFlag,
    'endorsing-orgs': Flags.string({ description: 'only these orgs endorse (comma separated; MSP IDs, or org names or domains as --org takes)' }),
    'is-init': Flags.boolean({
      description: 'call as the Init of a chaincode deployed with --init-required (Fabric --isInit): once per definition version, before any other call',
      default: false,
    }),
    // An invalid transaction changed nothing, so endorsing again is what a user would do by hand; 3
    // rides out a burst of a few writers of one key (under a second of backoff in all), and a key hot
    // beyond that still fails fast with TX_INVALID. --retry 0 reports the first conflict.
    retry: Flags.integer({
      description: 'on MVCC_READ_CONFLICT or PHANTOM_READ_CONFLICT, endorse again (a new transaction id) and resubmit up to this many times, with a short random backoff',
      default: 3,
      min: 0,
      max: 100,
    }),
  };

  async run(): Promise<InvokeResult> {
    const { args, raw, flags } = await this.parse(ChaincodeInvoke);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const rest = positionalsAfter(raw, 2);
    const user = resolveUser(layout, flags.org, flags.user);
    const gatewayPeer = flags.peer === undefined ? undefined : channelPeer(layout, flags.peer);
    const invoke = () =>
      invokeChaincode(layout, user, {
        chaincode: flags.name,
        fn: args.function,
        args: rest,
        transient: parseTransient(flags.transient),
        endorsingOrgs: flags['endorsing-orgs'] === undefined ? undefined : endorsingOrgMspIds(layout, flags['endorsing-orgs']),
        isInit: flags['is-init'],
        retries: flags.retry,
        gatewayPeer,
        onRetry: (r) => this.progress(`${r.reason} (tx ${r.transactionId}): endorsing again in ${r.delayMs} ms (retry ${r.attempt} of ${flags.retry})`),
      });
    const result = await namingStoppedNodes(layout, args.dir, user, gatewayPeer, () =>
      withCommitterReason(layout, user, gatewayPeer, () => namingCommittedChaincodes(layout, user, flags.name, invoke)),
    );
    const attempts = result.attempts > 1 ? `, after ${result.attempts} attempts` : '';
    this.log(`${result.validationCode} in block ${result.blockNumber} (tx ${result.transactionId}${attempts})`);
    if (result.result !== '') this.log(result.result);
    return result;
  }
}
