import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, nameFlag, networkDirArg, orgFlag, parseTransient, positionalsAfter, transientFlag, userFlag } from '../../common-flags';
import { resolveUser } from '../../services/client/client-identity';
import { invokeChaincode, type InvokeResult } from '../../services/chaincode/transact';
import { openNetwork } from '../../services/network/network-access';

export default class ChaincodeInvoke extends WeftCommand {
  static override summary = 'Submit a transaction through the Gateway: endorse, order, wait for commit; print the result and validation code.';
  static override description = 'Exits non-zero when endorsement fails (with each endorser\'s message verbatim) or when the transaction commits as invalid.';
  static override strict = false;
  // oclif marks every argument of a non-strict command variadic ("DIR... FUNCTION..."): only the function's arguments are.
  static override usage = '<%= command.id %> DIR FUNCTION [ARGS...] -n <value> [--channel <value>] [--org <value>] [--user <value>] [--transient <value>...] [--endorsing-orgs <value>] [--is-init] [--json] [--verbose]';
  static override examples = [
    '<%= config.bin %> chaincode invoke ./net --name basic CreateAsset asset1 blue 5 Tomoko 300',
    '<%= config.bin %> chaincode invoke ./net --name basic --org Org2 TransferAsset asset1 Brad --json',
    '<%= config.bin %> chaincode invoke ./net --name private --transient price=100 SetPrice item1',
    '<%= config.bin %> chaincode invoke ./net --name basic --is-init InitLedger',
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
    'endorsing-orgs': Flags.string({ description: 'only these orgs endorse (MSP IDs, comma separated)' }),
    'is-init': Flags.boolean({
      description: 'call as the Init of a chaincode deployed with --init-required (Fabric --isInit): once per definition version, before any other call',
      default: false,
    }),
  };

  async run(): Promise<InvokeResult> {
    const { args, raw, flags } = await this.parse(ChaincodeInvoke);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const rest = positionalsAfter(raw, 2);
    const result = await invokeChaincode(layout, resolveUser(layout, flags.org, flags.user), {
      chaincode: flags.name,
      fn: args.function,
      args: rest,
      transient: parseTransient(flags.transient),
      endorsingOrgs: flags['endorsing-orgs']?.split(',').map((s) => s.trim()),
      isInit: flags['is-init'],
    });
    this.log(`${result.validationCode} in block ${result.blockNumber} (tx ${result.transactionId})`);
    if (result.result !== '') this.log(result.result);
    return result;
  }
}
