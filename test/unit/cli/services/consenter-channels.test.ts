import { describe, expect, it } from '@jest/globals';
import { rotatableChannels } from '../../../../cli/services/network/consenter-channels';

/**
 * Which channels an orderer's renewal updates, from what its channel participation API answers
 * for each (`osnadmin channel info`: Fabric's ChannelInfo, as Weft's registrar and Fabric's orderer
 * fill it): only those it orders as consenter and that take updates.
 */
describe('rotatableChannels', () => {
  it('takes the active channels it consents for; a failed one and one it follows are skipped, each with why', () => {
    const { active, skipped } = rotatableChannels([
      { name: 'mychannel', consensusRelation: 'consenter', status: 'active', height: 9 },
      // Weft's registrar lists a channel it could not open at start so (a consenter certificate it no longer matches).
      { name: 'broken', consensusRelation: 'consenter', status: 'failed', height: 0 },
      // A Fabric orderer following a channel other nodes order.
      { name: 'followed', consensusRelation: 'follower', status: 'active', height: 4 },
      { name: 'side', consensusRelation: 'consenter', status: 'active', height: 2 },
      // Removed between the list and the info call.
      { name: 'gone', status: 'removed' },
    ]);
    expect(active).toEqual(['mychannel', 'side']);
    expect(skipped).toEqual([
      { channel: 'broken', why: expect.stringContaining('lists it as failed: it orders no config update until repaired') },
      { channel: 'followed', why: expect.stringContaining('is its follower, not a consenter') },
      { channel: 'gone', why: expect.stringContaining('lists it as removed') },
    ]);
  });
});
