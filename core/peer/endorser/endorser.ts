import type { TxSimulator } from '../../ledger/tx-simulator';
import type { ParsedSignedProposal } from '../../protocol/proposal';
import { ERROR_THRESHOLD, buildChaincodeErrorResponse, buildErrorProposalResponse, buildProposalResponse } from '../../protocol/proposal-response';
import type { Signer } from '../../protocol/signer';
import type { ChaincodeResponse } from '../../protocol/proposal-response-payload';
import { int32Field, lenField, message, stringField, submessage } from '../../protocol/wire-writer';
import { PeerError } from '../peer-error';
import type { PeerMetrics, ProposalMeter, ProposalOutcome } from '../peer-metrics';
import type { ChaincodeInterest } from '../../protocol/chaincode-interest';
import type { Channel } from '../channel/channel';
import { transientSender } from '../privdata/transient-senders';
import { buildChaincodeInterest } from './chaincode-interest';
import { ProposalSimulation } from './proposal-simulation';
import { type ChaincodeExecutor, DEFAULT_ENDORSEMENT_PLUGIN, type ExecutionResult } from './chaincode-executor';
import { type CheckedProposal, type ProposalCheckSupport, ProposalRejectedError, checkProposal } from './proposal-checks';

/** The outcome of a simulation without signing (the Gateway's Evaluate path). */
export interface SimulationOutcome {
  readonly checked: CheckedProposal;
  readonly result: ExecutionResult;
  /** `TxReadWriteSet` bytes; empty for channel-less calls, evaluations and a chaincode status from 400 to 499. */
  readonly rwset: Uint8Array;
  /**
   * What the transaction must be endorsed for: with the read/write set; without one (an
   * evaluation) only when the simulation read a private value, else undefined.
   */
  readonly interest?: ChaincodeInterest;
  /** The private writes (`TxPvtReadWriteSet`) and the channel height they were simulated at. */
  readonly pvt?: { readonly bytes: Uint8Array; readonly height: number };
}

/** How {@link Endorser.processProposal} serves one proposal. */
export interface EndorseOptions {
  /** Throw a {@link ProposalRejectedError} instead of answering it (the `protos.Endorser` service). */
  readonly rejectionsThrow?: boolean;
  /** Aborts when the client no longer waits for the answer. */
  readonly signal?: AbortSignal;
}

/** Pushes an endorsement's private data to the collections' other member peers (Fabric's gossip distributor). */
export interface PrivateDataDistributor {
  distribute(channel: Channel, txId: string, pvt: Uint8Array, height: number): Promise<void>;
}

/**
 * Fabric's endorser (`protos.Endorser/ProcessProposal`): checks the proposal, simulates it and
 * signs the `ProposalResponse`. Every failure is an answer (status 500 with Fabric's message, or
 * the chaincode's status ≥ 400 and message verbatim, unendorsed), never a throw, so one bad
 * proposal never disturbs the next.
 */
export class Endorser {
  constructor(
    private readonly checks: ProposalCheckSupport,
    private readonly executor: ChaincodeExecutor,
    private readonly signer: Signer,
    private readonly metrics?: PeerMetrics,
    private readonly distributor?: PrivateDataDistributor,
  ) {}

