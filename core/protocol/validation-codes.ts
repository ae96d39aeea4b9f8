import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';

/**
 * What one `TxValidationCode` means in Weft: the check that sets it, whether sending the
 * transaction again can succeed, and what to do. Users meet these codes in `weft chaincode invoke`,
 * `weft block show`, the peer's log and fabric-gateway's `CommitError.code`; every one of those
 * explains a code from this table, and the README's table is checked against it.
 */
export interface ValidationCodeInfo {
  readonly code: number;
  /** Fabric's name (`peer/transaction.proto`), as fabric-gateway's `StatusNames` and Weft print it. */
  readonly name: string;
  /** Which part of Weft's peer sets it (the block validator, or the ledger's own checks at commit), or `undefined` when it never does (a Fabric peer may). */
  readonly setBy: 'validator' | 'ledger' | undefined;
  /** When it is set, in one sentence true to the check (for codes Weft never sets: what Fabric means by it). */
  readonly when: string;
  /**
   * Whether endorsing the same call again (a new transaction id) and submitting it can succeed
   * without changing anything: true only for conflicts with transactions that committed first.
   */
  readonly retryable: boolean;
  /** What the user or application should do. */
  readonly advice: string;
}

type Entry = Omit<ValidationCodeInfo, 'code' | 'name'>;

const NEVER = 'Weft never sets it';
const MALFORMED = 'The client built a malformed transaction: use an SDK that builds Fabric envelopes (fabric-gateway, weft chaincode invoke); resending it fails the same way.';

