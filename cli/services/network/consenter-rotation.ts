import { Config } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { WeftError } from '../../../core/errors';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { ETCDRAFT_CONSENSUS_TYPE, decodeEtcdraftMetadata, sameCertificateKey } from '../../../core/protocol/etcdraft-config';
import { fetchBlock } from '../block/block-source';
import { setOrdererValue } from './channel-config-edit';
import { type ChannelConfigState, submitConfigEdit } from './config-update-submit';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { ChannelUpdated } from './org-msp-channels';

/**
 * Fabric's certificate rotation of a Raft consenter, done before the node switches: in every etcdraft
 * channel of the network that names `orderer` as its consenter (found by the public key of
 * `oldTlsCert`, as the orderer finds itself), a config update signed by the orderer org's Admin
 * replaces that consenter's client and server TLS certificates with `newTlsCert` (host, port and
 * options kept). Each channel is read from this directory's nodes and waited for until its peers
 * here hold the new config block. A channel that refuses it leaves the ones already rotated rotated
 * back, best effort, before the error is thrown: the node, still on its old certificate, then finds
 * itself in every channel again. Returns the channels updated.
 */
export async function rotateConsenterCertificate(network: NetworkLayout, orderer: NodeLayout, oldTlsCert: Uint8Array, newTlsCert: Uint8Array, progress: Progress): Promise<ChannelUpdated[]> {
  const channels: ChannelConfigState[] = [];
  for (const channel of network.channels()) {
    const state = await configState(network, channel.name);
    if (consenterIndex(state.current, oldTlsCert) !== undefined) channels.push(state);
  }
  const done: ChannelUpdated[] = [];
  try {
    for (const state of channels) done.push(await replaceConsenterCertificate(network, state, oldTlsCert, newTlsCert, `${orderer.id}'s new consenter TLS certificate`, progress));
  } catch (err) {
    await rotateBack(network, done, oldTlsCert, newTlsCert, progress);
    throw err;
  }
  return done;
}

/** Puts the old certificate back where {@link rotateConsenterCertificate} had replaced it; says in progress where that failed too. */
async function rotateBack(network: NetworkLayout, done: readonly ChannelUpdated[], oldTlsCert: Uint8Array, newTlsCert: Uint8Array, progress: Progress): Promise<void> {
  for (const { channel } of done) {
    try {
      await replaceConsenterCertificate(network, await configState(network, channel), newTlsCert, oldTlsCert, 'the consenter TLS certificate put back', progress);
    } catch (err) {
      progress(`channel ${channel}: could not put the old consenter certificate back (${(err as Error).message}): the orderer serves it again only once it runs with the new certificate`);
    }
  }
}

/** The channel's current config, read from this directory's nodes. */
async function configState(network: NetworkLayout, channel: string): Promise<ChannelConfigState> {
  const layout = network.forChannel(channel);
  const fetched = await fetchBlock(layout, 'config');
  return { layout, current: parseConfigBlock(fetched.bytes), block: fetched.number };
}

/** Submits the channel's config with the consenter of `fromCert`'s key given `toCert`, waiting for this directory's peers. */
function replaceConsenterCertificate(network: NetworkLayout, state: ChannelConfigState, fromCert: Uint8Array, toCert: Uint8Array, what: string, progress: Progress): Promise<ChannelUpdated> {
  const rerun = `see the channel's consenter: weft channel info ${network.dir} --channel ${state.current.channelId}`;
  return submitConfigEdit(network, state, withConsenterCertificate(state.current, fromCert, toCert), what, progress, { code: 'CONSENTER_ROTATION_UNCONFIRMED', rerun });
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
