import { ConfigError } from '../../../core/errors';
import { NetworkLayout } from '../network/network-layout';
import type { PeerOrgSpec } from '../network/network-spec';
import { orgsWithKeysHere } from '../network/org-keys';

/** `--org` (name, MSP ID or domain) to the org's spec; when absent, the first org whose keys this directory holds. */
export function resolveOrg(layout: NetworkLayout, ref: string | undefined): PeerOrgSpec {
  if (ref === undefined) return orgsWithKeysHere(layout)[0] ?? layout.spec.orgs[0]!;
  const org = layout.findOrg(ref);
  if (org === undefined && new NetworkLayout(layout.dir, layout.networkSpec).findOrg(ref) !== undefined) {
    throw new ConfigError('ORG_NOT_IN_CHANNEL', `org "${ref}" is not a member of channel ${layout.spec.channel.name}; its orgs are ${layout.spec.orgs.map((o) => o.name).join(', ')}`, {
      suggestions: [`use --org ${layout.spec.orgs[0]!.name}`, 'or pick another channel with --channel'],
    });
  }
  if (org === undefined) {
    throw new ConfigError('UNKNOWN_ORG', `--org ${ref}: no org of that name, MSP ID or domain in this network; it has ${layout.spec.orgs.map((o) => `${o.name} (${o.mspId})`).join(', ')}`, {
      field: '--org',
      value: ref,
      suggestions: [`use --org ${layout.spec.orgs[0]!.name}`],
    });
  }
  return org;
}

/**
 * `--endorsing-orgs`: each entry (an org's name, MSP ID or domain, as `--org` takes it) as the MSP ID
 * the Gateway's `endorsingOrganizations` takes. An org name reached the Gateway as it was typed and
 * came back UNAVAILABLE "failed to find any endorsing peers", which reads as a network that is down.
 */
export function endorsingOrgMspIds(layout: NetworkLayout, list: string): string[] {
  return list
    .split(',')
    .map((ref) => ref.trim())
    .filter((ref) => ref !== '')
    .map((ref) => {
      const org = layout.findOrg(ref);
      if (org === undefined) {
        throw new ConfigError('UNKNOWN_ORG', `--endorsing-orgs ${ref}: channel ${layout.spec.channel.name} has no org of that name, MSP ID or domain; its orgs are ${layout.spec.orgs.map((o) => `${o.name} (${o.mspId})`).join(', ')}`, {
          field: '--endorsing-orgs',
          value: ref,
          suggestions: [`e.g. --endorsing-orgs ${layout.spec.orgs.map((o) => o.mspId).join(',')}`],
        });
      }
      return org.mspId;
    });
}