/** Keyed by name so the compiler rejects a name fabric-protos does not have; numbers come from fabric-protos. */
const ENTRIES: Readonly<Record<keyof typeof TxValidationCode, Entry>> = {
  VALID: {
    setBy: 'validator',
    when: 'Every check passed and its reads were still current at commit: its writes are applied.',
    retryable: false,
    advice: 'Nothing to do.',
  },
  NIL_ENVELOPE: {
    setBy: 'validator',
    when: 'The block holds an empty envelope.',
    retryable: false,
    advice: 'No client sends this: report the block number to the ordering service operator.',
  },
  BAD_PAYLOAD: {
    setBy: 'validator',
    when: "The envelope's payload, or its header's framing, does not decode (the ledger also marks a transaction it cannot decode).",
    retryable: false,
    advice: MALFORMED,
  },
  BAD_COMMON_HEADER: {
    setBy: 'validator',
    when: 'The header is missing or does not decode, its type is not ENDORSER_TRANSACTION, CONFIG or CONFIG_UPDATE, its epoch is not 0, or the signature header has no nonce or no creator.',
    retryable: false,
    advice: MALFORMED,
  },
  BAD_CREATOR_SIGNATURE: {
    setBy: 'validator',
    when: "The envelope is unsigned, its creator is not a valid identity of one of the channel's MSPs (unknown MSP, wrong CA, expired or revoked), or the creator's signature does not verify.",
    retryable: false,
    advice: 'Submit as a user of an org in the channel whose certificate is valid: weft network status shows expiry dates, weft network renew issues new certificates.',
  },
  INVALID_ENDORSER_TRANSACTION: {
    setBy: 'validator',
    when: 'The endorser transaction is not well formed: not exactly one action, an action or proposal that does not decode or lacks a part, or a proposal hash (what the endorsers signed) that does not match the header and proposal payload.',
    retryable: false,
    advice: MALFORMED,
  },
  INVALID_CONFIG_TRANSACTION: {
    setBy: 'validator',
    when: "A config transaction is not alone in its block, is not the channel's next config sequence, is not authorized by the current config's policies or does not produce the config it carries, or its config cannot be applied.",
    retryable: false,
    advice: 'Another config update committed first or the update lacks signatures: compute the update again from the current config (weft channel fetch <dir> config, weft channel update <dir>) and collect the signatures its policy needs.',
  },
  UNSUPPORTED_TX_PAYLOAD: {
    setBy: 'validator',
    when: 'A CONFIG_UPDATE envelope reached a block; only the orderer may turn it into a CONFIG transaction.',
    retryable: false,
    advice: 'Send config updates to the orderer (weft channel update), not as transactions.',
  },
  BAD_PROPOSAL_TXID: {
    setBy: 'validator',
    when: "The transaction id is not hex(SHA-256(nonce + creator)) of the transaction's signature header.",
    retryable: false,
    advice: 'Let the SDK compute the transaction id (fabric-gateway does); resending the same envelope fails the same way.',
  },
  DUPLICATE_TXID: {
    setBy: 'validator',
    when: 'The transaction id is already in the ledger, or an earlier valid transaction in the same block carries it.',
    retryable: false,
    advice: "Never resubmit the same signed envelope: the first copy's result stands (ask for its commit status). To run the call again, endorse it again, which gives it a new transaction id.",
  },
  ENDORSEMENT_POLICY_FAILURE: {
    setBy: 'validator',
    when: "The endorsements do not satisfy a policy the writes answer to (the chaincode's endorsement policy, a key-level VALIDATION_PARAMETER or a collection's policy), that policy cannot be used, a written collection is not defined for the chaincode, or an earlier transaction in the same block changed the key-level policy of a key it writes.",
    retryable: false,
    advice: "Get endorsements from the orgs the policy names: let the Gateway choose them (no --endorsing-orgs) or list enough orgs, and check the chaincode's definition (weft chaincode query-committed). Only when an earlier transaction in the block changed a key's policy does endorsing again help.",
  },
  MVCC_READ_CONFLICT: {
    setBy: 'ledger',
    when: 'A key the transaction read during endorsement (public, or a private key by its hash) was written or deleted before it committed, by a transaction in an earlier block or earlier in the same block.',
    retryable: true,
    advice: 'Endorse the same call again (a new transaction id) and resubmit, after a short random delay (weft chaincode invoke --retry N does this). Many conflicts on one key mean a hot key: spread the writes over several keys.',
  },
  PHANTOM_READ_CONFLICT: {
    setBy: 'ledger',
    when: 'A range query the transaction ran during endorsement returns a different result at commit: a key in the range was added, updated or deleted by a transaction that committed first.',
    retryable: true,
    advice: 'Endorse the same call again (a new transaction id) and resubmit, after a short random delay (weft chaincode invoke --retry N does this). Narrow the range if it conflicts often.',
  },
  UNKNOWN_TX_TYPE: {
    setBy: undefined,
    when: `${NEVER}: an unknown header type is BAD_COMMON_HEADER, found first. A Fabric peer sets it for a well-formed envelope of a type it does not process.`,
    retryable: false,
    advice: MALFORMED,
  },
  TARGET_CHAIN_NOT_FOUND: {
    setBy: 'validator',
    when: "The transaction's channel header names another channel than the one whose block holds it.",
    retryable: false,
    advice: 'Submit to the channel the transaction was built for.',
  },
  MARSHAL_TX_ERROR: {
    setBy: undefined,
    when: `${NEVER}. A Fabric peer sets it when it cannot re-encode a transaction it validated.`,
    retryable: false,
    advice: 'An internal peer error on a Fabric peer: report it.',
  },
  NIL_TXACTION: {
    setBy: undefined,
    when: `${NEVER}; current Fabric peers do not set it either (a transaction without actions is INVALID_ENDORSER_TRANSACTION).`,
    retryable: false,
    advice: MALFORMED,
  },
  EXPIRED_CHAINCODE: {
    setBy: undefined,
    when: `${NEVER}. Fabric 1.x peers set it for a transaction of a chaincode version that was upgraded.`,
    retryable: false,
    advice: 'Endorse again against the chaincode version now defined.',
  },
  CHAINCODE_VERSION_CONFLICT: {
    setBy: undefined,
    when: `${NEVER}. Fabric 1.x peers set it when a legacy (lscc) chaincode upgrade and an invoke of it share a block.`,
    retryable: false,
    advice: 'Endorse again against the chaincode version now defined.',
  },
  BAD_HEADER_EXTENSION: {
    setBy: 'validator',
    when: "The channel header's chaincode header extension does not decode.",
    retryable: false,
    advice: MALFORMED,
  },
  BAD_CHANNEL_HEADER: {
    setBy: undefined,
    when: `${NEVER}: a channel header that does not decode is BAD_COMMON_HEADER, found first. A Fabric peer's validation dispatcher sets it for the same defect.`,
    retryable: false,
    advice: MALFORMED,
  },
  BAD_RESPONSE_PAYLOAD: {
    setBy: 'validator',
    when: "The endorsed proposal response payload's chaincode action does not decode.",
    retryable: false,
    advice: MALFORMED,
  },
  BAD_RWSET: {
    setBy: 'validator',
    when: 'The read/write set the endorsers signed does not decode.',
    retryable: false,
    advice: 'The endorsing peer produced a read/write set Weft cannot read: check the endorsing peers run a compatible version.',
  },
  ILLEGAL_WRITESET: {
    setBy: 'validator',
    when: 'The read/write set names the same namespace twice.',
    retryable: false,
    advice: 'The endorsing peer produced a bad read/write set: check the endorsing peers run a compatible version.',
  },
  INVALID_WRITESET: {
    setBy: 'ledger',
    when: "The read/write set writes a namespace, key or collection name that is not valid (not UTF-8, an empty key, a U+0000-prefixed key that is not a composite key) or writes a private data namespace ('$$') directly.",
    retryable: false,
    advice: 'Fix the chaincode so it writes valid keys (composite keys only through createCompositeKey); endorsing again writes the same keys.',
  },
  INVALID_CHAINCODE: {
    setBy: 'validator',
    when: 'The chaincode the header names is missing or differs from the one the endorsed action names, the action has no chaincode version, or a chaincode invoked or written has no definition committed on the channel (system chaincodes have none).',
    retryable: false,
    advice: 'Commit a definition of the chaincode on the channel first (weft chaincode deploy, or approve and commit), and invoke it by the name it was defined with.',
  },
  NOT_VALIDATED: {
    setBy: undefined,
    when: `${NEVER} in a committed block. A block with no validation flags (an orderer's copy) shows its transactions as NOT_VALIDATED.`,
    retryable: false,
    advice: "Read the block from a peer to see each transaction's code.",
  },
  INVALID_OTHER_REASON: {
    setBy: 'validator',
    when: "The envelope does not decode at all, the header extension or the endorsed action names no chaincode id, or the chaincode event does not decode or names another chaincode than the transaction's.",
    retryable: false,
    advice: MALFORMED,
  },
};

