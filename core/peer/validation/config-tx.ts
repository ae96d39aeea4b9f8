import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConfigUpdateValidator, sameConfig } from '../../orderer/config-update';
import { parseEnvelope } from '../../protocol/envelope';
import type { ChannelResources } from '../channel/channel-resources';
import { decodeConfigProto, unknownFields } from '../../protocol/config-decode';
import { ConfigEnvelopeSchema, ConfigSchema } from '../../protocol/config-schemas';

/**
 * Fabric's committer check of a CONFIG transaction (`configtx.Validator.Validate`): its
 * `last_update` must apply to this peer's current config (read-set versions, each changed element
 * at version+1, each element's current `mod_policy` satisfied by the update's signatures) and must
 * produce exactly the config the envelope carries. So a config change needs its admins' signatures
 * even if an orderer would order a forged one. `configEnvelope` is the `ConfigEnvelope` bytes as
 * received: the update's signatures are checked over its own bytes, never re-encoded ones. Returns
 * why it fails, or undefined when it passes.
 */
export function configTransactionProblem(configEnvelope: Uint8Array, resources: ChannelResources): string | undefined {
  let config: Config | undefined;
  let lastUpdate: Uint8Array | undefined;
  try {
    // As protobuf-go decodes it on a Fabric peer; the update's payload bytes, which its signatures cover, pass through unchanged.
    const envelope = decodeConfigProto(ConfigEnvelope, ConfigEnvelopeSchema, configEnvelope, 'config_envelope');
    config = envelope.getConfig();
    lastUpdate = envelope.getLastUpdate()?.serializeBinary();
  } catch (err) {
    return `config envelope does not parse: ${(err as Error).message}`;
  }
  if (lastUpdate === undefined || config === undefined) return 'a config envelope must carry its config and the last_update that produced it';
  let update;
  try {
    update = parseEnvelope(lastUpdate, { path: 'config_envelope.last_update', types: [HeaderType.CONFIG_UPDATE] });
  } catch (err) {
    return `config_envelope.last_update: ${(err as Error).message}`;
  }
  const channelId = resources.config.channelId;
  let next: Config;
  try {
    next = new ConfigUpdateValidator(channelId, decodeConfigProto(Config, ConfigSchema, resources.config.configBytes, 'config'), resources.policies).propose(update.data);
  } catch (err) {
    return `config_envelope.last_update does not apply to the current config: ${(err as Error).message}`;
  }
  const unknown = unknownCarriedFields(configEnvelope);
  if (unknown !== undefined) return unknown;
  // A carried config the comparison cannot walk (an illegal element name, nesting too deep) is a
  // defect of this transaction, not a reason to stop committing the channel.
  try {
    if (!sameConfig(next, config)) return 'config_envelope.last_update did not produce the supplied config result';
  } catch (err) {
    return `config_envelope.config: ${(err as Error).message}`;
  }
  return undefined;
}

/**
 * Fabric compares the carried channel group with the one the update produces by `proto.Equal`,
 * unknown fields included. Weft's decoding drops them, so a carried config holding any (a field
 * with another wire type is one too) is refused here as a Fabric peer refuses it: Weft's orderers
 * never write one, and the unknown fields of a Fabric orderer's result come from an update whose
 * fields Weft cannot carry into the config anyway.
 */
function unknownCarriedFields(configEnvelope: Uint8Array): string | undefined {
  const carried = unknownFields(configEnvelope, ConfigEnvelopeSchema, 'config_envelope').find((p) => p.startsWith('config_envelope.1.2.'));
  return carried === undefined ? undefined : `config_envelope.config carries an unknown field at ${carried} (field numbers): it is not the config the update produces`;
}
