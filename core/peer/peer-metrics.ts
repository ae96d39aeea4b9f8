import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { TxValidationCode } from '@hyperledger/fabric-protos/lib/peer/transaction_pb';
import type { CommitSeconds } from '../ledger/ledger';
import type { ProposalRejectedError } from './endorser/proposal-checks';
import type { TransientStoreMetrics } from './privdata/transient-store';
import { validationCodeInfo } from '../protocol/validation-codes';
import type { TxKind } from './validation/block-validator';

/** Fabric's name of a `TxValidationCode` as a metric label; an unknown code is its number, as Fabric's `String()` of an unnamed enum value. */
function validationCodeName(code: number): string {
  return validationCodeInfo(code)?.name ?? String(code);
}

/** Fabric's `ledger_*` histogram buckets (`core/ledger/kvledger/metrics.go`, `common/ledger/blkstorage/metrics.go`). */
const LEDGER_BUCKETS = [0.005, 0.01, 0.015, 0.05, 0.1, 1, 10];
/** Chaincode label values kept per channel; beyond them 'other', so a Writer cannot mint unbounded label sets. */
const MAX_CHAINCODE_LABELS = 256;
const UNKNOWN_LABEL = 'unknown';
/** Fabric's `TxStatInfo` of a transaction the committer's validation invalidated: its ledger never reads it further. */
const UNKNOWN_KIND: TxKind = { type: UNKNOWN_LABEL, chaincode: UNKNOWN_LABEL };

type TxCountLabel = 'channel' | 'transaction_type' | 'chaincode' | 'validation_code';

/**
 * Where the committer's time went for one block, in seconds, for the histograms Fabric's gossip
 * state provider and private data coordinator keep for every block they commit.
 */
export interface CommitterSeconds {
  /** The whole commit, validation included (`gossip_state_commit_duration`). */
  readonly total: number;
  /** The committer's validation (`gossip_privdata_validation_duration`). */
  readonly validation: number;
  /** Finding the private data the block needs that this peer holds, and what it lacks (`gossip_privdata_list_missing_duration`). */
  readonly listMissing: number;
  /** Asking other peers for what it lacks, when it lacked some and can ask (`gossip_privdata_fetch_duration`). */
  readonly fetch?: number;
  /** The ledger's commit of the block and its private data (`gossip_privdata_commit_block_duration`). */
  readonly commitBlock: number;
  /** Purging the transient store after the commit, when it succeeded (`gossip_privdata_purge_duration`). */
  readonly purge?: number;
}

/** What the committer reports of one committed block (see {@link PeerMetrics.observeCommit}). */
export interface CommittedBlock {
  /** The height after the block. */
  readonly height: number;
  /**
   * The committer's codes, before the ledger's MVCC. Fabric's ledger labels a transaction these
   * invalidate with type and chaincode 'unknown' (it never reads further into it), and one they
   * pass with its header type and chaincode `name:version`, whatever the ledger then decides.
   */
  readonly validated: Uint8Array;
  /** The final codes, as written into the block. */
  readonly flags: Uint8Array;
  /** Each transaction's header type and chaincode. */
  readonly kinds: readonly TxKind[];
  readonly seconds: CommitSeconds & CommitterSeconds;
}

/**
 * One `ledger_transaction_count` label set. Its count is a plain number added to the counter when
 * scraped: prom-client's `inc` hashes the label set on every call, and this runs per transaction.
 */
class TxCountCell {
  pending = 0;
  constructor(readonly labels: Readonly<Record<TxCountLabel, string>>) {}
}

/** One channel's label sets, made once: transaction type → chaincode → cells by validation code. */
class ChannelCells {
  readonly labels: { readonly channel: string };
  readonly txCounts = new Map<string, Map<string, TxCountCell[]>>();
  readonly chaincodes = new Set<string>();

  constructor(
    channel: string,
    private readonly all: TxCountCell[],
  ) {
    this.labels = { channel };
  }

