import { type EventLoopUtilization, performance } from 'node:perf_hooks';

/** Whether this thread's event loop is busy enough that work should move to other threads. */
export interface LoopLoad {
  busy(): boolean;
}

/**
 * Event-loop utilization over the last completed window (`windowMs`), compared with `threshold`.
 * Handing a 100 µs signature check to libuv's pool costs about half as much CPU again (a job, a
 * thread wake-up, a callback), which only pays when the loop has other work to do meanwhile; an orderer
 * at a few hundred transactions a second is idle 90% of the time.
 */
export class EventLoopLoad implements LoopLoad {
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private lastAt = performance.now();
  private isBusy = false;

  constructor(
    private readonly threshold = 0.5,
    private readonly windowMs = 100,
  ) {}

  busy(): boolean {
    const now = performance.now();
    if (now - this.lastAt >= this.windowMs) {
      const current = performance.eventLoopUtilization();
      this.isBusy = performance.eventLoopUtilization(current, this.last).utilization > this.threshold;
      this.last = current;
      this.lastAt = now;
    }
    return this.isBusy;
  }
}
