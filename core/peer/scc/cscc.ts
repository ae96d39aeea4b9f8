import { Config, ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ChannelInfo, ChannelQueryResponse, JoinBySnapshotStatus } from '@hyperledger/fabric-protos/lib/peer/query_pb';
import { getLastConfigIndex, parseBlock } from '../../protocol/block';
import { parseEnvelope } from '../../protocol/envelope';
import type { Channel } from '../channel/channel';
import { PeerError } from '../peer-error';
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
  /** Starts joining from a snapshot directory in the background (Fabric's `CreateChannelFromSnapshot`); throws when it cannot start. */
  joinBySnapshot?(snapshotDir: string): void;
  /** Whether a join from a snapshot runs, and from which directory. */
  joinBySnapshotStatus?(): { readonly inProgress: boolean; readonly bootstrappingSnapshotDir: string };
}

/** The functions Fabric's cscc takes without a second argument. */
const CHANNEL_LESS_FUNCTIONS = new Set(['GetChannels', 'JoinBySnapshotStatus']);

/** Fabric's `cscc` configuration chaincode: JoinChain, JoinChainBySnapshot, JoinBySnapshotStatus, GetChannels, GetConfigBlock, GetChannelConfig. */
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
        case 'JoinChainBySnapshot': {
          const join = this.support.joinBySnapshot;
          if (join === undefined) break;
          if (inv.args[1] === undefined || inv.args[1].length === 0) return failure('Cannot join the channel, no snapshot directory provided');
          this.support.local.checkAdmin(inv.proposal, 'cscc/JoinChainBySnapshot');
          // Fabric answers once the import has started; JoinBySnapshotStatus tells when it is over.
          join.call(this.support, argString(inv.args, 1));
          return success();
        }
        case 'JoinBySnapshotStatus': {
          const status = this.support.joinBySnapshotStatus;
          if (status === undefined) break;
          this.support.local.checkAdmin(inv.proposal, 'cscc/JoinBySnapshotStatus');
          const now = status.call(this.support);
          const res = new JoinBySnapshotStatus();
          res.setInProgress(now.inProgress);
          res.setBootstrappingSnapshotDir(now.bootstrappingSnapshotDir);
          return success(res.serializeBinary());
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
          if (fn === 'GetChannelConfig' && channelId === '') return failure('empty channel name provided');
          const channel = this.support.channel(channelId);
          // Fabric's ACL check runs first and fails for a channel the peer lacks (`core/scc/cscc/configure.go`,
          // `core/policy/policy.go`); with no channel it is a channel-less check, which knows no such policy.
          if (channel === undefined) return failure(`access denied for [${fn}][${channelId}]: ${channelId === '' ? NO_CHANNEL_READERS : `Failed to get policy manager for channel [${channelId}]`}`);
          checkChannelPolicy(channel, '/Channel/Application/Readers', inv.proposal, `cscc/${fn}`);
          if (fn === 'GetConfigBlock') return success(latestConfigBlock(channel));
          // Fabric's RetrievePersistedChannelConfig: the config kept in state, which a channel joined from a snapshot has without its config block.
          const envelope = channel.ledger.snapshotBootstrap() === undefined ? parseEnvelope(parseBlock(latestConfigBlock(channel)).envelopes[0]).data : channel.ledger.channelConfigEnvelope();
          const config = (envelope === undefined ? undefined : ConfigEnvelope.deserializeBinary(envelope).getConfig()) ?? new Config();
          return success(config.serializeBinary());
        }
      }
      return failure(`Requested function ${fn} not found.`);
    } catch (err) {
      return failure((err as Error).message);
    }
  }
}

/** Fabric's `CheckPolicyNoChannel` refusal of the channel policy path cscc's ACL names. */
const NO_CHANNEL_READERS =
  'Failed getting local MSP principal during channelless check policy with policy [/Channel/Application/Readers]: [MSP Principal role [/Channel/Application/Readers] not recognized]';

/**
 * The bytes of the channel's latest config block (found through the last block's metadata). Throws
 * `PEER_BLOCK_NOT_AVAILABLE` on a channel joined from a snapshot until a config block commits after
 * it (Fabric's `ConfigBlockFromLedger` fails there too).
 */
export function latestConfigBlock(channel: Channel): Uint8Array {
  const ledger = channel.ledger;
  const lastBytes = ledger.getBlockBytes(ledger.height() - 1);
  let index = 0;
  try {
    if (lastBytes !== undefined) index = getLastConfigIndex(parseBlock(lastBytes, { verifyDataHash: false }).block);
  } catch {
    index = 0;
  }
  const bytes = ledger.getBlockBytes(index);
  if (bytes === undefined) {
    const bootstrap = ledger.snapshotBootstrap();
    throw new PeerError(
      'PEER_BLOCK_NOT_AVAILABLE',
      `the config block ${index} of channel ${channel.id} is not available on this peer${bootstrap === undefined ? '' : `: the channel was joined from a snapshot at block ${bootstrap.lastBlockNumber} (or pruned to it), and no config block has been committed since`}`,
      { channelId: channel.id, blockNum: index },
    );
  }
  return bytes;
}
