import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { Identity } from '../../msp/identity';
import type { SignedData } from '../../policy/policy';
import type { ParsedBlock } from '../../protocol/block';
import type { VerifiedSignature } from '../channel/caching-deserializer';
import type { OwnSignatures } from '../endorser/own-signatures';
import type { ChannelResources } from '../channel/channel-resources';
import type { PeerLedger } from '../channel/peer-ledger';
import type { EndorsementPolicies } from './endorsement-policies';
import type { NamespaceWrites } from './rwset-writes';
import type { SignatureCheck, SignatureVerifier } from './signature-verifier';
import { type CheckedEnvelope, type Defect, checkEnvelope } from './transaction-checks';
import { headerTypeName } from '../../protocol/header';

const UNKNOWN = 'unknown';

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
  /** What each envelope is, for Fabric's `ledger_transaction_count` labels. */
  readonly kinds: readonly TxKind[];
  /** The private data collections each envelope writes (undefined: none), for the committer to gather their values. */
  readonly pvtWrites: readonly (readonly PvtWrite[] | undefined)[];
}

/** A private data collection a transaction writes, with the hash its values must match. */
export interface PvtWrite {
  readonly namespace: string;
  readonly collection: string;
  readonly pvtRwsetHash: Uint8Array;
}

/**
 * Fabric's `TxStatInfo` labels: the channel header's type, and the `name:version` of the chaincode
 * the endorsed action names; 'unknown' where the envelope did not decode that far.
 */
export interface TxKind {
  readonly type: string;
  readonly chaincode: string;
}

/**
 * Fabric's committer-side transaction validation (`txvalidator/v20`), in Fabric's order: envelope
 * and headers well formed, creator identity and signature, txid derivation and transaction
 * structure, channel, duplicate txid in the ledger, the dispatcher's chaincode and read/write-set
 * checks, the endorsement policies of the invoked chaincode and of every written namespace and key,
 * and finally duplicate txids within the block. All the block's signatures are verified in one
 * parallel batch first; the rest runs in block order on the table of results. Invalid transactions
 * are results (their code), never exceptions.
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
    const invalid = (i: number, { code, reason }: Defect): void => {
      flags[i] = code;
      reasons.set(i, reason);
    };
    const checked: CheckedEnvelope[] = [];
    const txIds = new Array<string>(n).fill('');
    const kinds = new Array<TxKind>(n);
    const pvtWrites = new Array<PvtWrite[] | undefined>(n);
    for (let i = 0; i < n; i++) {
      const c = checkEnvelope(block.envelopes[i], i, resources);
      if ('env' in c) {
        checked.push(c);
        txIds[i] = c.env.channelHeader.txId;
        for (const ns of c.writes ?? []) for (const { collection, pvtRwsetHash } of ns.collections) (pvtWrites[i] ??= []).push({ namespace: ns.namespace, collection, pvtRwsetHash });
        const id = c.tx?.action.proposalResponsePayload.action.chaincodeId;
        kinds[i] = { type: headerTypeName(c.env.channelHeader.type), chaincode: id === undefined ? UNKNOWN : `${id.name}:${id.version}` };
      } else {
        invalid(i, c);
        txIds[i] = c.txId;
        kinds[i] = { type: c.headerType === undefined ? UNKNOWN : headerTypeName(c.headerType), chaincode: UNKNOWN };
      }
    }

    resources.deserializer.withVerified(await this.verifySignatures(checked, resources), () => {
      const policyChecks = new PolicyDependencies();
      for (const c of checked) {
        const i = c.index;
        if (!c.creator.verify(c.env.payloadBytes, c.env.signature)) {
          invalid(i, { code: TxValidationCode.BAD_CREATOR_SIGNATURE, reason: 'creator signature does not verify' });
        } else if (c.beforeDuplicateCheck !== undefined) {
          invalid(i, c.beforeDuplicateCheck);
        } else if (c.config) {
          if (n === 1) flags[i] = TxValidationCode.VALID;
          else invalid(i, { code: TxValidationCode.INVALID_CONFIG_TRANSACTION, reason: 'a config transaction must be alone in its block' });
        } else if (ledger.getTxLocation(c.env.channelHeader.txId) !== undefined) {
          invalid(i, { code: TxValidationCode.DUPLICATE_TXID, reason: `txid ${c.env.channelHeader.txId} is already in the ledger` });
        } else if (c.dispatch !== undefined) {
          invalid(i, c.dispatch);
        } else {
          const failure = this.policyFailure(c, resources, ledger) ?? policyChecks.conflict(c.writes ?? []);
          if (failure !== undefined) invalid(i, failure);
          else {
            flags[i] = TxValidationCode.VALID;
            policyChecks.record(c.writes ?? []);
          }
        }
      }
    });
    markDuplicateTxIds(flags, txIds, reasons);
    const configIndex = n === 1 && checked[0]?.config === true && flags[0] === TxValidationCode.VALID ? 0 : undefined;
    return { flags, configIndex, reasons, txIds, kinds, pvtWrites };
  }

  /** Verifies every creator and endorsement signature of the block in one parallel batch; returns the table of results. */
  private async verifySignatures(checked: readonly CheckedEnvelope[], resources: ChannelResources): Promise<VerifiedSignature[]> {
    const checks: SignatureCheck[] = [];
    const signed: SignedData[] = [];
    const table: VerifiedSignature[] = [];
    for (const c of checked) {
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
    return table;
  }

  /** The endorsement policies of the transaction's namespaces and keys, evaluated on its endorsements. */
  private policyFailure(c: CheckedEnvelope, resources: ChannelResources, ledger: PeerLedger): Defect | undefined {
    const req = this.policies.requirementsFor(c.writes ?? [], resources, ledger, c.tx?.chaincodeName);
    if (!req.ok) return { code: req.code, reason: req.reason };
    for (const { policy, what } of req.policies) {
      const r = policy.evaluate(c.endorsements);
      if (!r.satisfied) return { code: TxValidationCode.ENDORSEMENT_POLICY_FAILURE, reason: `${what} not satisfied: ${r.reason}` };
    }
    return undefined;
  }
}

