/** Ends one hold of a {@link StateLock}; a second call does nothing. */
export type StateRelease = () => void;

/** A hold of the state under way, as {@link StateLock.holders} reports it. */
export interface StateHolder {
  readonly label: string;
  readonly sinceMs: number;
}

/**
 * One channel's state lock, Fabric's `commitRWLock` (`core/ledger/kvledger/txmgmt/txmgr/
 * lockbased_txmgr.go`): a simulation or query that spans turns of the event loop (chaincode now
 * runs off it) holds the state shared from its start to `done()`, so it sees one committed state
 * throughout; a commit takes it alone. Writer-preferring, as Go's `RWMutex`: once a commit waits,
 * new holds wait behind it, so a stream of simulations cannot starve the channel's commits.
 *
 * A hold never released would stop the channel's commits for good. Holds are labelled, and a
 * commit that has waited `stallMs` reports who holds the state through `onStall` (once per commit).
 */
export class StateLock {
  private readonly held = new Map<symbol, StateHolder>();
  private writing = false;
  private readonly writers: (() => void)[] = [];
  private readers: (() => void)[] = [];

  constructor(
    private readonly stallMs = 120_000,
    private readonly onStall: (holders: readonly StateHolder[], waitedMs: number) => void = reportStall,
  ) {}

  /** Holds the state shared; resolves once no commit runs or waits. */
  async read(label: string): Promise<StateRelease> {
    const id = Symbol(label);
    // Counted as held when granted, not when the caller resumes: a commit asked for in between waits.
    const hold = (): void => {
      this.held.set(id, { label, sinceMs: performance.now() });
    };
    if (this.writing || this.writers.length > 0) {
      await new Promise<void>((resolve) =>
        this.readers.push(() => {
          hold();
          resolve();
        }),
      );
    } else {
      hold();
    }
    return once(() => {
      this.held.delete(id);
      this.wake();
    });
  }

  /**
   * Runs `fn` (synchronous: a commit) with the state held alone, once every hold granted before it
   * has ended.
   */
  async exclusive<T>(fn: () => T): Promise<T> {
    if (this.writing || this.held.size > 0 || this.writers.length > 0) {
      const since = performance.now();
      const stall = setTimeout(() => this.onStall(this.holders(), performance.now() - since), this.stallMs);
      stall.unref();
      // `wake` marks the lock written before it resolves this, so no hold slips in before `fn`.
      await new Promise<void>((resolve) => this.writers.push(resolve)).finally(() => clearTimeout(stall));
    } else {
      this.writing = true;
    }
    try {
      return fn();
    } finally {
      this.writing = false;
      this.wake();
    }
  }

  /** The holds under way, oldest first. */
  holders(): StateHolder[] {
    return [...this.held.values()];
  }

  private wake(): void {
    if (this.writing) return;
    if (this.writers.length > 0) {
      if (this.held.size > 0) return;
      // Marked now: a hold asked for before the woken commit resumes must wait for it.
      this.writing = true;
      (this.writers.shift() as () => void)();
      return;
    }
    const readers = this.readers;
    this.readers = [];
    for (const r of readers) r();
  }
}

function once(fn: () => void): StateRelease {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}

function reportStall(holders: readonly StateHolder[], waitedMs: number): void {
  const now = performance.now();
  const list = holders.map((h) => `${h.label} (${Math.round(now - h.sinceMs)} ms)`).join(', ');
  process.emitWarning(`a block commit has waited ${Math.round(waitedMs)} ms for simulations that still hold the channel's state: ${list}; one that never calls done() stops the channel's commits`, 'WeftStateLockStall');
}
