import type { NetworkLayout } from '../network/network-layout';
import type { PeerOrgSpec } from '../network/network-spec';
import { queryInstalled } from './lifecycle';

/** A package ID's label: a label holds no ':' (Fabric's label pattern), the hash follows the first. */
function labelOf(packageId: string): string {
  const colon = packageId.indexOf(':');
  return colon < 0 ? packageId : packageId.slice(0, colon);
}

/**
 * A warning when `packageId` is installed on none of `org`'s peers that answer
 * `QueryInstalledChaincodes` (as its Admin), naming what they have installed; undefined when one
 * has it, or when none answers (nothing is known then). Fabric approves a package ID whatever is
 * installed, as an org may approve before it installs; but until the package is installed, the
 * org's peers cannot run the chaincode, so a mistyped or truncated ID is worth a word.
 */
export async function uninstalledPackageWarning(layout: NetworkLayout, org: PeerOrgSpec, packageId: string): Promise<string | undefined> {
  const peers = layout.peersOf(org);
  const answers = await Promise.allSettled(peers.map((peer) => queryInstalled(layout, peer)));
  const answered = peers.flatMap((peer, i) => {
    const a = answers[i]!;
    return a.status === 'fulfilled' ? [{ peer, installed: a.value.map((p) => p.packageId) }] : [];
  });
  if (answered.length === 0 || answered.some((a) => a.installed.includes(packageId))) return undefined;
  // A package of the same label (another build, or the whole of a truncated ID) is the likeliest meant: it comes first.
  const installed = [...new Set(answered.flatMap((a) => a.installed))].sort((x, y) => Number(labelOf(y) === labelOf(packageId)) - Number(labelOf(x) === labelOf(packageId)));
  const asked = answered.map((a) => a.peer.id).join(', ');
  const silent = peers.length - answered.length;
  const install = `install the package: weft chaincode install <dir> <package file> --org ${org.name}`;
  return (
    `package ${packageId} is installed on none of ${org.mspId}'s peers (${asked}${silent > 0 ? `; ${silent} did not answer` : ''}), so they cannot run the chaincode as approved: ` +
    (installed.length > 0 ? `they have ${installed.join(', ')}; approve again with one of those (--package-id), or ${install}` : `they have no package installed; ${install}`)
  );
}
