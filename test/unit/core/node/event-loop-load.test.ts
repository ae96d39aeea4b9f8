import { EventLoopLoad, type LoopClock } from '../../../../core/node/event-loop-load';

/** A loop whose working and waiting time the test decides, so windows do not depend on the host. */
class ScriptedLoop implements LoopClock {
  private at = 0;
  private active = 0;
  private idle = 0;
  now(): number {
    return this.at;
  }
  spent(): { active: number; idle: number } {
    return { active: this.active, idle: this.idle };
  }
  work(ms: number): void {
    this.at += ms;
    this.active += ms;
  }
  wait(ms: number): void {
    this.at += ms;
    this.idle += ms;
  }
}

describe('event loop load', () => {
  it('is busy after a window the loop spent mostly working and not after one it spent mostly waiting', () => {
    const loop = new ScriptedLoop();
    const load = new EventLoopLoad(0.5, 50, loop);
    expect(load.busy()).toBe(false); // no window has completed yet
    loop.work(40);
    loop.wait(20);
    expect(load.busy()).toBe(true);
    loop.wait(30);
    // Within the next window the answer is kept, not recomputed.
    expect(load.busy()).toBe(true);
    loop.wait(10);
    loop.work(15);
    expect(load.busy()).toBe(false); // 15 of 55 ms working
  });

  it('compares with the threshold it was given', () => {
    const loop = new ScriptedLoop();
    const load = new EventLoopLoad(0.8, 10, loop);
    loop.work(7);
    loop.wait(3);
    expect(load.busy()).toBe(false);
    loop.work(9);
    loop.wait(1);
    expect(load.busy()).toBe(true);
  });

  it('reads the process loop by default: a window spent spinning counts as busy', () => {
    const load = new EventLoopLoad(0.5, 50);
    const until = Date.now() + 120;
    while (Date.now() < until);
    expect(load.busy()).toBe(true);
  });
});
