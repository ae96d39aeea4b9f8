import { performance } from 'node:perf_hooks';

/** Whether this thread's event loop is busy enough that work should move to other threads. */
export interface LoopLoad {
  busy(): boolean;
}

/** Milliseconds the loop has spent working and waiting since it started, and the current time. */
export interface LoopClock {
  now(): number;
  spent(): { active: number; idle: number };
}

const processLoop: LoopClock = {
  now: () => performance.now(),
  spent: () => performance.eventLoopUtilization(),
};

/**
 * Event-loop utilization over the last completed window (`windowMs`), compared with `threshold`.
 * Handing a 100 µs signature check to libuv's pool costs about half as much CPU again (a job, a
 * thread wake-up, a callback), which only pays when the loop has other work to do meanwhile; an orderer
 * at a few hundred transactions a second is idle 90% of the time.
 */
export class EventLoopLoad implements LoopLoad {
  private last: { active: number; idle: number };
  private lastAt: number;
  private isBusy = false;

  constructor(
    private readonly threshold = 0.5,
    private readonly windowMs = 100,
    private readonly clock: LoopClock = processLoop,
  ) {
    this.last = clock.spent();
    this.lastAt = clock.now();
  }

  busy(): boolean {
    const now = this.clock.now();
    if (now - this.lastAt >= this.windowMs) {
      const current = this.clock.spent();
      const active = current.active - this.last.active;
      const total = active + current.idle - this.last.idle;
      this.isBusy = total > 0 && active / total > this.threshold;
      this.last = current;
      this.lastAt = now;
    }
    return this.isBusy;
  }
}
