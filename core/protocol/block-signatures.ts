import {
  Block,
  IdentifierHeader,
  LastConfig,
  Metadata,
  MetadataSignature,
  OrdererBlockMetadata,
  SignatureHeader,
} from '@hyperledger/fabric-protos/lib/common/common_pb';
import type { SignedData } from '../policy/policy';
import { concatBytes } from './bytes';
import { guard, requireMessage } from './bounded-decode';
import { type BftConsenter, consenterIdentity } from './bft-config';
import { IdentifierHeaderSchema, MetadataSchema, OrdererBlockMetadataSchema, SignatureHeaderSchema } from './block-schemas';
import { decodeConfigProto } from './config-decode';
import { BlockMetadataIndex, blockHeaderBytes, getBlockMetadata, lastConfigMetadata, setBlockMetadata } from './block';
import type { Signer } from './signer';
import { newNonce } from './txid';

/** `OrdererBlockMetadata{last_config{index}, consenter_metadata}` bytes: the SIGNATURES slot's value. */
export function ordererBlockMetadataValue(lastConfigIndex: number, consenterMetadata?: Uint8Array): Uint8Array {
  const lc = new LastConfig();
  lc.setIndex(lastConfigIndex);
  const obm = new OrdererBlockMetadata();
  obm.setLastConfig(lc);
  // The orderer wraps consenter metadata in a Metadata message (blockwriter.go addBlockSignature).
  const wrapped = new Metadata();
  if (consenterMetadata !== undefined) wrapped.setValue(consenterMetadata);
  obm.setConsenterMetadata(wrapped.serializeBinary());
  return obm.serializeBinary();
}

/** Options of {@link signBlock}. */
export interface SignBlockOptions {
  readonly lastConfigIndex: number;
  /** Consensus-specific metadata (e.g. Raft's block metadata); none for solo. */
  readonly consenterMetadata?: Uint8Array;
  /** Also write the LAST_CONFIG slot, as Fabric's block writer still does; default true. */
  readonly writeLastConfig?: boolean;
}

/**
 * Signs a block as Fabric's orderer block writer does: the SIGNATURES slot gets
 * `Metadata{value: OrdererBlockMetadata, signatures}`, each signature over
 * value ‖ signature_header ‖ block header DER bytes. Call after the header is final.
 */
export function signBlock(block: Block, signers: Signer | readonly Signer[], options: SignBlockOptions): void {
  const value = ordererBlockMetadataValue(options.lastConfigIndex, options.consenterMetadata);
  const headerBytes = blockHeaderBytes(requireMessage(block.getHeader(), 'block.header'));
  const md = new Metadata();
  md.setValue(value);
  for (const signer of Array.isArray(signers) ? signers : [signers as Signer]) {
    const shdr = new SignatureHeader();
    shdr.setCreator(signer.serialized);
    shdr.setNonce(newNonce());
    const shdrBytes = shdr.serializeBinary();
    const sig = new MetadataSignature();
    sig.setSignatureHeader(shdrBytes);
    sig.setSignature(signer.sign(concatBytes(value, shdrBytes, headerBytes)));
    md.addSignatures(sig);
  }
  setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, md.serializeBinary());
  if (options.writeLastConfig ?? true) {
    setBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata(options.lastConfigIndex));
  }
}

/** One signature of the SIGNATURES slot. */
export interface ParsedBlockSignature {
  readonly signatureHeader: Uint8Array;
  /** Creator from the signature header (empty when only an identifier header is present, BFT). */
  readonly creator: Uint8Array;
  readonly nonce: Uint8Array;
  readonly identifierHeader: Uint8Array;
  readonly signature: Uint8Array;
}

/** The decoded SIGNATURES slot. */
export interface ParsedBlockSignatures {
  /** `OrdererBlockMetadata` bytes as signed. */
  readonly value: Uint8Array;
  /** Undefined for an old block whose SIGNATURES value is empty. */
  readonly lastConfigIndex: number | undefined;
  readonly consenterMetadata: Uint8Array;
  readonly signatures: readonly ParsedBlockSignature[];
}