/** The catalogue, in code order. */
export const VALIDATION_CODES: readonly ValidationCodeInfo[] = (Object.entries(ENTRIES) as [keyof typeof TxValidationCode, Entry][])
  .map(([name, e]) => ({ code: TxValidationCode[name], name, ...e }))
  .sort((a, b) => a.code - b.code);

const BY_CODE = new Map(VALIDATION_CODES.map((c) => [c.code, c]));
const BY_NAME = new Map(VALIDATION_CODES.map((c) => [c.name, c]));

/**
 * The entry of a code, by number or by Fabric's name; `undefined` for one fabric-protos does not
 * define (a newer Fabric's code). Callers print the bare number or name then.
 */
export function validationCodeInfo(code: number | string): ValidationCodeInfo | undefined {
  return typeof code === 'number' ? BY_CODE.get(code) : BY_NAME.get(code);
}

/** Fabric's name of a code, `UNKNOWN(<n>)` for one fabric-protos does not define. */
export function validationCodeName(code: number): string {
  return BY_CODE.get(code)?.name ?? `UNKNOWN(${code})`;
}

/** Whether endorsing the same call again and resubmitting can succeed (MVCC and phantom read conflicts). */
export function isRetryableValidationCode(code: number | string): boolean {
  return validationCodeInfo(code)?.retryable === true;
}

/** The README's "Validation codes" table: one row per catalogue entry, in code order. */
export function validationCodesMarkdown(): string {
  const rows = VALIDATION_CODES.map((c) => `| ${c.code} | \`${c.name}\` | ${c.when} | ${c.retryable ? 'yes: endorse again' : 'no'} | ${c.advice} |`);
  return ['| code | name | when Weft sets it | retry helps? | what to do |', '|---|---|---|---|---|', ...rows].join('\n');
}
