import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { WeftError } from '../../../core/errors';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { ETCDRAFT_CONSENSUS_TYPE, decodeEtcdraftMetadata, sameCertificateKey } from '../../../core/protocol/etcdraft-config';
import { ordererBlock } from '../block/orderer-block-source';
import { loadClientIdentity } from '../client/client-identity';
import { setOrdererValue } from './channel-config-edit';
import { channelThroughOrderer, readingThroughOrderer, servedChannels } from './consenter-channels';
import { type ChannelConfigState, submitConfigEdit, waitForOrdererConfigBlock } from './config-update-submit';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { ChannelUpdated } from './org-msp-channels';
import { shellWord } from '../../../core/node/shell-word';

/** A config block reaches the orderer's ledger well within this on any network the CLI drives. */
const CONFIG_BLOCK_TIMEOUT_MS = 60_000;

/**
 * Fabric's certificate rotation of a Raft consenter, done before the node switches: in every etcdraft
 * channel the running `orderer` serves ({@link servedChannels}: as it lists them itself, so a channel
 * joined outside network.yaml too) that names it as its consenter (found by the public key of
 * `oldTlsCert`, as the orderer finds itself), a config update signed by the orderer org's Admin
 * replaces that consenter's client and server TLS certificates with `newTlsCert` (host, port and
 * options kept). Each channel's config is read from that orderer (Deliver, as the orderer org's
 * Admin), the update submitted to it, and waited for until it and this directory's peers of the
 * channel that run here hold the new config block (a stopped one is named, and catches up from the
 * orderer when started). A channel that refuses it leaves the ones already rotated rotated back,
 * best effort, before the error is thrown: the node, still on its old certificate, then finds itself
 * in every channel again. Returns the channels updated.
 */
export async function rotateConsenterCertificate(network: NetworkLayout, orderer: NodeLayout, oldTlsCert: Uint8Array, newTlsCert: Uint8Array, progress: Progress): Promise<ChannelUpdated[]> {
  // Every channel read and checked before the first update: an error here changes nothing.
  const channels: ChannelConfigState[] = [];
  for (const name of await servedChannels(network, orderer, progress)) {
    const state = await configState(network, orderer, name, progress);
    if (consenterIndex(state.current, oldTlsCert) !== undefined) channels.push(state);
    else progress(`channel ${name}: its ${state.current.consensusType.type} config names no consenter with ${orderer.id}'s TLS key: left as it is`);
  }
  // The one that failed is among them: it may have taken the update and failed only to show it.
  const attempted: string[] = [];
  const updated: ChannelUpdated[] = [];
  try {
    for (const state of channels) {
      attempted.push(state.current.channelId);
      updated.push(await replaceConsenterCertificate(network, orderer, state, oldTlsCert, newTlsCert, `${orderer.id}'s new consenter TLS certificate`, progress));
    }
  } catch (err) {
    await rotateBack(network, orderer, attempted, oldTlsCert, newTlsCert, progress);
    throw err;
  }
  return updated;
}

/** Puts the old certificate back in those of `channels` that name the new one; says in progress where that failed too. */
async function rotateBack(network: NetworkLayout, orderer: NodeLayout, channels: readonly string[], oldTlsCert: Uint8Array, newTlsCert: Uint8Array, progress: Progress): Promise<void> {
  for (const channel of channels) {
    try {
      const state = await configState(network, orderer, channel, progress);
      if (consenterIndex(state.current, newTlsCert) === undefined) continue;
      await replaceConsenterCertificate(network, orderer, state, newTlsCert, oldTlsCert, 'the consenter TLS certificate put back', progress);
    } catch (err) {
      progress(`channel ${channel}: could not put the old consenter certificate back (${(err as Error).message}): the orderer serves it again only once it runs with the new certificate`);
    }
  }
}

/** The channel's current config as `orderer` holds it, read as the orderer org's Admin, with the layout that reaches it through that orderer. */
async function configState(network: NetworkLayout, orderer: NodeLayout, channel: string, progress: Progress): Promise<ChannelConfigState> {
  const read = await ordererBlock(readingThroughOrderer(network, orderer, channel), loadClientIdentity(network.ordererAdmin()), 'config');
  const current = parseConfigBlock(read.bytes);
  return { layout: await channelThroughOrderer(network, orderer, current, progress), current, block: read.number };
}

/**
 * Submits the channel's config with the consenter of `fromCert`'s key given `toCert`, waiting for
 * this directory's peers of the channel (see {@link submitConfigEdit}) and for the orderer, which a
 * channel no peer here joined leaves as the one place to see the config block.
 */
async function replaceConsenterCertificate(network: NetworkLayout, orderer: NodeLayout, state: ChannelConfigState, fromCert: Uint8Array, toCert: Uint8Array, what: string, progress: Progress): Promise<ChannelUpdated> {
  const channel = state.current.channelId;
  const rerun = network.channels().some((c) => c.name === channel)
    ? `see the channel's consenter: weft channel info ${shellWord(network.dir)} --channel ${channel}`
    : `see whether ${orderer.id} took it: its log, ${orderer.logFile}`;
  const updated = await submitConfigEdit(network, state, withConsenterCertificate(state.current, fromCert, toCert), what, progress, { code: 'CONSENTER_ROTATION_UNCONFIRMED', rerun });
  let configBlock: number;
  try {
    configBlock = (await waitForOrdererConfigBlock(state.layout, orderer, loadClientIdentity(network.ordererAdmin()), state.block, CONFIG_BLOCK_TIMEOUT_MS)).number;
  } catch (err) {
    throw new WeftError('CONSENTER_ROTATION_UNCONFIRMED', `channel ${channel} took ${what}, but ${orderer.id} did not show the config block: ${(err as Error).message}`, {
      channel,
      suggestions: [rerun],
    }, { cause: err });
  }
  return { ...updated, configBlock: updated.configBlock ?? configBlock };
}

/** The index of the consenter of an etcdraft config whose server TLS certificate has `tlsCert`'s key; undefined for another type or none. */
function consenterIndex(config: ParsedChannelConfig, tlsCert: Uint8Array): number | undefined {
  if (config.consensusType.type !== ETCDRAFT_CONSENSUS_TYPE) return undefined;
  const index = decodeEtcdraftMetadata(config.consensusType.metadata).getConsentersList().findIndex((c) => sameCertificateKey(c.getServerTlsCert_asU8(), tlsCert));
  return index < 0 ? undefined : index;
}

/** A copy of the config whose consenter with `fromCert`'s key has `toCert` as client and server TLS certificate; the ConsensusType value keeps its version and mod_policy. */
function withConsenterCertificate(current: ParsedChannelConfig, fromCert: Uint8Array, toCert: Uint8Array): Config {
  const index = consenterIndex(current, fromCert);
  if (index === undefined) {
    throw new WeftError('CONSENTER_NOT_FOUND', `channel ${current.channelId}: no etcdraft consenter has the certificate to replace`, { channel: current.channelId });
  }
  const metadata = decodeEtcdraftMetadata(current.consensusType.metadata);
  const consenter = metadata.getConsentersList()[index]!;
  consenter.setClientTlsCert(toCert);
  consenter.setServerTlsCert(toCert);
  const next = Config.deserializeBinary(current.config.serializeBinary());
  const orderer = next.getChannelGroup()!.getGroupsMap().get('Orderer');
  const type = ConsensusType.deserializeBinary(orderer!.getValuesMap().get('ConsensusType')!.getValue_asU8());
  type.setMetadata(metadata.serializeBinary());
  setOrdererValue(orderer, 'ConsensusType', type.serializeBinary(), current.channelId);
  return next;
}