/** Decodes the SIGNATURES metadata slot of a block. */
export function parseBlockSignatures(block: Block): ParsedBlockSignatures {
  const path = 'block.metadata[SIGNATURES]';
  const md = decodeConfigProto(Metadata, MetadataSchema, getBlockMetadata(block, BlockMetadataIndex.SIGNATURES), path);
  const { value, sigs } = guard(path, () => ({ value: md.getValue_asU8(), sigs: md.getSignaturesList() }));
  let lastConfigIndex: number | undefined;
  let consenterMetadata: Uint8Array = new Uint8Array(0);
  if (value.length > 0) {
    const obm = decodeConfigProto(OrdererBlockMetadata, OrdererBlockMetadataSchema, value, `${path}.value`);
    guard(`${path}.value`, () => {
      lastConfigIndex = obm.getLastConfig()?.getIndex();
      consenterMetadata = obm.getConsenterMetadata_asU8();
    });
  }
  const signatures = sigs.map((s, i): ParsedBlockSignature => {
    const sPath = `${path}.signatures[${i}]`;
    const raw = guard(sPath, () => ({
      signatureHeader: s.getSignatureHeader_asU8(),
      identifierHeader: s.getIdentifierHeader_asU8(),
      signature: s.getSignature_asU8(),
    }));
    const shdr = decodeConfigProto(SignatureHeader, SignatureHeaderSchema, raw.signatureHeader, `${sPath}.signature_header`);
    return {
      ...raw,
      ...guard(`${sPath}.signature_header`, () => ({ creator: shdr.getCreator_asU8(), nonce: shdr.getNonce_asU8() })),
    };
  });
  return { value, lastConfigIndex, consenterMetadata, signatures };
}

/** A consenter signing a BFT block: its id in the channel's consenter mapping and its key. */
export interface BftBlockSigner {
  readonly id: number;
  readonly signer: Signer;
}

/**
 * Signs a block as a SmartBFT orderer does (`smartbft.Signer.SignProposal`): each consenter's
 * signature carries no signature header, only `IdentifierHeader{identifier: id, nonce}`, and
 * covers value ‖ identifier_header ‖ block header DER bytes. Call after the header is final.
 */
export function signBlockBft(block: Block, signers: readonly BftBlockSigner[], options: SignBlockOptions): void {
  const value = ordererBlockMetadataValue(options.lastConfigIndex, options.consenterMetadata);
  const headerBytes = blockHeaderBytes(requireMessage(block.getHeader(), 'block.header'));
  const md = new Metadata();
  md.setValue(value);
  for (const { id, signer } of signers) {
    const idHdr = new IdentifierHeader();
    idHdr.setIdentifier(id);
    idHdr.setNonce(newNonce());
    const idHdrBytes = idHdr.serializeBinary();
    const sig = new MetadataSignature();
    sig.setIdentifierHeader(idHdrBytes);
    sig.setSignature(signer.sign(concatBytes(value, idHdrBytes, headerBytes)));
    md.addSignatures(sig);
  }
  setBlockMetadata(block, BlockMetadataIndex.SIGNATURES, md.serializeBinary());
  if (options.writeLastConfig ?? true) {
    setBlockMetadata(block, BlockMetadataIndex.LAST_CONFIG, lastConfigMetadata(options.lastConfigIndex));
  }
}

/**
 * The signed data of every orderer signature on a block, to evaluate against
 * `/Channel/Orderer/BlockValidation` (Fabric `protoutil.BlockSignatureVerifier`). A signature with
 * a signature header: data = value ‖ signature_header ‖ header DER bytes, identity = the header's
 * creator. With `bft` (a V3_0 channel, see `bftBlockSignatures`), a signature with an empty
 * signature header and an identifier header is the consenter's of that id: data = value ‖
 * identifier_header ‖ header DER bytes, identity = `SerializedIdentity{msp_id, identity}` of the
 * consenter; an id outside the mapping is skipped (its signature counts for no one). Without
 * `bft` such a signature takes the first path and carries no identity, so it satisfies nothing.
 * Throws `ProtocolError` naming the signature whose headers do not decode.
 */
export function blockSignatureSignedData(block: Block, bft?: { readonly consenters: readonly BftConsenter[] }): SignedData[] {
  const parsed = parseBlockSignatures(block);
  const headerBytes = blockHeaderBytes(requireMessage(block.getHeader(), 'block.header'));
  const out: SignedData[] = [];
  parsed.signatures.forEach((s, i) => {
    if (bft === undefined || s.signatureHeader.length > 0 || s.identifierHeader.length === 0) {
      out.push({ data: concatBytes(parsed.value, s.signatureHeader, headerBytes), identity: s.creator, signature: s.signature });
      return;
    }
    const path = `block.metadata[SIGNATURES].signatures[${i}].identifier_header`;
    const hdr = decodeConfigProto(IdentifierHeader, IdentifierHeaderSchema, s.identifierHeader, path);
    const id = guard(path, () => hdr.getIdentifier());
    const consenter = bft.consenters.find((c) => c.id === id);
    const identity = consenter === undefined ? undefined : consenterIdentity(consenter);
    // Fabric's searchConsenterIdentityByID: an id not in the set (or marshalling to nothing) names no signer.
    if (identity === undefined || identity.length === 0) return;
    out.push({ data: concatBytes(parsed.value, s.identifierHeader, headerBytes), identity, signature: s.signature });
  });
  return out;
}
