import { Config, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConsensusType } from '@hyperledger/fabric-protos/lib/orderer/configuration_pb';
import { WeftError } from '../../../core/errors';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { ETCDRAFT_CONSENSUS_TYPE, decodeEtcdraftMetadata, sameCertificateKey } from '../../../core/protocol/etcdraft-config';
import { fetchBlock } from '../block/block-source';
import { type ChannelConfigState, submitConfigEdit } from './config-update-submit';
import type { Progress } from './network-access';
import type { NetworkLayout, NodeLayout } from './network-layout';
import type { ChannelUpdated } from './org-msp-channels';

/** One channel whose etcdraft consenter is the orderer being renewed, as its config stands now. */
interface ConsenterChannel extends ChannelConfigState {
  readonly channel: string;
}

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
  const channels: ConsenterChannel[] = [];
  for (const channel of network.channels()) {
    const layout = network.forChannel(channel.name);
    const fetched = await fetchBlock(layout, 'config');
    const current = parseConfigBlock(fetched.bytes);
    if (consenterIndex(current, oldTlsCert) === undefined) continue;
    channels.push({ channel: channel.name, layout, current, block: fetched.number });
  }
  const done: ChannelUpdated[] = [];
  const what = `${orderer.id}'s new consenter TLS certificate`;
  try {
    for (const state of channels) {
      const failure = { code: 'CONSENTER_ROTATION_UNCONFIRMED', rerun: `see the channel's consenter: weft channel info ${network.dir} --channel ${state.channel}` };
      done.push(await submitConfigEdit(network, state, withConsenterCertificate(state.current, oldTlsCert, newTlsCert), what, progress, failure));
    }
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
      const layout = network.forChannel(channel);
      const fetched = await fetchBlock(layout, 'config');
      const current = parseConfigBlock(fetched.bytes);
      const state = { layout, current, block: fetched.number };
      const rerun = `see the channel's consenter: weft channel info ${network.dir} --channel ${channel}`;
      await submitConfigEdit(network, state, withConsenterCertificate(current, newTlsCert, oldTlsCert), 'the consenter TLS certificate put back', progress, { code: 'CONSENTER_ROTATION_UNCONFIRMED', rerun });
    } catch (err) {
      progress(`channel ${channel}: could not put the old consenter certificate back (${(err as Error).message}): the orderer serves it again only once it runs with the new certificate`);
    }
  }
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
  const values = next.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap();
  const old = values.get('ConsensusType')!;
  const type = ConsensusType.deserializeBinary(old.getValue_asU8());
  type.setMetadata(metadata.serializeBinary());
  const value = new ConfigValue();
  value.setVersion(old.getVersion());
  value.setModPolicy(old.getModPolicy());
  value.setValue(type.serializeBinary());
  values.set('ConsensusType', value);
  return next;
}
