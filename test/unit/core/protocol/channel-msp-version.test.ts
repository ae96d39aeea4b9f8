import { channelMspVersion } from '../../../../core/protocol/capabilities';

/** Fabric's `ChannelProvider.MSPVersion()` (common/capabilities/channel.go): the newest capability present wins. */
describe('channelMspVersion (Fabric ChannelProvider.MSPVersion)', () => {
  it.each([
    [[], 'MSPv1_0'],
    [['V1_1'], 'MSPv1_1'],
    [['V1_3'], 'MSPv1_3'],
    [['V1_4_2'], 'MSPv1_3'],
    [['V1_4_3'], 'MSPv1_4_3'],
    [['V2_0'], 'MSPv1_4_3'],
    [['V3_0'], 'MSPv3_0'],
    [['V1_1', 'V2_0'], 'MSPv1_4_3'],
    [['V2_0', 'V3_0'], 'MSPv3_0'],
    [['V1_1', 'V1_4_2'], 'MSPv1_3'],
  ] as const)('%j selects %s', (names, version) => {
    expect(channelMspVersion(names)).toBe(version);
  });
});