  /**
   * Serves one `SignedProposal` (bytes, or already parsed by the Gateway); returns `ProposalResponse`
   * bytes. A proposal the checks refuse is a status-500 response too, unless `rejectionsThrow`
   * (the `protos.Endorser` service: Fabric answers those with a gRPC error) makes it throw the
   * {@link ProposalRejectedError}. `signal` aborts when the client gives up (cancelled call, passed
   * deadline): a proposal still waiting for its chaincode's sandbox then leaves the queue unrun.
   */
  async processProposal(signedProposal: Uint8Array | ParsedSignedProposal, options: EndorseOptions = {}): Promise<Uint8Array> {
    const meter = this.metrics?.proposal();
    let outcome: ProposalOutcome = 'simulation-failed';
    try {
      const sim = await this.checkAndRun(signedProposal, true, meter, options.signal);
      const chaincode = sim.checked.proposal.chaincodeName;
      const { response, event, version } = sim.result;
      if (response.status >= ERROR_THRESHOLD) {
        outcome = chaincodeErrorOutcome(response.status);
        // Fabric: a status ≥ 500 comes with the payload (its results, no event) and the interest;
        // one from 400 to 499 with the chaincode's response alone, its payload included.
        if (response.status < ERROR_STATUS) return responseOnly(response);
        return buildChaincodeErrorResponse({ proposal: sim.checked.proposal, response, results: sim.rwset, chaincodeId: { name: chaincode, version }, interest: sim.interest });
      }
      const channel = sim.checked.channel;
      // Fabric's "broken concept": a channel-less invocation cannot become a transaction, so its
      // success is answered with the response alone, unsigned.
      if (channel === undefined) {
        outcome = 'success';
        return responseOnly(response);
      }
      // Checked before the private data is disseminated (Fabric does so after): it can never commit.
      if (!hasEndorsementPlugin(sim.result)) {
        outcome = 'endorsement-failed';
        throw missingPlugin(sim.result.endorsementPlugin);
      }
      // As Fabric's endorser: the private data is disseminated before the endorsement is signed,
      // and a collection whose required peers cannot be reached fails the proposal.
      // Kept only once disseminated, as Fabric's DistributePrivateData: a failed endorsement's data
      // would otherwise sit in the transient store until retention.
      if (sim.pvt !== undefined) {
        await this.distributor?.distribute(channel, sim.checked.proposal.txId, sim.pvt.bytes, sim.pvt.height);
        // Counted toward the client, so that one never submitting what it has endorsed crowds out only itself.
        channel.transient.persist(sim.checked.proposal.txId, sim.pvt.bytes, sim.pvt.height, transientSender(sim.checked.creator));
      }
      outcome = 'endorsement-failed';
      const bytes = buildProposalResponse({
        proposal: sim.checked.proposal,
        response,
        results: sim.rwset,
        events: event === undefined ? undefined : chaincodeEventBytes(chaincode, sim.checked.proposal.txId, event.eventName, event.payload),
        chaincodeId: { name: chaincode, version },
        endorser: this.signer,
        interest: sim.interest,
      });
      outcome = 'success';
      return bytes;
    } catch (err) {
      if (isLookupFailure(err)) outcome = 'lookup-failed';
      if (options.rejectionsThrow === true && err instanceof ProposalRejectedError) throw err;
      return buildErrorProposalResponse(500, err instanceof Error ? err.message : String(err));
    } finally {
      meter?.finished(outcome);
    }
  }

  /**
   * Checks and simulates without signing. Throws `PeerError` for a rejected proposal; a chaincode
   * failure is a result (status ≥ 400 in `result.response`). `readWriteSet: false` (evaluate) skips
   * building the read/write set, and the interest unless a private value was read. Counted in the
   * endorser metrics as Fabric's Gateway counts an evaluation (it sends it to the endorser's
   * ProcessProposal). `signal` as for {@link processProposal}.
   */
  async simulate(signedProposal: Uint8Array | ParsedSignedProposal, options: { readWriteSet?: boolean; readonly signal?: AbortSignal } = {}): Promise<SimulationOutcome> {
    const meter = this.metrics?.proposal();
    let outcome: ProposalOutcome = 'simulation-failed';
    try {
      const sim = await this.checkAndRun(signedProposal, options.readWriteSet ?? true, meter, options.signal);
      if (sim.result.response.status >= ERROR_THRESHOLD) {
        outcome = chaincodeErrorOutcome(sim.result.response.status);
        return sim;
      }
      // Fabric's Gateway evaluates through ProcessProposal, which would not sign this either.
      if (sim.checked.channel !== undefined && !hasEndorsementPlugin(sim.result)) {
        outcome = 'endorsement-failed';
        throw missingPlugin(sim.result.endorsementPlugin);
      }
      outcome = 'success';
      return sim;
    } catch (err) {
      if (isLookupFailure(err)) outcome = 'lookup-failed';
      throw err;
    } finally {
      meter?.finished(outcome);
    }
  }

  private checkAndRun(signedProposal: Uint8Array | ParsedSignedProposal, readWriteSet: boolean, meter: ProposalMeter | undefined, signal: AbortSignal | undefined): Promise<SimulationOutcome> {
    let checked: CheckedProposal;
    try {
      checked = checkProposal(signedProposal, this.checks);
    } catch (err) {
      if (err instanceof ProposalRejectedError) meter?.rejected(err);
      throw err;
    }
    const { proposal } = checked;
    meter?.checked(proposal.channelId, proposal.chaincodeName);
    // Opened before the simulation waits for the ledger: a proposal reusing a running one's txid
    // is refused, as Fabric refuses it.
    const close = this.executor.openContext(proposal, checked.channel);
    return this.run(checked, readWriteSet, signal).finally(close);
  }

