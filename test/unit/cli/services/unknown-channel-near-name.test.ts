import { describe, expect, it } from '@jest/globals';
import { nearNames } from '../../../../cli/services/near-names';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';

/**
 * `weft chaincode query ./net --channel mychanel …` (a typo) answered UNKNOWN_CHANNEL whose first
 * remedy was `weft channel create ./net mychanel`: creating a channel named after the typo.
 */
describe('a channel name that is a typo of one the network has', () => {
  const spec = specFromOptions({ ...DEFAULT_INIT_OPTIONS, basePort: 30000 });
  const layout = new NetworkLayout('/nets/net', { ...spec, otherChannels: [{ ...spec.channel, name: 'audit' }] });

  it('is refused with "did you mean" the near name first, creating it second; a name near none, with create first', () => {
    for (const [typed, meant] of [
      ['mychanel', 'mychannel'],
      ['MyChannel', 'mychannel'],
      ['audti', 'audit'],
    ]) {
      expect(() => layout.forChannel(typed)).toThrow(
        expect.objectContaining({
          code: 'UNKNOWN_CHANNEL',
          details: expect.objectContaining({ suggestions: [`did you mean --channel ${meant}?`, `or create it with: weft channel create /nets/net ${typed}`] }),
        }),
      );
    }
    // A name near none is still offered to create, beside the channels there are.
    expect(() => layout.forChannel('payments')).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ suggestions: ['create it with: weft channel create /nets/net payments', 'or pick one of: mychannel, audit'] }) }),
    );
  });

  it('finds the nearest names only, within two edits, swaps counted as one', () => {
    expect(nearNames('audti', ['audit', 'adit', 'mychannel'])).toEqual(['audit']);
    expect(nearNames('ch1', ['ch2', 'ch3', 'other'])).toEqual(['ch2', 'ch3']);
    expect(nearNames('trade', ['mychannel', 'audit'])).toEqual([]);
    expect(nearNames('x', [])).toEqual([]);
  });
});
