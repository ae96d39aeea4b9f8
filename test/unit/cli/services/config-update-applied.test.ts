import { describe, expect, it } from '@jest/globals';
import { editChannelConfig, type ChannelChange } from '../../../../cli/services/network/channel-config-edit';
import { updateApplied } from '../../../../cli/services/network/config-update-applied';
import { DEFAULT_INIT_OPTIONS, specFromOptions } from '../../../../cli/services/network/network-init';
import { NetworkLayout } from '../../../../cli/services/network/network-layout';
import { buildConfigBlock } from '../../../../core/protocol/config-block';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../../core/protocol/config-update-compute';
import { ConfigUpdateValidator } from '../../../../core/orderer/config-update';
import type { PolicyManager } from '../../../../core/policy/policy';
import { mspConfig } from '../../core/protocol/msp-config-fixture';

// Signatures are not what is under test: every mod_policy is taken as satisfied, so the real
// validator computes the next config exactly as the orderer would from the update.
const everySignature: PolicyManager = { path: 'Channel', getPolicy: () => ({ evaluate: () => ({ satisfied: true }) }) as never, getManager: () => undefined };

const layout = new NetworkLayout('/net', specFromOptions({ ...DEFAULT_INIT_OPTIONS }));
const genesis = parseConfigBlock(
  buildConfigBlock({
    channelId: 'mychannel',
    applicationOrgs: ['Org1MSP', 'Org2MSP'].map((mspId) => ({ mspId, mspConfig: mspConfig(mspId), anchorPeers: [{ host: '127.0.0.1', port: 7051 }] })),
    ordererOrgs: [{ mspId: 'OrdererMSP', mspConfig: mspConfig('OrdererMSP'), endpoints: ['127.0.0.1:7050'] }],
  }),
);

/** The update `change` makes of `current`, and the config the orderer makes of it. */
function applied(current: ParsedChannelConfig, change: ChannelChange) {
  const { envelope, update } = unsignedConfigUpdate('mychannel', current.config, editChannelConfig(layout, current, change).next);
  const next = new ConfigUpdateValidator('mychannel', current.config, everySignature).propose(envelope.serializeBinary());
  return { update, next };
}

describe('updateApplied: whether a member directory only records an update another one submitted', () => {
  const org3 = { mspId: 'Org3MSP', mspConfig: mspConfig('Org3MSP'), anchorPeers: [{ host: '127.0.0.1', port: 7057 }] };

  it.each<[string, ChannelChange]>([
    ['a batch timeout', { batchTimeout: '750ms' }],
    ['a batch size', { maxMessageCount: 42, preferredMaxBytes: 1024 }],
    ['an org joining', { joiningOrgs: [org3] }],
  ])('is false before %s is submitted and true once the channel has it', (_what, change) => {
    const { update, next } = applied(genesis, change);
    expect(updateApplied(genesis.config, update)).toBe(false);
    expect(updateApplied(next, update)).toBe(true);
  });

  it('is false for a config that changed the same element otherwise, or another element instead', () => {
    const { update } = applied(genesis, { batchTimeout: '750ms' });
    // Another update took BatchTimeout to the same version with another value.
    expect(updateApplied(applied(genesis, { batchTimeout: '900ms' }).next, update)).toBe(false);
    // An org joining does not contain a batch change, nor the other way round.
    const joined = applied(genesis, { joiningOrgs: [org3] });
    expect(updateApplied(joined.next, update)).toBe(false);
    expect(updateApplied(applied(genesis, { batchTimeout: '750ms' }).next, joined.update)).toBe(false);
  });
});
