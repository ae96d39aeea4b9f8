import { ConfigError } from '../../../core/errors';
import type { NetworkLayout } from '../network/network-layout';
import type { PeerOrgSpec } from '../network/network-spec';

/** `--org` (name, MSP ID or domain) to the org's spec; the first org when absent. */
export function resolveOrg(layout: NetworkLayout, ref: string | undefined): PeerOrgSpec {
  if (ref === undefined) return layout.spec.orgs[0]!;
  const org = layout.findOrg(ref);
  if (org === undefined) {
    throw new ConfigError('UNKNOWN_ORG', `no org "${ref}" in this network; it has ${layout.spec.orgs.map((o) => `${o.name} (${o.mspId})`).join(', ')}`, {
      suggestions: [`use --org ${layout.spec.orgs[0]!.name}`],
    });
  }
  return org;
}
