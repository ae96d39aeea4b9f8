import { EventLoopLoad } from '../../../../core/node/event-loop-load';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('event loop load', () => {
  it('is busy after a window the loop spent working and not busy after one it spent waiting', async () => {
    const load = new EventLoopLoad(0.5, 50);
    expect(load.busy()).toBe(false); // no window has completed yet
    const until = Date.now() + 120;
    while (Date.now() < until);
    expect(load.busy()).toBe(true);
    // Within the next window the answer is kept, not recomputed.
    expect(load.busy()).toBe(true);
    await sleep(120);
    expect(load.busy()).toBe(false);
  });
});
