import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { Config, ConfigUpdateEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { OrdererError, WeftError } from '../../../core/errors';
import { Broadcaster } from '../../../core/peer/gateway/broadcaster';
import { OrdererClient } from '../../../core/peer/orderer/orderer-client';
import type { ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import { buildEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';
import { statusName } from '../../../core/protocol/status-name';
import { fetchBlock } from '../block/block-source';
import { ordererBlock, ordererTls } from '../block/orderer-block-source';
import type { ClientIdentity } from '../client/client-identity';
import { peersToWaitForUpdate } from './config-block-peers';
import { missingSignatures, needsMet, signForPolicies } from './config-update-signatures';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout, UserLayout } from './network-layout';
import { waitFor } from './node-processes';
import { orgsWithKeysHere } from './org-keys';
import { shellWord } from '../../../core/node/shell-word';

const CONNECT_TIMEOUT_MS = 10_000;
const ANSWER_TIMEOUT_MS = 30_000;
/** A config block reaches every peer of a loopback network in well under a second; remote hosts get more. */
const COMMIT_TIMEOUT_MS = 60_000;

/** Who submits: the identity signing the CONFIG_UPDATE envelope, and whose TLS client certificate goes to the orderer under mutual TLS. */
export interface Submitter {
  readonly user: UserLayout;
  readonly signer: Signer;
}

/**
 * Sends the signed update as a CONFIG_UPDATE envelope to the network's orderers (Fabric's `peer
 * channel update`), the next one when one cannot be reached. Throws `OrdererError`
 * `CONFIG_UPDATE_REFUSED` with the orderer's status and info when it refuses the update, and
 * `ORDERER_UNREACHABLE` when none answers.
 */
export async function broadcastConfigUpdate(layout: NetworkLayout, channel: string, envelope: ConfigUpdateEnvelope, submitter: Submitter): Promise<{ orderer: string }> {
  const bytes = buildEnvelope({ type: HeaderType.CONFIG_UPDATE, channelId: channel, data: envelope.serializeBinary(), signer: submitter.signer });
  const failures: string[] = [];
  for (const orderer of layout.orderers()) {
    const client = new OrdererClient(orderer.address, ordererTls(layout, orderer, submitter.user));
    const broadcaster = new Broadcaster(client);
    try {
      if (!(await client.ready(CONNECT_TIMEOUT_MS))) {
        failures.push(`${orderer.id} (${orderer.address}): no connection within ${CONNECT_TIMEOUT_MS / 1000}s`);
        continue;
      }
      let answer: { status: number; info: string };
      try {
        answer = await broadcaster.send(bytes, ANSWER_TIMEOUT_MS);
      } catch (err) {
        failures.push(`${orderer.id}: ${(err as Error).message}`);
        continue;
      }
      if (answer.status !== 200) {
        throw new OrdererError('CONFIG_UPDATE_REFUSED', `orderer ${orderer.id} refused the config update of channel ${channel}: ${statusName(answer.status)} (${answer.status}): ${answer.info}`, {
          channel,
          orderer: orderer.id,
          status: answer.status,
          info: answer.info,
          suggestions: [`see the orderer's log: ${orderer.logFile}`, `see the channel's current config: weft channel info ${shellWord(layout.dir)} --channel ${channel}`],
        });
      }
      return { orderer: orderer.id };
    } finally {
      broadcaster.close();
      client.close();
    }
  }
  throw new WeftError('ORDERER_UNREACHABLE', `no orderer of the network took the config update of channel ${channel}: ${failures.join('; ')}`, {
    channel,
    suggestions: ['is the network up? check with: weft network status <dir>'],
  });
}

/**
 * Waits until each of `peers` holds a config block after block `after` on the layout's channel
 * (the block the orderer cut for the update); returns its number as the first peer has it.
 */
export async function waitForConfigBlock(layout: NetworkLayout, peers: readonly NodeLayout[], after: number, progress: Progress): Promise<number | undefined> {
  const channel = layout.spec.channel.name;
  let number: number | undefined;
  for (const peer of peers) {
    await waitFor(
      peer,
      `holding the new config block of ${channel}`,
      async () => {
        const block = await fetchBlock(layout, 'config', peer);
        number ??= block.number > after ? block.number : undefined;
        return block.number > after;
      },
      COMMIT_TIMEOUT_MS,
    );
    progress(`${peer.id} holds the new config of ${channel}`);
  }
  return number;
}

/**
 * Waits until `orderer` holds a config block after block `after` on the layout's channel, read
 * through Deliver as `reader`: where no peer here can show it (none joined, or none runs).
 */
export async function waitForOrdererConfigBlock(layout: NetworkLayout, orderer: NodeLayout, reader: ClientIdentity, after: number, timeoutMs = COMMIT_TIMEOUT_MS): Promise<{ number: number; bytes: Uint8Array }> {
  let read: { number: number; bytes: Uint8Array } | undefined;
  await waitFor(
    orderer,
    `holding the new config block of ${layout.spec.channel.name}`,
    async () => {
      const config = await ordererBlock(layout, reader, 'config');
      if (config.number > after) read = config;
      return read !== undefined;
    },
    timeoutMs,
  );
  return read!;
}

/** A channel's config as read before an edit: `layout` is the network seen from the channel, `block` the number of its config block. */
export interface ChannelConfigState {
  readonly layout: NetworkLayout;
  readonly current: ParsedChannelConfig;
  readonly block: number;
}

/** What {@link submitConfigEdit} did: the orderer that took the update, the config block as the first peer waited for holds it. */
export interface ConfigEditSubmitted {
  readonly channel: string;
  readonly orderer: string;
  readonly configBlock?: number;
  /** This directory's peers of the channel not waited for, as they do not run (see {@link peersToWaitForUpdate}); absent when none. */
  readonly notWaitedFor?: string[];
}

/**
 * Submits `next`, an edit of the channel's current config, as a config update signed by each Admin
 * here a policy it touches counts (`CONFIG_UPDATE_UNSIGNED`, nothing sent, when they do not
 * suffice), then waits until this directory's peers of the channel (of `network`: a layout that
 * leaves a peer out does not wait for it) that run hold the new config block; each that does not
 * is named once in progress and in `notWaitedFor` ({@link peersToWaitForUpdate}). `what` names the change
 * in progress; a channel that took it but whose running peers did not show it is `failure.code`,
 * whose suggestion is `failure.rerun`.
 */
export async function submitConfigEdit(
  network: NetworkLayout,
  state: ChannelConfigState,
  next: Config,
  what: string,
  progress: Progress,
  failure: { code: string; rerun: string },
): Promise<ConfigEditSubmitted> {
  const channel = state.layout.spec.channel.name;
  const { envelope, update } = unsignedConfigUpdate(channel, state.current.config, next);
  const { signed, policies } = signForPolicies(network, state.current, update, envelope);
  if (!needsMet(policies) || signed.length === 0) throw missingSignatures(state.layout, channel, state.current, policies);
  const { orderer } = await broadcastConfigUpdate(network, channel, envelope, signed[0]!);
  progress(`channel ${channel}: orderer ${orderer} accepted ${what}`);
  const { waited, notWaitedFor } = await peersToWaitForUpdate(state.layout, orgsWithKeysHere(state.layout).flatMap((o) => state.layout.peersOf(o)), progress);
  try {
    const configBlock = await waitForConfigBlock(state.layout, waited, state.block, progress);
    return { channel, orderer, ...(configBlock !== undefined && { configBlock }), ...(notWaitedFor.length > 0 && { notWaitedFor }) };
  } catch (err) {
    throw new WeftError(failure.code, `channel ${channel} took ${what}, but this directory's peers did not show the config block: ${(err as Error).message}`, {
      channel,
      suggestions: [failure.rerun],
    }, { cause: err });
  }
}
