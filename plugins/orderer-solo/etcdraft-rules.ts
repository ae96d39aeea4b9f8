import type { ConfigMetadata, Consenter } from '@hyperledger/fabric-protos/lib/orderer/etcdraft/configuration_pb';
import type { ConsenterChannelView } from '../../core/orderer/consenter';
import { bytesEqual } from '../../core/protocol/bytes';
import { readChannelConfig } from '../../core/protocol/config-parse';
import { ETCDRAFT_CONSENSUS_TYPE, consenterCertificateProblem, consenterTlsTrust, decodeEtcdraftMetadata, etcdraftMetadataProblem, sameCertificateKey } from '../../core/protocol/etcdraft-config';

const METADATA = '/Channel/Orderer/ConsensusType.metadata';
const ALONE = "Weft's orderer orders alone: an etcdraft channel it serves lists exactly one consenter, this orderer (a single-node Raft, which orders as solo does)";

/**
 * Why this orderer cannot serve an etcdraft channel configured as `config`: metadata that does not
 * decode as `etcdraft.ConfigMetadata` or has no options (what Fabric's etcdraft `HandleChain`
 * refuses; like it, certificates are not verified here, a config update checks them), a consenter
 * set other than one consenter, or a consenter that is not this node, which Fabric's etcdraft finds
 * by the public key of its server TLS certificate (`detectSelfID`). Undefined for a channel of
 * another type, or one this node can order alone.
 */
export function etcdraftChannelProblem(config: ConsenterChannelView, serverTlsCert: Uint8Array | undefined): string | undefined {
  if (config.orderer.consensusType !== ETCDRAFT_CONSENSUS_TYPE) return undefined;
  const decoded = decodeMetadata(config, 'failed to unmarshal consensus metadata');
  if (typeof decoded === 'string') return decoded;
  const consenters = decoded.getConsentersList();
  if (consenters.length !== 1) {
    return `${METADATA} lists ${consenters.length} consenters (${consenters.map(address).join(', ') || 'none'}); ${ALONE}`;
  }
  const only = consenters[0]!;
  if (serverTlsCert === undefined) return `${METADATA} names consenter ${address(only)}, but this orderer has no server TLS certificate to recognise itself by`;
  if (!sameCertificateKey(only.getServerTlsCert_asU8(), serverTlsCert)) {
    return `${METADATA} names consenter ${address(only)}, whose server TLS certificate has another public key than the certificate this orderer serves with, so it is another node; ${ALONE}, and cannot follow a channel other nodes order`;
  }
  return undefined;
}

/**
 * Fabric's etcdraft `ValidateConsensusMetadata` for a config update of an etcdraft channel, with its
 * wording, narrowed to one consenter: the new metadata must decode and pass `VerifyConfigMetadata`
 * against the new config's orderer TLS CAs; options may change; the one consenter may be replaced
 * by a consenter with other TLS certificates (certificate rotation: Fabric's one added and one
 * removed node), whose certificates must not be expired; adding or removing consenters is refused.
 */
export function etcdraftUpdateProblem(current: ConsenterChannelView, next: ConsenterChannelView): string | undefined {
  if (next.orderer.consensusType !== ETCDRAFT_CONSENSUS_TYPE || current.orderer.consensusType !== ETCDRAFT_CONSENSUS_TYPE) return undefined;
  const after = decodeMetadata(next, 'failed to unmarshal new etcdraft metadata configuration');
  if (typeof after === 'string') return after;
  const trust = consenterTlsTrust(readChannelConfig(next.config, next.configBytes, next.channelId));
  const invalid = etcdraftMetadataProblem(after, trust);
  if (invalid !== undefined) return `invalid new config metadata: ${invalid}`;
  const consenters = after.getConsentersList();
  if (consenters.length !== 1) {
    return `the update lists ${consenters.length} consenters (${consenters.map(address).join(', ')}): adding consenters is not supported; ${ALONE}`;
  }
  const before = decodeMetadata(current, 'failed to unmarshal current etcdraft metadata configuration');
  if (typeof before === 'string') return before;
  const rotated = before.getConsentersList().every((c) => !bytesEqual(c.getClientTlsCert_asU8(), consenters[0]!.getClientTlsCert_asU8()));
  if (!rotated) return undefined;
  // Fabric checks an added node's certificates with their expiry, which VerifyConfigMetadata ignores.
  const expired = consenterCertificateProblem(consenters[0]!, trust, true);
  return expired === undefined ? undefined : `consenter ${address(consenters[0]!)} has invalid certificates: ${expired}`;
}

function decodeMetadata(config: ConsenterChannelView, failure: string): ConfigMetadata | string {
  let md: ConfigMetadata;
  try {
    md = decodeEtcdraftMetadata(config.orderer.consensusMetadata);
  } catch (err) {
    return `${failure}: ${(err as Error).message}`;
  }
  if (md.getOptions() === undefined) return `${METADATA}: etcdraft options have not been provided`;
  return md;
}

function address(c: Consenter): string {
  return `${c.getHost()}:${c.getPort()}`;
}