/**
 * Fabric's `markTXIdDuplicates`: once every transaction is validated, a txid that an earlier
 * VALID transaction of the block carries makes a later VALID one a DUPLICATE_TXID. A copy that
 * failed validation does not count, so a valid copy after an invalid one commits.
 */
function markDuplicateTxIds(flags: Uint8Array, txIds: readonly string[], reasons: Map<number, string>): void {
  const seen = new Set<string>();
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] !== TxValidationCode.VALID || txIds[i] === '') continue;
    if (seen.has(txIds[i])) {
      flags[i] = TxValidationCode.DUPLICATE_TXID;
      reasons.set(i, `txid ${txIds[i]} appears earlier in this block`);
    } else seen.add(txIds[i]);
  }
}

/**
 * Fabric's key-level validation parameter dependencies (`statebased/vpmanagerimpl.go`
 * `ExtractValidationParameterDependency`): a transaction that writes a key (or its metadata) whose
 * metadata an earlier transaction of the same block changed, and that passed its policy checks,
 * fails ENDORSEMENT_POLICY_FAILURE; the policy it was endorsed against may no longer be the key's
 * policy. Private keys count too, by (namespace, collection, key hash), as Fabric records
 * `HashedRwSet.MetadataWrites` and `checkSBAndCCEP` consults them for every hashed write.
 */
class PolicyDependencies {
  /** `namespace \0 key` of public keys. */
  private readonly publicChanged = new Set<string>();
  /** `namespace \0 collection \0 hex key hash` of private keys; kept apart because a public key may contain NULs. */
  private readonly privateChanged = new Set<string>();

  conflict(writes: readonly NamespaceWrites[]): Defect | undefined {
    if (this.publicChanged.size === 0 && this.privateChanged.size === 0) return undefined;
    for (const ns of writes) {
      for (const key of [...ns.keys, ...ns.metadataKeys]) {
        if (this.publicChanged.has(`${ns.namespace}\0${key}`)) return updated(`${ns.namespace}/${key}`);
      }
      for (const coll of ns.collections) {
        for (const hash of [...coll.keyHashes, ...coll.metadataKeyHashes]) {
          if (this.privateChanged.has(`${ns.namespace}\0${coll.collection}\0${hash}`)) return updated(`${ns.namespace}/${coll.collection}/<hash ${hash.slice(0, 16)}…>`);
        }
      }
    }
    return undefined;
  }

  record(writes: readonly NamespaceWrites[]): void {
    for (const ns of writes) {
      for (const key of ns.metadataKeys) this.publicChanged.add(`${ns.namespace}\0${key}`);
      for (const coll of ns.collections) for (const hash of coll.metadataKeyHashes) this.privateChanged.add(`${ns.namespace}\0${coll.collection}\0${hash}`);
    }
  }
}

function updated(what: string): Defect {
  return { code: TxValidationCode.ENDORSEMENT_POLICY_FAILURE, reason: `the validation parameter of ${what} was updated by an earlier transaction in this block` };
}
