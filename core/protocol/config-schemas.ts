import type { FieldSpec, Schema } from './config-decode';

/*
 * The proto3 message types of a channel config, as fabric-protos declares them, for the
 * protobuf-go-conformant decoder (`config-decode.ts`). Field numbers and types follow
 * common/configtx.proto, common/configuration.proto, orderer/configuration.proto,
 * peer/configuration.proto and msp/msp_config.proto.
 */

const bytes: FieldSpec = { kind: 'bytes' };
const string: FieldSpec = { kind: 'string' };
const uint64: FieldSpec = { kind: 'uint64' };
const uint32: FieldSpec = { kind: 'uint32' };
const int32: FieldSpec = { kind: 'int32' };
const repeatedBytes: FieldSpec = { kind: 'bytes', card: 'repeated' };
const repeatedString: FieldSpec = { kind: 'string', card: 'repeated' };

export const EnvelopeSchema: Schema = { name: 'common.Envelope', fields: { 1: bytes, 2: bytes } };
export const PolicySchema: Schema = { name: 'common.Policy', fields: { 1: int32, 2: bytes } };
export const ConfigValueSchema: Schema = { name: 'common.ConfigValue', fields: { 1: uint64, 2: bytes, 3: string } };
export const ConfigPolicySchema: Schema = { name: 'common.ConfigPolicy', fields: { 1: uint64, 2: { kind: PolicySchema }, 3: string } };

const configGroupFields: Record<number, FieldSpec> = {};
/** `common.ConfigGroup`: recursive through its `groups` map. */
export const ConfigGroupSchema: Schema = { name: 'common.ConfigGroup', fields: configGroupFields };
Object.assign(configGroupFields, {
  1: uint64,
  2: { kind: ConfigGroupSchema, card: 'map' },
  3: { kind: ConfigValueSchema, card: 'map' },
  4: { kind: ConfigPolicySchema, card: 'map' },
  5: string,
});

export const ConfigSchema: Schema = { name: 'common.Config', fields: { 1: uint64, 2: { kind: ConfigGroupSchema } } };
export const ConfigEnvelopeSchema: Schema = { name: 'common.ConfigEnvelope', fields: { 1: { kind: ConfigSchema }, 2: { kind: EnvelopeSchema } } };

// /Channel values (channelconfig.ChannelProtos).
export const HashingAlgorithmSchema: Schema = { name: 'common.HashingAlgorithm', fields: { 1: string } };
export const BlockDataHashingStructureSchema: Schema = { name: 'common.BlockDataHashingStructure', fields: { 1: uint32 } };
export const OrdererAddressesSchema: Schema = { name: 'common.OrdererAddresses', fields: { 1: repeatedString } };
export const ConsortiumSchema: Schema = { name: 'common.Consortium', fields: { 1: string } };
const CapabilitySchema: Schema = { name: 'common.Capability', fields: {} };
export const CapabilitiesSchema: Schema = { name: 'common.Capabilities', fields: { 1: { kind: CapabilitySchema, card: 'map' } } };
const ConsenterSchema: Schema = { name: 'common.Consenter', fields: { 1: uint32, 2: string, 3: uint32, 4: string, 5: bytes, 6: bytes, 7: bytes } };
export const OrderersSchema: Schema = { name: 'common.Orderers', fields: { 1: { kind: ConsenterSchema, card: 'repeated' } } };

// /Channel/Orderer values (channelconfig.OrdererProtos).
export const ConsensusTypeSchema: Schema = { name: 'orderer.ConsensusType', fields: { 1: string, 2: bytes, 3: int32 } };
export const BatchSizeSchema: Schema = { name: 'orderer.BatchSize', fields: { 1: uint32, 2: uint32, 3: uint32 } };
export const BatchTimeoutSchema: Schema = { name: 'orderer.BatchTimeout', fields: { 1: string } };
export const KafkaBrokersSchema: Schema = { name: 'orderer.KafkaBrokers', fields: { 1: repeatedString } };
export const ChannelRestrictionsSchema: Schema = { name: 'orderer.ChannelRestrictions', fields: { 1: uint64 } };
/** `orderer.smartbft.Options`: a BFT channel's `ConsensusType.metadata` (orderer/smartbft/configuration.proto). */
export const SmartBftOptionsSchema: Schema = {
  name: 'orderer.smartbft.Options',
  fields: {
    1: uint64,
    2: uint64,
    3: string,
    4: uint64,
    5: uint64,
    6: string,
    7: string,
    8: string,
    9: uint64,
    10: string,
    11: string,
    12: string,
    13: uint64,
    14: string,
    15: { kind: 'bool' },
    16: { kind: 'bool' },
    17: int32,
    18: uint64,
  },
};

