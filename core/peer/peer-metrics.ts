import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CommitSeconds } from '../ledger/ledger';
import type { ProposalRejectedError } from './endorser/proposal-checks';
import type { TxKind } from './validation/block-validator';

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

/** Fabric's `ledger_*` histogram buckets (`core/ledger/kvledger/metrics.go`). */
const LEDGER_BUCKETS = [0.005, 0.01, 0.015, 0.05, 0.1, 1, 10];
/** Chaincode label values kept per channel; beyond them 'other', so a Writer cannot mint unbounded label sets. */
const MAX_CHAINCODE_LABELS = 256;
const UNKNOWN_LABEL = 'unknown';

/** How a proposal that passed the checks ended, as Fabric's endorser counts it. */
export type ProposalOutcome = 'success' | 'chaincode-error' | 'simulation-failed' | 'endorsement-failed';

/** One proposal's metrics, from its arrival (see {@link PeerMetrics.proposal}). */
export interface ProposalMeter {
  /** A pre-simulation check refused it. */
  rejected(err: ProposalRejectedError): void;
  /** It passed the checks: from here on its duration is observed. */
  checked(channel: string, chaincode: string): void;
  /** Called once at the end; does nothing unless {@link checked} was. */
  finished(outcome: ProposalOutcome): void;
}

const stringDetail = (err: ProposalRejectedError, key: string): string => {
  const v = err.details[key];
  return typeof v === 'string' ? v : '';
};

/**
 * The peer's Prometheus metrics with Fabric's names, labels and meaning, so Fabric's dashboards
 * and alerts read a Weft peer unchanged: the endorser's (`core/endorser/metrics.go`), the ledger's
 * (`core/ledger/kvledger/metrics.go`), and the committer's `gossip_state_commit_duration`, which
 * Fabric's state provider records for every block whether or not gossip delivered it. Registered on
 * the operations server's registry; updated on every proposal and every committed block.
 */
export class PeerMetrics {
  private readonly proposalsReceived: Counter;
  private readonly successfulProposals: Counter;
  private readonly validationFailures: Counter;
  private readonly aclFailures: Counter<'channel' | 'chaincode'>;
  private readonly duplicateTxFailures: Counter<'channel' | 'chaincode'>;
  private readonly simulationFailures: Counter<'channel' | 'chaincode'>;
  private readonly endorsementFailures: Counter<'channel' | 'chaincode' | 'chaincodeerror'>;
  private readonly proposalDuration: Histogram<'channel' | 'chaincode' | 'success'>;
  private readonly txCount: Counter<'channel' | 'transaction_type' | 'chaincode' | 'validation_code'>;
  private readonly blockProcessing: Histogram<'channel'>;
  private readonly storageCommit: Histogram<'channel'>;
  private readonly stateCommit: Histogram<'channel'>;
  private readonly commitDuration: Histogram<'channel'>;
  private readonly height: Gauge<'channel'>;
  private readonly blocks: Counter<'channel'>;
  private readonly reconciliation: Histogram<'channel'>;
  private readonly pvtPull: Histogram<'channel'>;
  private readonly chaincodeLabels = new Map<string, Set<string>>();

  constructor(registry: Registry) {
    const registers = [registry];
    const channelChaincode = ['channel', 'chaincode'] as const;
    this.proposalsReceived = new Counter({ name: 'endorser_proposals_received', help: 'The number of proposals received.', registers });
    this.successfulProposals = new Counter({ name: 'endorser_successful_proposals', help: 'The number of successful proposals.', registers });
    this.validationFailures = new Counter({
      name: 'endorser_proposal_validation_failures',
      help: 'The number of proposals that have failed initial validation.',
      registers,
    });
    this.aclFailures = new Counter({ name: 'endorser_proposal_acl_failures', help: 'The number of proposals that failed ACL checks.', labelNames: channelChaincode, registers });
    this.duplicateTxFailures = new Counter({
      name: 'endorser_duplicate_transaction_failures',
      help: 'The number of failed proposals due to duplicate transaction ID.',
      labelNames: channelChaincode,
      registers,
    });
    this.simulationFailures = new Counter({
      name: 'endorser_proposal_simulation_failures',
      help: 'The number of failed proposal simulations',
      labelNames: channelChaincode,
      registers,
    });
    this.endorsementFailures = new Counter({
      name: 'endorser_endorsement_failures',
      help: 'The number of failed endorsements.',
      labelNames: [...channelChaincode, 'chaincodeerror'],
      registers,
    });
    this.proposalDuration = new Histogram({
      name: 'endorser_proposal_duration',
      help: 'The time to complete a proposal.',
      labelNames: [...channelChaincode, 'success'],
      registers,
    });
    this.txCount = new Counter({
      name: 'ledger_transaction_count',
      help: 'Number of transactions processed.',
      labelNames: ['channel', 'transaction_type', 'chaincode', 'validation_code'],
      registers,
    });
    const channel = ['channel'] as const;
    this.blockProcessing = new Histogram({
      name: 'ledger_block_processing_time',
      help: 'Time taken in seconds for ledger block processing.',
      labelNames: channel,
      buckets: LEDGER_BUCKETS,
      registers,
    });
    this.storageCommit = new Histogram({
      name: 'ledger_blockstorage_and_pvtdata_commit_time',
      help: 'Time taken in seconds for committing the block and private data to storage.',
      labelNames: channel,
      buckets: LEDGER_BUCKETS,
      registers,
    });
    this.stateCommit = new Histogram({
      name: 'ledger_statedb_commit_time',
      help: 'Time taken in seconds for committing block changes to state db.',
      labelNames: channel,
      buckets: LEDGER_BUCKETS,
      registers,
    });
    this.commitDuration = new Histogram({ name: 'gossip_state_commit_duration', help: 'Time it takes to commit a block in seconds', labelNames: channel, registers });
    this.height = new Gauge({ name: 'ledger_blockchain_height', help: 'Height of the chain in blocks.', labelNames: channel, registers });
    this.blocks = new Counter({ name: 'ledger_blocks_committed', help: 'Blocks committed (Weft).', labelNames: channel, registers });
    this.reconciliation = new Histogram({
      name: 'gossip_privdata_reconciliation_duration',
      help: 'Time it takes for reconciliation to complete (in seconds)',
      labelNames: channel,
      registers,
    });
    this.pvtPull = new Histogram({ name: 'gossip_privdata_pull_duration', help: 'Time it takes to pull a missing private data element (in seconds)', labelNames: channel, registers });
  }

