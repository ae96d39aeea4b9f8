import { PluginError } from '../../../core/errors';
import type { OrgAuthority } from '../../../core/msp/crypto-material';
import { mspTooling, NETWORK_MSP_PLUGIN } from '../msp-tooling';

export type { OrgAuthority };

/** The network MSP plugin's CA operations after init; `PLUGIN_SLOT_UNBOUND` when it offers none. */
export function orgAuthority(): OrgAuthority {
  const authority = mspTooling().generator.authority;
  if (authority === undefined) {
    throw new PluginError('PLUGIN_SLOT_UNBOUND', `the msp plugin ${NETWORK_MSP_PLUGIN} offers no CA operations after init: users cannot be added or revoked with it`, {
      slot: 'msp',
      plugin: NETWORK_MSP_PLUGIN,
      suggestions: ['issue the identities with your own CA (fabric-ca) and place them in the cryptogen layout'],
    });
  }
  return authority;
}
