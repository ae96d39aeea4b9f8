import { ConfigError, WeftError } from '../../../core/errors';
import type { Keepalive } from '../../../core/node/grpc-keepalive';
import { parseGoDuration } from '../../../core/protocol/go-duration';
import type { ClientIdentity } from '../client/client-identity';
import { GatewaySession } from '../client/gateway-session';
import type { NetworkLayout, NodeLayout } from '../network/network-layout';
import { peerChainInfo } from '../network/network-access';
import type { CheckpointPlan } from './events-checkpoint';
import { PeerUnreachable } from './reconnecting-watch';
import { shellWord } from '../../../core/node/shell-word';

/** What both watch commands print and ask for before the stream opens. */
export interface WatchOutput {
  readonly progress: (message: string) => void;
  readonly warning: (message: string) => void;
}

/**
 * The peer's height on the layout's channel, asked before anything is written: a peer that is not
 * up, or has not joined the channel, is refused here rather than by a stream that opens and fails.
 */
export async function channelHeight(layout: NetworkLayout, peer: NodeLayout): Promise<number> {
  const channel = layout.spec.channel.name;
  try {
    return (await peerChainInfo(layout, peer, channel)).height;
  } catch (err) {
    if (err instanceof WeftError && (err.code === 'PROPOSAL_FAILED' || err.code === 'PROPOSAL_REJECTED')) {
      throw new ConfigError('CHANNEL_NOT_JOINED', `--channel ${channel}: peer ${peer.id} cannot serve it (${err.message})`, {
        field: '--channel',
        channel,
        peer: peer.id,
        suggestions: [`see the channels each peer has joined: weft channel list ${shellWord(layout.dir)}`, 'ask another peer with --peer <id>'],
      }, { cause: err });
    }
    throw err;
  }
}

/**
 * The block a stream starts at when its checkpoint holds no position: `--start-block`, else the
 * next block to commit. Pinned to a number (not the client's "next commit") so that a reconnect
 * before the first event resumes where the watch began, not where the peer is by then.
 */
export function startBlock(o: { requested: number | undefined; height: number; checkpoint: CheckpointPlan | undefined } & WatchOutput): bigint {
  const saved = o.checkpoint?.state.blockNumber;
  if (saved !== undefined) {
    if (o.requested !== undefined) o.warning(`--start-block ${o.requested} is ignored: ${o.checkpoint!.file} holds a position (block ${saved}), and a checkpoint wins, as in the Fabric Gateway client`);
    if (o.checkpoint!.adopted) o.warning(`${o.checkpoint!.file} has no Weft header: taken as a checkpoint of this stream, and one is written beside it`);
    return saved;
  }
  return BigInt(o.requested ?? o.height);
}

/** What a watch says while its next block is beyond the peer's height. */
export function beyondHeight(peer: NodeLayout, channel: string, block: bigint, height: number): string {
  return `block ${block} is beyond ${peer.id}'s height on ${channel} (${height} blocks, 0…${height - 1}): waiting for it to commit`;
}

/** `--timeout`: a Go duration (`30s`, `1m30s`, `500ms`) or whole seconds; undefined when not given. */
export function watchTimeoutMs(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = /^\d+$/.test(text) ? Number(text) * 1000 : parseGoDuration(text);
  if (ms === undefined || ms <= 0) {
    throw new ConfigError('BAD_TIMEOUT', `--timeout ${text}: expected a positive duration such as 30s, 1m30s or 500ms (or whole seconds)`, { field: '--timeout', value: text });
  }
  return ms;
}

/** How long a (re)connection may take before it counts as a failed attempt. */
const CONNECT_MS = 5_000;

/**
 * One open of a watch's stream: a Gateway session to `peer` once its connection is up
 * (`PeerUnreachable`, which the watch retries, when it is not within 5 s), handed to `open`;
 * closed again if either fails. What `open` returns closes it when the stream is dropped. The
 * session's keepalive (the CLI's by default) fails a stream whose connection died silently with
 * UNAVAILABLE, a loss the watch reconnects from.
 */
export async function withSession<T>(
  layout: NetworkLayout,
  identity: ClientIdentity,
  peer: NodeLayout,
  open: (session: GatewaySession) => Promise<T>,
  keepalive?: Keepalive,
): Promise<T> {
  const session = new GatewaySession(layout, identity, peer, keepalive);
  try {
    await session.ready(Date.now() + CONNECT_MS).catch((err: Error) => {
      throw new PeerUnreachable(`${peer.address} did not accept a connection within ${CONNECT_MS / 1000} s: ${err.message}`);
    });
    return await open(session);
  } catch (err) {
    session.close();
    throw err;
  }
}
