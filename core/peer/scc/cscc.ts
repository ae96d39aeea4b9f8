import { Config, ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ChannelInfo, ChannelQueryResponse } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { getLastConfigIndex, parseBlock } from '../../protocol/block';
import { parseEnvelope } from '../../protocol/envelope';
import type { Channel } from '../channel/channel';
import { type LocalPolicies, checkChannelPolicy } from './acl';
import { type SccInvocation, type SystemChaincode, argString, failure, success } from './system-chaincode';

/** What `cscc` needs from the peer. */
export interface CsccSupport {
  /** The peer's own MSP, for JoinChain and GetChannels. */
  readonly local: LocalPolicies;
  channel(channelId: string): Channel | undefined;
  channelIds(): string[];
  /** Joins from a genesis block; throws with the reason the join failed. */
  join(genesisBlock: Uint8Array): void;
}

/** The functions Fabric's cscc takes without a second argument. */
const CHANNEL_LESS_FUNCTIONS = new Set(['GetChannels', 'JoinBySnapshotStatus']);

/** Fabric's `cscc` configuration chaincode: JoinChain, GetChannels, GetConfigBlock, GetChannelConfig. */
export class Cscc implements SystemChaincode {
  readonly name = 'cscc';

  constructor(private readonly support: CsccSupport) {}

  invoke(inv: SccInvocation): Promise<ReturnType<typeof success>> {
    return Promise.resolve(this.invokeSync(inv));
  }

  invokeSync(inv: SccInvocation): ReturnType<typeof success> {
    const fn = argString(inv.args, 0);
    // Fabric's PeerConfiger.Invoke: the argument count, then the proposal's own chaincode, before any function.
    if (inv.args.length < 1 || (!CHANNEL_LESS_FUNCTIONS.has(fn) && inv.args.length < 2)) return failure(`Incorrect number of arguments, ${inv.args.length}`);
    if (inv.proposal.chaincodeName !== this.name) return failure(`Rejecting invoke of CSCC from another chaincode, original invocation for '${inv.proposal.chaincodeName}'`);
    try {
      switch (fn) {
        case 'JoinChain': {
          this.support.local.checkAdmin(inv.proposal, 'cscc/JoinChain');
          const block = inv.args[1];
          if (block === undefined || block.length === 0) return failure('Cannot join the channel <nil> configuration block provided');
          this.support.join(block);
          return success();
        }
        case 'GetChannels': {
          this.support.local.checkMember(inv.proposal, 'cscc/GetChannels');
          const res = new ChannelQueryResponse();
          res.setChannelsList(
            this.support.channelIds().map((id) => {
              const info = new ChannelInfo();
              info.setChannelId(id);
              return info;
            }),
          );
          return success(res.serializeBinary());
        }
        case 'GetConfigBlock':
        case 'GetChannelConfig': {
          const channelId = argString(inv.args, 1);
          const channel = this.support.channel(channelId);
          if (channel === undefined) return failure(`Unknown chain ID, ${channelId}`);
          checkChannelPolicy(channel, '/Channel/Application/Readers', inv.proposal, `cscc/${fn}`);
          const block = latestConfigBlock(channel);
          if (fn === 'GetConfigBlock') return success(block);
          const env = parseEnvelope(parseBlock(block).envelopes[0]);
          const config = ConfigEnvelope.deserializeBinary(env.data).getConfig() ?? new Config();
          return success(config.serializeBinary());
        }
        default:
          return failure(`Requested function ${fn} not found.`);
      }
    } catch (err) {
      return failure((err as Error).message);
    }
  }
}

/** The bytes of the channel's latest config block (found through the last block's metadata). */
export function latestConfigBlock(channel: Channel): Uint8Array {
  const ledger = channel.ledger;
  const last = parseBlock(ledger.getBlockBytes(ledger.height() - 1) as Uint8Array, { verifyDataHash: false });
  let index = 0;
  try {
    index = getLastConfigIndex(last.block);
  } catch {
    index = 0;
  }
  return ledger.getBlockBytes(index) as Uint8Array;
}
