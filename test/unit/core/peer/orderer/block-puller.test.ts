import pino from 'pino';
import type { JoinedChannel } from '../../../../../core/peer/channel/channel-manager';
import { BlockPuller, type OrdererSource } from '../../../../../core/peer/orderer/block-puller';
import type { Signer } from '../../../../../core/protocol/signer';

/** A channel whose config names no orderer: the puller only waits between attempts. */
function idleChannel(): JoinedChannel {
  return { channel: { id: 'ch' }, committer: { failure: () => undefined } } as unknown as JoinedChannel;
}

const noOrderers: OrdererSource = {
  endpoints: () => [],
  client: () => {
    throw new Error('no orderer to dial');
  },
};

describe('BlockPuller', () => {
  afterEach(() => jest.useRealTimers());

  it('leaves no retry timer behind once stopped', async () => {
    jest.useFakeTimers();
    const puller = new BlockPuller(idleChannel(), {} as Signer, noOrderers, pino({ level: 'silent' }));
    const before = jest.getTimerCount();
    puller.start();
    // Let the loop reach its wait between attempts.
    await Promise.resolve();
    expect(jest.getTimerCount()).toBe(before + 1);
    await puller.stop();
    expect(jest.getTimerCount()).toBe(before);
  });
});
