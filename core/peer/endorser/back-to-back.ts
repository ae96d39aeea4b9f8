interface Job {
  readonly fn: () => Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Runs the jobs submitted during one turn of the event loop one after another in the next turn,
 * and settles them only when all have run. Used for chaincode simulations: proposals arrive in
 * bursts, and a sandbox entered right after other work (crypto, gRPC) costs several times one
 * entered again straight away, because the chaincode's code and heap have left the CPU caches
 * (measured: ~140 µs against ~57 µs for the same call). Running a burst's simulations back to back,
 * without the callers' continuations in between, keeps them warm.
 */
export class BackToBack {
  private queue: Job[] = [];

  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const outcomes: { ok: boolean; value: unknown }[] = [];
    for (const job of batch) {
      try {
        outcomes.push({ ok: true, value: await job.fn() });
      } catch (err) {
        outcomes.push({ ok: false, value: err });
      }
    }
    batch.forEach((job, i) => (outcomes[i].ok ? job.resolve(outcomes[i].value) : job.reject(outcomes[i].value)));
  }
}
