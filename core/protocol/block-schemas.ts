import type { FieldSpec, Schema } from './config-decode';

/*
 * The proto3 messages inside a block's metadata slots, as common/common.proto declares them, for
 * the protobuf-go-conformant decoder (`config-decode.ts`). A Fabric peer reads them with
 * `proto.Unmarshal` (protoutil/blockutils.go `GetMetadataFromBlock`, `GetLastConfigIndexFromBlock`,
 * `BlockSignatureVerifier`); an orderer writes them, so their bytes are another node's. The block
 * itself, its header, data and metadata list are read by `block.ts` straight from the wire.
 */

const bytes: FieldSpec = { kind: 'bytes' };

export const LastConfigSchema: Schema = { name: 'common.LastConfig', fields: { 1: { kind: 'uint64' } } };
export const MetadataSignatureSchema: Schema = { name: 'common.MetadataSignature', fields: { 1: bytes, 2: bytes, 3: bytes } };
export const MetadataSchema: Schema = { name: 'common.Metadata', fields: { 1: bytes, 2: { kind: MetadataSignatureSchema, card: 'repeated' } } };
export const OrdererBlockMetadataSchema: Schema = { name: 'common.OrdererBlockMetadata', fields: { 1: { kind: LastConfigSchema }, 2: bytes } };
export const SignatureHeaderSchema: Schema = { name: 'common.SignatureHeader', fields: { 1: bytes, 2: bytes } };
export const IdentifierHeaderSchema: Schema = { name: 'common.IdentifierHeader', fields: { 1: { kind: 'uint32' }, 2: bytes } };
