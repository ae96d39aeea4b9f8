import { HeaderType } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { ConfigEnvelope } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import { ProtocolError } from '../../errors';
import type { Identity } from '../../msp/identity';
import type { SignedData } from '../../policy/policy';
import type { ParsedBlock } from '../../protocol/block';
import { type ParsedEnvelope, parseEnvelope } from '../../protocol/envelope';
import { computeTxId } from '../../protocol/txid';
import { type ParsedTransaction, parseEndorserTransaction, transactionEndorsementSignedData } from '../../protocol/transaction';
import type { VerifiedSignature } from '../channel/caching-deserializer';
import type { OwnSignatures } from '../endorser/own-signatures';
import { viewOfConfig } from '../channel/channel-config';
import type { ChannelResources } from '../channel/channel-resources';
import type { PeerLedger } from '../channel/peer-ledger';
import { configTransactionProblem } from './config-tx';
import type { EndorsementPolicies } from './endorsement-policies';
import { type NamespaceWrites, rwsetWrites } from './rwset-writes';
import type { SignatureCheck, SignatureVerifier } from './signature-verifier';

/** A transaction after the structural pass, before its signatures are checked. */
interface Candidate {
  readonly index: number;
  readonly env: ParsedEnvelope;
  readonly tx?: ParsedTransaction;
  readonly writes?: NamespaceWrites[];
  readonly creator: Identity;
  readonly endorsements: readonly SignedData[];
}

/** What validation decided for a block (before MVCC). */
export interface BlockValidation {
  /** One `TxValidationCode` per envelope; VALID ones still face MVCC in the ledger. */
  readonly flags: Uint8Array;
  /** Index of the block's config envelope, when it is a config block that validated. */
  readonly configIndex: number | undefined;
  /** Why each invalid transaction failed, by index (for logs). */
  readonly reasons: ReadonlyMap<number, string>;
  /** The channel-header txid of each envelope ('' when the envelope does not parse). */
  readonly txIds: readonly string[];
}

/**
 * Fabric's committer-side transaction validation (`txvalidator/v20`), in Fabric's order: envelope
 * and headers well formed, channel, creator identity and signature, txid derivation, duplicate txid
 * in the block and in the ledger, then the endorsement policies of the writes. All the block's
 * signatures are verified in one parallel batch first; the rest runs in block order on the table of
 * results. Invalid transactions are results (their code), never exceptions.
 */
export class BlockValidator {
  constructor(
    private readonly verifier: SignatureVerifier,
    private readonly policies: EndorsementPolicies,
    /** This peer's own recent endorsements: they are not verified again. */
    private readonly ownSignatures?: OwnSignatures,
  ) {}

  async validate(block: ParsedBlock, resources: ChannelResources, ledger: PeerLedger): Promise<BlockValidation> {
    const n = block.envelopes.length;
    const flags = new Uint8Array(n).fill(TxValidationCode.NOT_VALIDATED);
    const reasons = new Map<number, string>();
    const txIds = new Array<string>(n).fill('');
    const invalid = (i: number, code: number, reason: string): void => {
      flags[i] = code;
      reasons.set(i, reason);
    };
    const candidates: Candidate[] = [];
    let configIndex: number | undefined;
    const channelId = resources.config.channelId;

    for (let i = 0; i < n; i++) {
      const c = this.structural(block.envelopes[i], i, channelId, resources, invalid, txIds);
      if (c === 'config') {
        if (n === 1) configIndex = i;
        else invalid(i, TxValidationCode.INVALID_CONFIG_TRANSACTION, 'a config transaction must be alone in its block');
      } else if (c !== undefined) candidates.push(c);
    }

    const checks: SignatureCheck[] = [];
    const signed: SignedData[] = [];
    const table: VerifiedSignature[] = [];
    for (const c of candidates) {
      signed.push({ data: c.env.payloadBytes, identity: c.env.signatureHeader.creator, signature: c.env.signature });
      checks.push({ identity: c.creator, data: c.env.payloadBytes, signature: c.env.signature });
      for (const e of c.endorsements) {
        if (this.ownSignatures?.signedByMe(e.identity, e.data, e.signature) === true) {
          table.push({ ...e, valid: true });
          continue;
        }
        let id: Identity;
        try {
          id = resources.deserializer.deserializeIdentity(e.identity);
        } catch {
          continue; // the policy skips identities that do not deserialize
        }
        signed.push(e);
        checks.push({ identity: id, data: e.data, signature: e.signature });
      }
    }
    const results = await this.verifier.verifyAll(checks);
    signed.forEach((s, k) => table.push({ ...s, valid: results[k] }));

    resources.deserializer.withVerified(table, () => {
      const seenTxIds = new Set<string>();
      for (const c of candidates) {
        const i = c.index;
        if (!c.creator.verify(c.env.payloadBytes, c.env.signature)) {
          invalid(i, TxValidationCode.BAD_CREATOR_SIGNATURE, 'creator signature does not verify');
          continue;
        }
        const txId = c.env.channelHeader.txId;
        if (seenTxIds.has(txId)) {
          invalid(i, TxValidationCode.DUPLICATE_TXID, `txid ${txId} appears earlier in this block`);
          continue;
        }
        seenTxIds.add(txId);
        if (ledger.getTxLocation(txId) !== undefined) {
          invalid(i, TxValidationCode.DUPLICATE_TXID, `txid ${txId} is already in the ledger`);
          continue;
        }
        const req = this.policies.requirementsFor(c.writes ?? [], resources, ledger, c.tx?.chaincodeName);
        if (!req.ok) {
          invalid(i, req.code, req.reason);
          continue;
        }
        let failed: string | undefined;
        for (const { policy, what } of req.policies) {
          const r = policy.evaluate(c.endorsements);
          if (!r.satisfied) {
            failed = `${what} not satisfied: ${r.reason}`;
            break;
          }
        }
        if (failed !== undefined) invalid(i, TxValidationCode.ENDORSEMENT_POLICY_FAILURE, failed);
        else flags[i] = TxValidationCode.VALID;
      }
    });
    if (configIndex !== undefined) flags[configIndex] = TxValidationCode.VALID;
    return { flags, configIndex, reasons, txIds };
  }

