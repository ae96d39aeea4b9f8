import type { TxSimulator } from '../../ledger/tx-simulator';
import type { PeerLedger } from '../channel/peer-ledger';

/**
 * One proposal's simulator, opened (the channel's state held, {@link PeerLedger.openTxSimulator})
 * only when its simulation starts: for user chaincode, once the runtime has a sandbox for it, so a
 * proposal waiting for one holds nothing a block commit waits for. The endorser owns it and calls
 * {@link done} once, however far the proposal got; that also ends a hold still being granted.
 */
export class ProposalSimulation {
  private opening: Promise<TxSimulator> | undefined;
  private opened: TxSimulator | undefined;
  private finished = false;

  constructor(
    /** Absent for a channel-less proposal, which has no simulator. */
    private readonly ledger: Pick<PeerLedger, 'openTxSimulator'> | undefined,
    private readonly txId: string,
  ) {}

  /** Opens the simulator on the first call (waiting while a commit runs or waits); later calls get the same one. */
  open(): Promise<TxSimulator | undefined> {
    if (this.ledger === undefined) return Promise.resolve(undefined);
    if (this.finished) return Promise.reject(new Error(`the simulation of transaction ${this.txId} has already ended`));
    this.opening ??= this.ledger.openTxSimulator(this.txId).then((simulator) => {
      // Ended while the hold was being granted: nobody will use it, release it now.
      if (this.finished) simulator.done();
      else this.opened = simulator;
      return simulator;
    });
    return this.opening;
  }

  /** The simulator once opened; undefined when the simulation never started (refused or cancelled before running). */
  get simulator(): TxSimulator | undefined {
    return this.opened;
  }

  /** Ends the simulation: releases the channel's state if it was held, or once it is granted. */
  done(): void {
    if (this.finished) return;
    this.finished = true;
    this.opened?.done();
  }
}