  private async run(checked: CheckedProposal, readWriteSet: boolean, signal: AbortSignal | undefined): Promise<SimulationOutcome> {
    const { proposal, channel, creator } = checked;
    // Holds the channel's state from the chaincode's start until done(): chaincode runs off the
    // event loop, and a block must not commit between its reads. Not while it waits for a sandbox.
    const simulation = new ProposalSimulation(channel?.ledger, proposal.txId);
    try {
      const result = await this.executor.execute(proposal, channel, creator, simulation, { recordDefinition: readWriteSet, signal });
      const simulator = simulation.simulator;
      const status = result.response.status;
      // An evaluation never becomes a transaction: its read/write set is not built. Nor is that of
      // a status from 400 to 499, which Fabric answers with the response alone; a status ≥ 500
      // carries it in its (unsigned) payload, as in Fabric.
      const wanted = readWriteSet && simulator !== undefined && (status < ERROR_THRESHOLD || status >= ERROR_STATUS);
      const rwset = wanted ? (simulator as TxSimulator).getTxSimulationResults() : new Uint8Array(0);
      // Fabric's endorser hands the private rwset to its transient store (and gossip), never to the
      // client. Unlike Fabric, not that of a failed invocation: it can never commit.
      const pvtBytes = rwset.length > 0 && status < ERROR_THRESHOLD ? simulator?.getPrivateSimulationResults() : undefined;
      const pvt = pvtBytes !== undefined && channel !== undefined ? { bytes: pvtBytes, height: channel.height() } : undefined;
      const interest = rwset.length > 0 || (!readWriteSet && status < ERROR_THRESHOLD) ? this.interestOf(simulator, rwset.length > 0) : undefined;
      return { checked, result, rwset, interest, pvt };
    } catch (err) {
      if (err instanceof PeerError) throw err;
      throw new PeerError('PEER_SIMULATION_FAILED', `error in simulation: ${(err as Error).message}`, { txId: proposal.txId }, { cause: err });
    } finally {
      simulation.done();
    }
  }

  /**
   * The simulation's chaincode interest: always with a read/write set (`endorsed`); for an
   * evaluation only when it read a private value, of any chaincode it called or any collection
   * (implicit ones too), as only then may its peer have answered without the data (a Gateway asks
   * a member instead). What the simulator noted of such reads is one check for a query without any.
   */
  private interestOf(simulator: TxSimulator | undefined, endorsed: boolean): ChaincodeInterest | undefined {
    const footprint = simulator?.getSimulationFootprint();
    if (footprint === undefined || (!endorsed && footprint.privateReads.length === 0)) return undefined;
    return buildChaincodeInterest(footprint, (name) => this.checks.isSystemChaincode(name));
  }
}

/** Fabric's endorser counts a chaincode answer from 400 to 499 as an endorsement failure, and one of 500 or more in no failure counter. */
function chaincodeErrorOutcome(status: number): ProposalOutcome {
  return status < ERROR_STATUS ? 'chaincode-error' : 'chaincode-failure';
}

/** The codes of a chaincode not defined, approved or installed here, which Fabric's endorser finds before simulating. */
const LOOKUP_FAILURES: ReadonlySet<string> = new Set(['PEER_UNKNOWN_CHAINCODE', 'PEER_CHAINCODE_NOT_APPROVED', 'PEER_CHAINCODE_NOT_INSTALLED']);

/** A failure of Fabric's `ChaincodeEndorsementInfo`, which its endorser does not count as a simulation failure. */
function isLookupFailure(err: unknown): boolean {
  return err instanceof PeerError && LOOKUP_FAILURES.has(err.code);
}

/**
 * Fabric's `EndorseWithPlugin`: the definition names the plugin that signs, and a peer without it
 * endorses nothing for that chaincode. Weft has only the default `escc`.
 */
function hasEndorsementPlugin(result: ExecutionResult): boolean {
  return result.endorsementPlugin === DEFAULT_ENDORSEMENT_PLUGIN;
}

/** Fabric's failure of `EndorseWithPlugin` for a plugin the peer lacks, worded as Fabric words it. */
function missingPlugin(plugin: string): PeerError {
  return new PeerError(
    'PEER_ENDORSEMENT_PLUGIN',
    `endorsing with plugin failed: plugin with name ${plugin} could not be used: plugin with name ${plugin} wasn't found`,
    { endorsementPlugin: plugin, available: [DEFAULT_ENDORSEMENT_PLUGIN] },
  );
}

/** Fabric's `shim.ERROR`: a chaincode status at or above it is answered with the (unsigned) payload. */
const ERROR_STATUS = 500;

/** `ProposalResponse{response = 4}` and nothing else, as Fabric answers what it does not endorse. */
function responseOnly(response: ChaincodeResponse): Uint8Array {
  return message(lenField(4, submessage(int32Field(1, response.status), stringField(2, response.message), lenField(3, response.payload, true)), false));
}

/** `ChaincodeEvent{chaincode_id = 1, tx_id = 2, event_name = 3, payload = 4}`, encoded as google-protobuf does. */
function chaincodeEventBytes(chaincodeId: string, txId: string, eventName: string, payload: Uint8Array): Uint8Array {
  return message(stringField(1, chaincodeId), stringField(2, txId), stringField(3, eventName), lenField(4, payload, true));
}