  txCount(kind: TxKind, code: number): TxCountCell {
    const chaincode = this.chaincodeLabel(kind.chaincode);
    let byChaincode = this.txCounts.get(kind.type);
    if (byChaincode === undefined) this.txCounts.set(kind.type, (byChaincode = new Map()));
    let byCode = byChaincode.get(chaincode);
    if (byCode === undefined) byChaincode.set(chaincode, (byCode = []));
    let cell = byCode[code];
    if (cell === undefined) {
      cell = byCode[code] = new TxCountCell({ channel: this.labels.channel, transaction_type: kind.type, chaincode, validation_code: validationCodeName(code) });
      this.all.push(cell);
    }
    return cell;
  }

  private chaincodeLabel(chaincode: string): string {
    if (chaincode === UNKNOWN_LABEL || this.chaincodes.has(chaincode)) return chaincode;
    if (this.chaincodes.size >= MAX_CHAINCODE_LABELS) return 'other';
    this.chaincodes.add(chaincode);
    return chaincode;
  }
}

/**
 * How a proposal that passed the checks ended, as Fabric's endorser tells them apart: a chaincode
 * answer from 400 to 499 (`chaincode-error`) is an endorsement failure, one of 500 or more
 * (`chaincode-failure`) is counted in no failure counter; a chaincode not defined, approved or
 * installed here (`lookup-failed`, Fabric's `ChaincodeEndorsementInfo`) is found before the
 * simulation, so it is no simulation failure; each counts as unsuccessful in `endorser_proposal_duration`.
 */
export type ProposalOutcome = 'success' | 'chaincode-error' | 'chaincode-failure' | 'lookup-failed' | 'simulation-failed' | 'endorsement-failed';

/**
 * The refusals of Fabric's auth filters (expired creator, timestamp outside the window), which stand
 * in front of its endorser (`core/handlers/auth/filter`), the Gateway's way in included: a proposal
 * they refuse is in no endorser metric.
 */
const AUTH_FILTER_REFUSALS: ReadonlySet<string> = new Set(['PEER_IDENTITY_EXPIRED', 'PEER_BAD_TIMESTAMP']);

/** One proposal's metrics, from its arrival (see {@link PeerMetrics.proposal}). */
export interface ProposalMeter {
  /** A pre-simulation check refused it. */
  rejected(err: ProposalRejectedError): void;
  /** It passed the checks: from here on its duration is observed. */
  checked(channel: string, chaincode: string): void;
  /** Called once at the end, however it ended: counts the proposal received, and its outcome once {@link checked} was called. */
  finished(outcome: ProposalOutcome): void;
}

const stringDetail = (err: ProposalRejectedError, key: string): string => {
  const v = err.details[key];
  return typeof v === 'string' ? v : '';
};

