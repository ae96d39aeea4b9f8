import type { ConfigGroup } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { ProtocolError } from '../errors';
import { ProtocolErrorCode, guard } from './bounded-decode';
import { canonicalBytes, type Schema } from './config-decode';
import {
  ACLsSchema,
  AnchorPeersSchema,
  BatchSizeSchema,
  BatchTimeoutSchema,
  BlockDataHashingStructureSchema,
  CapabilitiesSchema,
  ChannelRestrictionsSchema,
  ConsensusTypeSchema,
  ConsortiumSchema,
  HashingAlgorithmSchema,
  KafkaBrokersSchema,
  MSPConfigSchema,
  OrdererAddressesSchema,
  OrderersSchema,
} from './config-schemas';

/**
 * The value keys each kind of group may hold and the proto each decodes as: Fabric's
 * `ChannelProtos`, `OrdererProtos`, `ApplicationProtos`, `OrdererOrgProtos`+`OrganizationProtos`
 * and `ApplicationOrgProtos`+`OrganizationProtos` (common/channelconfig). `NewBundle` decodes every
 * value of a group through `DeserializeProtoValuesFromGroup`, which refuses any other key
 * ("Unexpected key") and any value that does not unmarshal, used or not.
 */
const VALUES: Readonly<Record<'channel' | 'orderer' | 'application' | 'ordererOrg' | 'applicationOrg', Readonly<Record<string, Schema>>>> = {
  channel: {
    HashingAlgorithm: HashingAlgorithmSchema,
    BlockDataHashingStructure: BlockDataHashingStructureSchema,
    OrdererAddresses: OrdererAddressesSchema,
    Orderers: OrderersSchema,
    Consortium: ConsortiumSchema,
    Capabilities: CapabilitiesSchema,
  },
  orderer: {
    ConsensusType: ConsensusTypeSchema,
    BatchSize: BatchSizeSchema,
    BatchTimeout: BatchTimeoutSchema,
    KafkaBrokers: KafkaBrokersSchema,
    ChannelRestrictions: ChannelRestrictionsSchema,
    Orderers: OrderersSchema,
    Capabilities: CapabilitiesSchema,
  },
  application: { ACLs: ACLsSchema, Capabilities: CapabilitiesSchema },
  ordererOrg: { Endpoints: OrdererAddressesSchema, MSP: MSPConfigSchema },
  applicationOrg: { AnchorPeers: AnchorPeersSchema, MSP: MSPConfigSchema },
};

export type GroupKind = keyof typeof VALUES;

export function ruleError(path: string, problem: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.BadField, `${path}: ${problem}`, { path });
}

/**
 * Checks a group's value keys and decodes each value as protobuf-go would (`Unexpected key`, or
 * the unmarshal error), and, for an org, that it has no sub-groups. Throws `ProtocolError`.
 */
export function checkGroupValues(group: ConfigGroup, kind: GroupKind, path: string): void {
  const allowed = VALUES[kind];
  for (const [key, value] of guard(path, () => [...group.getValuesMap().entries()])) {
    const schema = Object.prototype.hasOwnProperty.call(allowed, key) ? allowed[key] : undefined;
    if (schema === undefined) {
      throw ruleError(`${path}/${key}`, `Unexpected key ${key} (a ${kind} group holds only ${Object.keys(allowed).join(', ')})`);
    }
    canonicalBytes(guard(`${path}/${key}`, () => value.getValue_asU8()), schema, `${path}/${key}`);
  }
  if ((kind === 'ordererOrg' || kind === 'applicationOrg') && guard(path, () => group.getGroupsMap().getLength()) > 0) {
    throw ruleError(path, `${kind === 'ordererOrg' ? 'OrdererOrg' : 'ApplicationOrg'} config does not allow sub-groups`);
  }
}

/** Channel capabilities with Fabric's `OrgSpecificOrdererEndpoints` (V1_4_2 and later). */
export function orgSpecificOrdererEndpoints(channelCapabilities: readonly string[]): boolean {
  return channelCapabilities.some((c) => c === 'V1_4_2' || c === 'V1_4_3' || c === 'V2_0' || c === 'V3_0');
}

/** Application capabilities with Fabric's `ACLs` (V1_2 and later). */
export function applicationAcls(applicationCapabilities: readonly string[]): boolean {
  return applicationCapabilities.some((c) => c === 'V1_2' || c === 'V1_3' || c === 'V1_4_2' || c === 'V2_0' || c === 'V2_5');
}

/**
 * Fabric's `preValidate`: channel or application capabilities cannot be enabled while the Orderer
 * group has none (an orderer that cannot enforce them would order blocks under other rules).
 */
export function checkCapabilityOrder(root: ConfigGroup): void {
  const groups = guard('/Channel', () => root.getGroupsMap());
  const orderer = groups.get('Orderer');
  if (orderer === undefined || guard('/Channel/Orderer', () => orderer.getValuesMap().has('Capabilities'))) return;
  if (guard('/Channel', () => root.getValuesMap().has('Capabilities'))) {
    throw ruleError('/Channel/Capabilities', 'cannot enable channel capabilities without orderer support first');
  }
  const application = groups.get('Application');
  if (application !== undefined && guard('/Channel/Application', () => application.getValuesMap().has('Capabilities'))) {
    throw ruleError('/Channel/Application/Capabilities', 'cannot enable application capabilities without orderer support first');
  }
}
