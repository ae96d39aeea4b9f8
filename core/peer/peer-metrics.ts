import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const VALIDATION_CODE_NAMES: Record<number, string> = {
  0: 'VALID',
  1: 'NIL_ENVELOPE',
  2: 'BAD_PAYLOAD',
  3: 'BAD_COMMON_HEADER',
  4: 'BAD_CREATOR_SIGNATURE',
  5: 'INVALID_ENDORSER_TRANSACTION',
  6: 'INVALID_CONFIG_TRANSACTION',
  7: 'UNSUPPORTED_TX_PAYLOAD',
  8: 'BAD_PROPOSAL_TXID',
  9: 'DUPLICATE_TXID',
  10: 'ENDORSEMENT_POLICY_FAILURE',
  11: 'MVCC_READ_CONFLICT',
  12: 'PHANTOM_READ_CONFLICT',
  13: 'UNKNOWN_TX_TYPE',
  14: 'TARGET_CHAIN_NOT_FOUND',
  15: 'MARSHAL_TX_ERROR',
  16: 'NIL_TXACTION',
  17: 'EXPIRED_CHAINCODE',
  18: 'CHAINCODE_VERSION_CONFLICT',
  19: 'BAD_HEADER_EXTENSION',
  20: 'BAD_CHANNEL_HEADER',
  21: 'BAD_RESPONSE_PAYLOAD',
  22: 'BAD_RWSET',
  23: 'ILLEGAL_WRITESET',
  24: 'INVALID_WRITESET',
  25: 'INVALID_CHAINCODE',
  254: 'NOT_VALIDATED',
  255: 'INVALID_OTHER_REASON',
};

/** Fabric's name of a `TxValidationCode`. */
export function validationCodeName(code: number): string {
  return VALIDATION_CODE_NAMES[code] ?? String(code);
}

/**
 * The peer's Prometheus metrics, named after Fabric's (`endorser_*`, `ledger_*`), registered on
 * the operations server's registry. Updated on every proposal and every committed block.
 */
export class PeerMetrics {
  private readonly proposals: Counter<'channel' | 'chaincode' | 'outcome'>;
  private readonly proposalDuration: Histogram<'channel' | 'chaincode' | 'outcome'>;
  private readonly blocks: Counter<'channel'>;
  private readonly txs: Counter<'channel' | 'validation_code'>;
  private readonly commitDuration: Histogram<'channel'>;
  private readonly height: Gauge<'channel'>;

  constructor(registry: Registry) {
    this.proposals = new Counter({
      name: 'endorser_proposals_received',
      help: 'Proposals received, by channel, chaincode and outcome (endorsed, rejected by chaincode, failed).',
      labelNames: ['channel', 'chaincode', 'outcome'],
      registers: [registry],
    });
    this.proposalDuration = new Histogram({
      name: 'endorser_proposal_duration',
      help: 'Time to answer a proposal, in seconds.',
      labelNames: ['channel', 'chaincode', 'outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.blocks = new Counter({ name: 'ledger_blocks_committed', help: 'Blocks committed.', labelNames: ['channel'], registers: [registry] });
    this.txs = new Counter({
      name: 'ledger_transactions_committed',
      help: 'Transactions committed, by validation code.',
      labelNames: ['channel', 'validation_code'],
      registers: [registry],
    });
    this.commitDuration = new Histogram({
      name: 'ledger_block_processing_time',
      help: 'Time to validate and commit a block, in seconds.',
      labelNames: ['channel'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.height = new Gauge({ name: 'ledger_blockchain_height', help: 'Ledger height.', labelNames: ['channel'], registers: [registry] });
  }

  observeProposal(channel: string, chaincode: string, outcome: string, seconds: number): void {
    const labels = { channel, chaincode, outcome };
    this.proposals.inc(labels);
    this.proposalDuration.observe(labels, seconds);
  }

  observeCommit(channel: string, height: number, flags: Uint8Array, seconds: number): void {
    this.blocks.inc({ channel });
    const counts = new Map<number, number>();
    for (const f of flags) counts.set(f, (counts.get(f) ?? 0) + 1);
    for (const [code, n] of counts) this.txs.inc({ channel, validation_code: validationCodeName(code) }, n);
    this.commitDuration.observe({ channel }, seconds);
    this.height.set({ channel }, height);
  }
}
