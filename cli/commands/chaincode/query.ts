import { Args } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, gatewayPeerFlag, nameFlag, networkDirArg, orgFlag, parseTransient, positionalsAfter, transientFlag, userFlag } from '../../common-flags';
import { resolveUser } from '../../services/client/client-identity';
import { namingCommittedChaincodes } from '../../services/chaincode/committed-names';
import { namingStoppedNodes } from '../../services/chaincode/stopped-nodes';
import { queryChaincode } from '../../services/chaincode/transact';
import { channelPeer, openNetwork } from '../../services/network/network-access';

export default class ChaincodeQuery extends WeftCommand {
  static override summary = 'Evaluate a chaincode function on one peer (nothing is ordered or committed) and print the result.';
  static override strict = false;
  // oclif marks every argument of a non-strict command variadic ("DIR... FUNCTION..."): only the function's arguments are.
  static override usage = '<%= command.id %> DIR FUNCTION [ARGS...] -n <value> [--channel <value>] [--org <value>] [--user <value>] [--transient <value>...] [--peer <value>] [--json] [--verbose]';
  static override examples = ['<%= config.bin %> chaincode query ./net --name basic ReadAsset asset1', '<%= config.bin %> chaincode query ./net --name basic GetAllAssets --org Org2 --json'];
  static override args = {
    dir: networkDirArg,
    function: Args.string({ description: 'function to evaluate', required: true }),
    args: Args.string({ description: "the function's arguments, as many as it takes (put -- before the first that looks like a flag)" }),
  };
  static override flags = {
    name: nameFlag,
    channel: channelFlag,
    org: orgFlag,
    user: userFlag,
    transient: transientFlag,
    peer: gatewayPeerFlag,
  };

  async run(): Promise<{ result: string; json?: unknown }> {
    const { args, raw, flags } = await this.parse(ChaincodeQuery);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const user = resolveUser(layout, flags.org, flags.user);
    const gatewayPeer = flags.peer === undefined ? undefined : channelPeer(layout, flags.peer);
    const { result } = await namingStoppedNodes(layout, args.dir, user, gatewayPeer, () =>
      namingCommittedChaincodes(layout, user, flags.name, () =>
        queryChaincode(layout, user, {
          chaincode: flags.name,
          fn: args.function,
          args: positionalsAfter(raw, 2),
          transient: parseTransient(flags.transient),
          gatewayPeer,
        }),
      ),
    );
    this.log(result);
    let json: unknown;
    try {
      json = JSON.parse(result);
    } catch {
      json = undefined;
    }
    return json === undefined ? { result } : { result, json };
  }
}