/** `orderer.etcdraft.ConfigMetadata`: an etcdraft channel's `ConsensusType.metadata` (orderer/etcdraft/configuration.proto). */
export const EtcdraftConfigMetadataSchema: Schema = {
  name: 'orderer.etcdraft.ConfigMetadata',
  fields: {
    1: { kind: { name: 'orderer.etcdraft.Consenter', fields: { 1: string, 2: uint32, 3: bytes, 4: bytes } }, card: 'repeated' },
    2: { kind: { name: 'orderer.etcdraft.Options', fields: { 1: string, 2: uint32, 3: uint32, 4: uint32, 5: uint32 } } },
  },
};

// /Channel/Application values and org values.
const APIResourceSchema: Schema = { name: 'protos.APIResource', fields: { 1: string } };
export const ACLsSchema: Schema = { name: 'protos.ACLs', fields: { 1: { kind: APIResourceSchema, card: 'map' } } };
const AnchorPeerSchema: Schema = { name: 'protos.AnchorPeer', fields: { 1: string, 2: int32 } };
export const AnchorPeersSchema: Schema = { name: 'protos.AnchorPeers', fields: { 1: { kind: AnchorPeerSchema, card: 'repeated' } } };

// MSP config (msp.MSPConfig and, for type FABRIC, its msp.FabricMSPConfig).
export const MSPConfigSchema: Schema = { name: 'msp.MSPConfig', fields: { 1: int32, 2: bytes } };
const KeyInfoSchema: Schema = { name: 'msp.KeyInfo', fields: { 1: string, 2: bytes } };
const SigningIdentityInfoSchema: Schema = { name: 'msp.SigningIdentityInfo', fields: { 1: bytes, 2: { kind: KeyInfoSchema } } };
const FabricOUIdentifierSchema: Schema = { name: 'msp.FabricOUIdentifier', fields: { 1: bytes, 2: string } };
const FabricCryptoConfigSchema: Schema = { name: 'msp.FabricCryptoConfig', fields: { 1: string, 2: string } };
const ou: FieldSpec = { kind: FabricOUIdentifierSchema };
const FabricNodeOUsSchema: Schema = { name: 'msp.FabricNodeOUs', fields: { 1: { kind: 'bool' }, 2: ou, 3: ou, 4: ou, 5: ou } };
export const FabricMSPConfigSchema: Schema = {
  name: 'msp.FabricMSPConfig',
  fields: {
    1: string,
    2: repeatedBytes,
    3: repeatedBytes,
    4: repeatedBytes,
    5: repeatedBytes,
    6: { kind: SigningIdentityInfoSchema },
    7: { kind: FabricOUIdentifierSchema, card: 'repeated' },
    8: { kind: FabricCryptoConfigSchema },
    9: repeatedBytes,
    10: repeatedBytes,
    11: { kind: FabricNodeOUsSchema },
  },
};

// Principals (msp/msp_principal.proto, msp/identities.proto): the bytes of an `MSPPrincipal.principal`
// in a channel config's or a chaincode's signature policy, by its classification.
export const MSPRoleSchema: Schema = { name: 'common.MSPRole', fields: { 1: string, 2: int32 } };
export const OrganizationUnitSchema: Schema = { name: 'common.OrganizationUnit', fields: { 1: string, 2: string, 3: bytes } };
export const SerializedIdentitySchema: Schema = { name: 'msp.SerializedIdentity', fields: { 1: string, 2: bytes } };
export const MSPIdentityAnonymitySchema: Schema = { name: 'common.MSPIdentityAnonymity', fields: { 1: int32 } };
const MSPPrincipalSchema: Schema = { name: 'common.MSPPrincipal', fields: { 1: int32, 2: bytes } };
export const CombinedPrincipalSchema: Schema = { name: 'common.CombinedPrincipal', fields: { 1: { kind: MSPPrincipalSchema, card: 'repeated' } } };

// A config update (common/configtx.proto), as the orderer and every peer's configtx validator read it.
export const ConfigSignatureSchema: Schema = { name: 'common.ConfigSignature', fields: { 1: bytes, 2: bytes } };
export const ConfigUpdateEnvelopeSchema: Schema = {
  name: 'common.ConfigUpdateEnvelope',
  fields: { 1: bytes, 2: { kind: ConfigSignatureSchema, card: 'repeated' } },
};
export const ConfigUpdateSchema: Schema = {
  name: 'common.ConfigUpdate',
  fields: { 1: string, 2: { kind: ConfigGroupSchema }, 3: { kind: ConfigGroupSchema }, 5: { kind: 'bytes', card: 'map' } },
};