  private structural(
    bytes: Uint8Array,
    i: number,
    channelId: string,
    resources: ChannelResources,
    invalid: (i: number, code: number, reason: string) => void,
    txIds: string[],
  ): Candidate | 'config' | undefined {
    if (bytes.length === 0) {
      invalid(i, TxValidationCode.NIL_ENVELOPE, 'empty envelope');
      return undefined;
    }
    const path = `block.data[${i}]`;
    let env: ParsedEnvelope;
    try {
      env = parseEnvelope(bytes, { path });
    } catch (err) {
      invalid(i, codeOf(err), (err as Error).message);
      return undefined;
    }
    txIds[i] = env.channelHeader.txId;
    const type = env.channelHeader.type;
    if (type !== HeaderType.ENDORSER_TRANSACTION && type !== HeaderType.CONFIG) {
      invalid(i, TxValidationCode.UNKNOWN_TX_TYPE, `header type ${type} is not ENDORSER_TRANSACTION or CONFIG`);
      return undefined;
    }
    if (env.channelHeader.channelId !== channelId) {
      invalid(i, TxValidationCode.TARGET_CHAIN_NOT_FOUND, `channel ${JSON.stringify(env.channelHeader.channelId)} is not ${channelId}`);
      return undefined;
    }
    // Config transactions are re-validated as Fabric's committer does: the next sequence (a replayed
    // or stale config never applies), and an update that the current config's policies authorize
    // and that produces exactly the carried config.
    if (type === HeaderType.CONFIG) {
      let sequence: number;
      try {
        const config = ConfigEnvelope.deserializeBinary(env.data).getConfig();
        if (config === undefined) throw new Error('config_envelope.config is missing');
        sequence = viewOfConfig(channelId, config).sequence;
      } catch (err) {
        invalid(i, TxValidationCode.INVALID_CONFIG_TRANSACTION, `config envelope does not parse: ${(err as Error).message}`);
        return undefined;
      }
      const expected = resources.config.sequence + 1;
      if (sequence !== expected) {
        invalid(i, TxValidationCode.INVALID_CONFIG_TRANSACTION, `config sequence ${sequence} is not the next one (${expected})`);
        return undefined;
      }
      const problem = configTransactionProblem(env.data, resources);
      if (problem !== undefined) {
        invalid(i, TxValidationCode.INVALID_CONFIG_TRANSACTION, problem);
        return undefined;
      }
      return 'config';
    }

    const { creator: creatorBytes, nonce } = env.signatureHeader;
    if (creatorBytes.length === 0 || nonce.length === 0 || env.signature.length === 0) {
      invalid(i, TxValidationCode.BAD_COMMON_HEADER, 'creator, nonce and signature are required');
      return undefined;
    }
    let creator: Identity;
    try {
      creator = resources.deserializer.deserializeIdentity(creatorBytes);
      creator.validate();
    } catch (err) {
      invalid(i, TxValidationCode.BAD_CREATOR_SIGNATURE, `creator: ${(err as Error).message}`);
      return undefined;
    }
    if (computeTxId(nonce, creatorBytes) !== env.channelHeader.txId) {
      invalid(i, TxValidationCode.BAD_PROPOSAL_TXID, `txid ${env.channelHeader.txId} is not hex(SHA-256(nonce ‖ creator))`);
      return undefined;
    }
    let tx: ParsedTransaction;
    let writes: NamespaceWrites[];
    try {
      tx = parseEndorserTransaction(env, { path, verifyTxId: false });
    } catch (err) {
      invalid(i, codeOf(err), (err as Error).message);
      return undefined;
    }
    try {
      writes = rwsetWrites(tx.action.proposalResponsePayload.action.results);
    } catch (err) {
      invalid(i, TxValidationCode.BAD_RWSET, `read/write set does not parse: ${(err as Error).message}`);
      return undefined;
    }
    return { index: i, env, tx, writes, creator, endorsements: transactionEndorsementSignedData(tx) };
  }
}

/** Maps a structural `ProtocolError` to the validation code Fabric gives the same defect. */
function codeOf(err: unknown): number {
  if (!(err instanceof ProtocolError)) return TxValidationCode.INVALID_OTHER_REASON;
  if (err.code === 'PROTOCOL_BAD_TXID') return TxValidationCode.BAD_PROPOSAL_TXID;
  const path = String(err.details.path ?? '');
  if (path.includes('proposal_response_payload')) return TxValidationCode.BAD_RESPONSE_PAYLOAD;
  if (path.includes('channel_header.extension')) return TxValidationCode.BAD_HEADER_EXTENSION;
  if (path.includes('channel_header')) return TxValidationCode.BAD_CHANNEL_HEADER;
  if (path.includes('payload.header')) return TxValidationCode.BAD_COMMON_HEADER;
  if (path.includes('payload.data')) return TxValidationCode.BAD_PAYLOAD;
  return TxValidationCode.BAD_PAYLOAD;
}
