import { Envelope, HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { Config, ConfigEnvelope, ConfigUpdate, ConfigUpdateEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ConfigUpdateValidator } from '../../../core/orderer/config-update';
import type { PolicyManager } from '../../../core/policy/policy';
import { computeConfigUpdate, configSignature } from '../../../core/protocol/config-update-compute';
import { buildEnvelope, parseEnvelope } from '../../../core/protocol/envelope';
import type { Signer } from '../../../core/protocol/signer';

/**
 * The CONFIG_UPDATE envelope taking `current` to `next` (as `configtxlator compute_update` would
 * write it), signed by `admins` and submitted by `submitter`.
 */
export function configUpdate(channelId: string, current: Config, next: Config, admins: readonly Signer[], submitter: Signer): Uint8Array {
  return signedConfigUpdate(channelId, computeConfigUpdate(channelId, current, next), admins, submitter);
}

/** The CONFIG_UPDATE envelope carrying `update` with a `ConfigSignature` of each of `signers`, submitted by `submitter`. */
export function signedConfigUpdate(channelId: string, update: ConfigUpdate, signers: readonly Signer[], submitter: Signer): Uint8Array {
  const updateBytes = update.serializeBinary();
  const envelope = new ConfigUpdateEnvelope();
  envelope.setConfigUpdate(updateBytes);
  for (const signer of signers) envelope.addSignatures(configSignature(signer, updateBytes));
  return buildEnvelope({ type: HeaderType.CONFIG_UPDATE, channelId, data: envelope.serializeBinary(), signer: submitter });
}

/** The CONFIG envelope an orderer orders for `update`: the resulting `config` and the update itself. */
export function configTransaction(channelId: string, config: Config, update: Uint8Array, orderer: Signer): Uint8Array {
  const ce = new ConfigEnvelope();
  ce.setConfig(config);
  ce.setLastUpdate(Envelope.deserializeBinary(update));
  return buildEnvelope({ type: HeaderType.CONFIG, channelId, data: ce.serializeBinary(), signer: orderer, txId: '' });
}

/** What an orderer makes of `update` on a channel at `current`: the CONFIG envelope with the config the update produces. */
export function orderedConfigUpdate(channelId: string, current: Config, policies: PolicyManager, update: Uint8Array, orderer: Signer): Uint8Array {
  const next = new ConfigUpdateValidator(channelId, current, policies).propose(parseEnvelope(update).data);
  return configTransaction(channelId, next, update, orderer);
}