/**
 * The peer's Prometheus metrics with Fabric's names, labels and meaning, so Fabric's dashboards
 * and alerts read a Weft peer unchanged: the endorser's (`core/endorser/metrics.go`), the ledger's
 * (`core/ledger/kvledger/metrics.go`, `common/ledger/blkstorage/metrics.go`), and those Fabric's
 * gossip state provider and private data coordinator record for every block they commit, whether
 * or not gossip delivered it (`gossip/metrics/metrics.go`). Registered on the operations server's
 * registry; updated on every proposal and every committed block.
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
  private readonly blockProcessing: Histogram<'channel'>;
  private readonly storageAndPvtCommit: Histogram<'channel'>;
  private readonly storageCommit: Histogram<'channel'>;
  private readonly stateCommit: Histogram<'channel'>;
  private readonly height: Gauge<'channel'>;
  private readonly blocks: Counter<'channel'>;
  private readonly stateHeight: Gauge<'channel'>;
  private readonly commitDuration: Histogram<'channel'>;
  private readonly pvtValidation: Histogram<'channel'>;
  private readonly pvtListMissing: Histogram<'channel'>;
  private readonly pvtFetch: Histogram<'channel'>;
  private readonly pvtCommitBlock: Histogram<'channel'>;
  private readonly pvtPurge: Histogram<'channel'>;
  private readonly pvtSend: Histogram<'channel'>;
  private readonly reconciliation: Histogram<'channel'>;
  private readonly pvtPull: Histogram<'channel'>;
  private readonly transientBytes: Gauge<'channel' | 'kind'>;
  private readonly transientEvictions: Counter<'channel' | 'kind'>;
  private readonly channels = new Map<string, ChannelCells>();
  private readonly txCountCells: TxCountCell[] = [];

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
    const cells = this.txCountCells;
    new Counter({
      name: 'ledger_transaction_count',
      help: 'Number of transactions processed.',
      labelNames: ['channel', 'transaction_type', 'chaincode', 'validation_code'],
      registers,
      collect(this: Counter<TxCountLabel>) {
        for (const cell of cells) {
          if (cell.pending > 0) this.inc(cell.labels, cell.pending);
          cell.pending = 0;
        }
      },
    });
    const channel = ['channel'] as const;
    const histogram = (name: string, help: string, buckets?: number[]): Histogram<'channel'> =>
      new Histogram({ name, help, labelNames: channel, registers, ...(buckets !== undefined && { buckets }) });
    this.blockProcessing = histogram('ledger_block_processing_time', 'Time taken in seconds for ledger block processing.', LEDGER_BUCKETS);
    this.storageAndPvtCommit = histogram(
      'ledger_blockstorage_and_pvtdata_commit_time',
      'Time taken in seconds for committing the block and private data to storage.',
      LEDGER_BUCKETS,
    );
    this.storageCommit = histogram('ledger_blockstorage_commit_time', 'Time taken in seconds for committing the block to storage.', LEDGER_BUCKETS);
    this.stateCommit = histogram('ledger_statedb_commit_time', 'Time taken in seconds for committing block changes to state db.', LEDGER_BUCKETS);
    this.height = new Gauge({ name: 'ledger_blockchain_height', help: 'Height of the chain in blocks.', labelNames: channel, registers });
    this.blocks = new Counter({ name: 'ledger_blocks_committed', help: 'Blocks committed (Weft).', labelNames: channel, registers });
    this.stateHeight = new Gauge({ name: 'gossip_state_height', help: 'Current ledger height', labelNames: channel, registers });
    this.commitDuration = histogram('gossip_state_commit_duration', 'Time it takes to commit a block in seconds');
    this.pvtValidation = histogram('gossip_privdata_validation_duration', 'Time it takes to validate a block (in seconds)');
    this.pvtListMissing = histogram('gossip_privdata_list_missing_duration', 'Time it takes to list the missing private data (in seconds)');
    this.pvtFetch = histogram('gossip_privdata_fetch_duration', 'Time it takes to fetch missing private data from peers (in seconds)');
    this.pvtCommitBlock = histogram('gossip_privdata_commit_block_duration', 'Time it takes to commit private data and the corresponding block (in seconds)');
    this.pvtPurge = histogram('gossip_privdata_purge_duration', 'Time it takes to purge private data (in seconds)');
    this.pvtSend = histogram('gossip_privdata_send_duration', 'Time it takes to send a missing private data element (in seconds)');
    this.reconciliation = histogram('gossip_privdata_reconciliation_duration', 'Time it takes for reconciliation to complete (in seconds)');
    this.pvtPull = histogram('gossip_privdata_pull_duration', 'Time it takes to pull a missing private data element (in seconds)');
    // By kind of sender only: a label per client identity would make the series unbounded.
    const channelKind = ['channel', 'kind'] as const;
    this.transientBytes = new Gauge({
      name: 'transient_store_bytes',
      help: 'Bytes of private data the transient store holds, by who put it there: endorsed (clients) or pushed (peers) (Weft).',
      labelNames: channelKind,
      registers,
    });
    this.transientEvictions = new Counter({
      name: 'transient_store_evictions',
      help: 'Entries evicted from the transient store to stay within its bound or their sender\'s quota, by kind (Weft).',
      labelNames: channelKind,
      registers,
    });
  }

  /** Where a channel's transient store reports what it holds and evicts. */
  transientStore(channel: string): TransientStoreMetrics {
    return {
      held: (kind, bytes) => this.transientBytes.set({ channel, kind }, bytes),
      evicted: (kind, entries) => this.transientEvictions.inc({ channel, kind }, entries),
    };
  }

  /** A channel's ledger opened (at start or on join): Fabric's block store reports its height then, before any commit. */
  observeLedgerOpened(channel: string, height: number): void {
    this.height.set(this.channelCells(channel).labels, height);
  }

  /** One reconciliation round of a channel, whatever it found. */
  observeReconciliation(channel: string, seconds: number): void {
    this.reconciliation.observe({ channel }, seconds);
  }

  /** One push of an endorsement's private data to another peer, acknowledged or not: the time since the dissemination began. */
  observePvtSend(channel: string, seconds: number): void {
    this.pvtSend.observe({ channel }, seconds);
  }

  /** One pull of a block's missing private data from other peers (at commit or in a reconciliation round). */
  observePvtPull(channel: string, seconds: number): void {
    this.pvtPull.observe({ channel }, seconds);
  }

  /** A proposal arrived; its meter counts it, and records how it ends, once it has ended. */
  proposal(): ProposalMeter {
    const started = performance.now();
    let labels: { channel: string; chaincode: string } | undefined;
    let filtered = false;
    return {
      rejected: (err) => {
        if (AUTH_FILTER_REFUSALS.has(err.code)) filtered = true;
        else if (err.check === 'validation') this.validationFailures.inc();
        else {
          const l = { channel: stringDetail(err, 'channelId'), chaincode: stringDetail(err, 'chaincode') };
          (err.check === 'acl' ? this.aclFailures : this.duplicateTxFailures).inc(l);
        }
      },
      checked: (channel, chaincode) => {
        labels = { channel, chaincode };
      },
      finished: (outcome) => {
        if (filtered) return;
        this.proposalsReceived.inc();
        if (labels === undefined) return;
        const success = outcome === 'success';
        if (success) this.successfulProposals.inc();
        else if (outcome === 'simulation-failed') this.simulationFailures.inc(labels);
        else if (outcome === 'chaincode-error' || outcome === 'endorsement-failed') {
          this.endorsementFailures.inc({ ...labels, chaincodeerror: String(outcome === 'chaincode-error') });
        }
        this.proposalDuration.observe({ ...labels, success: String(success) }, (performance.now() - started) / 1000);
      },
    };
  }

  /** One committed block: its transactions by type, chaincode and final code, and where the commit's time went. */
  observeCommit(channel: string, block: CommittedBlock): void {
    const cells = this.channelCells(channel);
    const { validated, flags, kinds, seconds } = block;
    for (let i = 0; i < flags.length; i++) {
      const kind = validated[i] === TxValidationCode.VALID ? (kinds[i] ?? UNKNOWN_KIND) : UNKNOWN_KIND;
      cells.txCount(kind, flags[i]).pending++;
    }
    const labels = cells.labels;
    this.blockProcessing.observe(labels, seconds.processing);
    this.storageAndPvtCommit.observe(labels, seconds.storageCommit);
    // Weft's block store writes a block and its private data in one step: its time is both.
    this.storageCommit.observe(labels, seconds.storageCommit);
    if (seconds.stateCommit !== undefined) this.stateCommit.observe(labels, seconds.stateCommit);
    this.height.set(labels, block.height);
    this.blocks.inc(labels);
    this.stateHeight.set(labels, block.height);
    this.commitDuration.observe(labels, seconds.total);
    this.pvtValidation.observe(labels, seconds.validation);
    this.pvtListMissing.observe(labels, seconds.listMissing);
    if (seconds.fetch !== undefined) this.pvtFetch.observe(labels, seconds.fetch);
    this.pvtCommitBlock.observe(labels, seconds.commitBlock);
    if (seconds.purge !== undefined) this.pvtPurge.observe(labels, seconds.purge);
  }

  private channelCells(channel: string): ChannelCells {
    let cells = this.channels.get(channel);
    if (cells === undefined) this.channels.set(channel, (cells = new ChannelCells(channel, this.txCountCells)));
    return cells;
  }
}