  /** One reconciliation round of a channel, whatever it found. */
  observeReconciliation(channel: string, seconds: number): void {
    this.reconciliation.observe({ channel }, seconds);
  }

  /** One pull of a block's missing private data from other peers (at commit or in a reconciliation round). */
  observePvtPull(channel: string, seconds: number): void {
    this.pvtPull.observe({ channel }, seconds);
  }

  /** Counts a proposal's arrival; its meter records how it ends. */
  proposal(): ProposalMeter {
    this.proposalsReceived.inc();
    const started = performance.now();
    let labels: { channel: string; chaincode: string } | undefined;
    return {
      rejected: (err) => {
        if (err.check === 'validation') this.validationFailures.inc();
        else {
          const l = { channel: stringDetail(err, 'channelId'), chaincode: stringDetail(err, 'chaincode') };
          (err.check === 'acl' ? this.aclFailures : this.duplicateTxFailures).inc(l);
        }
      },
      checked: (channel, chaincode) => {
        labels = { channel, chaincode };
      },
      finished: (outcome) => {
        if (labels === undefined) return;
        const success = outcome === 'success';
        if (success) this.successfulProposals.inc();
        else if (outcome === 'simulation-failed') this.simulationFailures.inc(labels);
        // Fabric counts only statuses 400-499 here and leaves a chaincode's 500 (fabric-contract-api's
        // answer to a thrown error) uncounted; every unendorsed chaincode answer is counted here.
        else this.endorsementFailures.inc({ ...labels, chaincodeerror: String(outcome === 'chaincode-error') });
        this.proposalDuration.observe({ ...labels, success: String(success) }, (performance.now() - started) / 1000);
      },
    };
  }

  /**
   * One committed block: `flags` the final codes, `kinds` each transaction's type and chaincode,
   * `seconds` the ledger's MVCC and storage times and the whole commit's (validation included).
   */
  observeCommit(
    channel: string,
    height: number,
    flags: Uint8Array,
    kinds: readonly TxKind[],
    seconds: CommitSeconds & { readonly total: number },
  ): void {
    const counts = new Map<string, { kind: TxKind; code: number; n: number }>();
    for (let i = 0; i < flags.length; i++) {
      const kind = kinds[i] ?? { type: UNKNOWN_LABEL, chaincode: UNKNOWN_LABEL };
      const key = `${kind.type}\u0000${kind.chaincode}\u0000${flags[i]}`;
      const entry = counts.get(key);
      if (entry === undefined) counts.set(key, { kind, code: flags[i], n: 1 });
      else entry.n++;
    }
    for (const { kind, code, n } of counts.values()) {
      this.txCount.inc(
        { channel, transaction_type: kind.type, chaincode: this.chaincodeLabel(channel, kind.chaincode), validation_code: validationCodeName(code) },
        n,
      );
    }
    this.blockProcessing.observe({ channel }, seconds.processing);
    this.storageCommit.observe({ channel }, seconds.storageCommit);
    if (seconds.stateCommit !== undefined) this.stateCommit.observe({ channel }, seconds.stateCommit);
    this.commitDuration.observe({ channel }, seconds.total);
    this.height.set({ channel }, height);
    this.blocks.inc({ channel });
  }

  private chaincodeLabel(channel: string, chaincode: string): string {
    if (chaincode === UNKNOWN_LABEL) return chaincode;
    let seen = this.chaincodeLabels.get(channel);
    if (seen === undefined) this.chaincodeLabels.set(channel, (seen = new Set()));
    if (seen.has(chaincode)) return chaincode;
    if (seen.size >= MAX_CHAINCODE_LABELS) return 'other';
    seen.add(chaincode);
    return chaincode;
  }
}
