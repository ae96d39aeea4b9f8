import { X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Config, ConfigValue } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import { parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import { fetchBlock } from '../block/block-source';
import { resolveOrg } from '../chaincode/org-args';
import { missingSignatures, needsMet, signForPolicies } from './config-update-signatures';
import { broadcastConfigUpdate, waitForConfigBlock } from './config-update-submit';
import { openNetwork, type Progress } from './network-access';
import { renderNetworkFile, replaceNetworkFile } from './network-channels';
import type { NetworkLayout } from './network-layout';
import { NETWORK_FILE, type PeerOrgSpec } from './network-spec';
import { assertCaKeysHere } from './network-users';
import { orgAuthority, type OrgAuthority } from './org-authority';
import { keyHere, keyNotHere, orgsWithKeysHere } from './org-keys';

/** The CRL file `weft network revoke` writes into an MSP folder's `crls/` (one per org CA; each new one lists every serial the last did). */
export const CRL_FILE = 'crl.pem';

export interface RevokeResult {
  readonly org: string;
  readonly mspId: string;
  readonly user: string;
  readonly serialNumber: string;
  readonly crlNumber: number;
  /** Every serial the org's CRL now lists. */
  readonly revokedSerials: string[];
  /** Channels whose config now carries the CRL, with the config block that does; channels that had it already are left out. */
  readonly channels: { channel: string; orderer: string; configBlock?: number }[];
  /** MSP folders the CRL was written to: the org's, and its peers' local MSPs (read when they start). */
  readonly crlFiles: string[];
}

/** One channel the org is a member of, as it stands before the revocation. */
interface ChannelState {
  readonly layout: NetworkLayout;
  readonly current: ParsedChannelConfig;
  readonly block: number;
  readonly crls: Uint8Array[];
  readonly revokes: boolean;
}

/**
 * `weft network revoke`: fabric-ca-client revoke + gencrl, configtxlator and `peer channel update`
 * in one step. Adds the user's enrollment certificate to its org CA's CRL (earlier serials kept,
 * the CRL number one higher), sets that CRL as the org's MSP `revocation_list` in every channel
 * the org is a member of (a config update signed by the org's Admin, which the org MSP value's
 * mod_policy `Admins` names) and waits for this directory's peers to hold each config block; then
 * writes the CRL into the org's MSP folders and takes the user out of network.yaml's `users`
 * (its certificate stays on disk, so the name is not given out again). Every check comes first;
 * nothing local is written until every channel has the CRL, so a run that failed midway is
 * finished by running it again: channels that already revoke the certificate are skipped.
 */
export async function revokeUser(dir: string, options: { org: string; user: string }, progress: Progress): Promise<RevokeResult> {
  const network = openNetwork(dir);
  const org = resolveOrg(network, options.org);
  const { user, certPem } = revocable(network, org, options.user);
  assertCaKeysHere(network, org, ['ca'], `revoking ${user} of ${org.name}`);
  const admin = network.user(org, 'Admin');
  if (!keyHere(admin.keyPath)) throw keyNotHere(admin, admin.keyPath);
  const authority = orgAuthority();
  const orgRef = { orgDir: network.peerOrgDir(org), domain: org.domain };

  const localCrls = readCrls(network.orgMspDir(org));
  const channels = await channelStates(network, org, certPem, authority);
  const listed = org.users.includes(user);
  if (!listed && channels.every((c) => c.revokes) && authority.orgCrlRevokes(orgRef, certPem, localCrls)) {
    throw new ConfigError('USER_ALREADY_REVOKED', `--user ${user}: ${user}@${org.domain} is already revoked: ${org.mspId}'s CRL lists it in every channel (${channels.map((c) => c.layout.spec.channel.name).join(', ')}) and in ${network.orgMspDir(org)}/crls; nothing was changed`, {
      field: '--user',
      value: user,
      suggestions: [`see the users of ${org.name} in ${NETWORK_FILE}`],
    });
  }

  const crl = await authority.nextOrgCrl(orgRef, [certPem], [...localCrls, ...channels.flatMap((c) => c.crls)]);
  const serialNumber = new X509Certificate(certPem).serialNumber.replace(/^0+(?=.)/, '');
  progress(`${org.mspId} CRL number ${crl.crlNumber} lists ${crl.serials.length} serial(s), ${user}'s ${serialNumber} among them`);

  const updated: RevokeResult['channels'] = [];
  for (const state of channels.filter((c) => !c.revokes)) {
    // The CA's new CRL replaces its old ones there; CRLs of other CAs of the MSP stay.
    const others = state.crls.filter((c) => !authority.orgCrlIssued(orgRef, c));
    updated.push(await setRevocationList(network, org, state, [...others, Buffer.from(crl.pem)], progress));
  }

  const crlFiles = [network.orgMspDir(org), ...network.peersOf(org).map((p) => p.mspDir)].map((mspDir) => writeCrl(mspDir, crl.pem));
  progress(`CRL written to ${crlFiles.length} MSP folder(s) of ${org.name}; a peer's local MSP reads it when it starts`);
  if (listed) {
    const next = renderNetworkFile({ ...network.spec, orgs: network.spec.orgs.map((o) => (o === org ? { ...o, users: o.users.filter((u) => u !== user) } : o)) });
    replaceNetworkFile(network.dir, next.text);
    progress(`${NETWORK_FILE}: ${user} taken out of ${org.name}'s users`);
  }
  return { org: org.name, mspId: org.mspId, user, serialNumber, crlNumber: crl.crlNumber, revokedSerials: crl.serials, channels: updated, crlFiles };
}

/** The user to revoke: a client user of the org whose certificate is here (a revoked one's stays). */
function revocable(network: NetworkLayout, org: PeerOrgSpec, ref: string): { user: string; certPem: Uint8Array } {
  const users = fs.existsSync(path.join(network.peerOrgDir(org), 'users')) ? fs.readdirSync(path.join(network.peerOrgDir(org), 'users')) : [];
  const folder = users.find((f) => f.toLowerCase() === `${ref.toLowerCase()}@${org.domain}`);
  const user = org.users.find((u) => u.toLowerCase() === ref.toLowerCase()) ?? folder?.slice(0, -`@${org.domain}`.length);
  if (user === 'Admin') {
    throw new ConfigError('CANNOT_REVOKE_ADMIN', `--user Admin: revoking ${org.name}'s Admin would lock ${org.mspId} out of its own channel config (its Admins policy signs every change of the org, this one included)`, {
      field: '--user',
      value: ref,
      suggestions: ['revoke client users only; to replace a leaked Admin key, a new admin certificate must enter the channel config first (not done by weft yet)'],
    });
  }
  const certPath = user === undefined ? undefined : network.user(org, user).certPath;
  if (user === undefined || certPath === undefined || !fs.existsSync(certPath)) {
    throw new ConfigError('UNKNOWN_USER', `--user ${ref}: ${org.name} has no user of that name with a certificate in ${network.peerOrgDir(org)}/users (users: ${org.users.join(', ')})`, {
      field: '--user',
      value: ref,
      suggestions: [`one of: ${org.users.filter((u) => u !== 'Admin').join(', ') || '(no client users)'}`],
    });
  }
  return { user, certPem: fs.readFileSync(certPath) };
}

/** The PEM or DER CRLs in an MSP folder's `crls/`. */
function readCrls(mspDir: string): Uint8Array[] {
  const dir = path.join(mspDir, 'crls');
  return fs.existsSync(dir) ? fs.readdirSync(dir).map((f) => fs.readFileSync(path.join(dir, f))) : [];
}

/** Every channel of the network the org is a member of, read from this directory's peers. */
async function channelStates(network: NetworkLayout, org: PeerOrgSpec, certPem: Uint8Array, authority: OrgAuthority): Promise<ChannelState[]> {
  const states: ChannelState[] = [];
  for (const channel of network.channels()) {
    const layout = network.forChannel(channel.name);
    if (!layout.spec.orgs.some((o) => o.mspId === org.mspId)) continue;
    const before = await fetchBlock(layout, 'config');
    const current = parseConfigBlock(before.bytes);
    const msp = current.msps.get(org.mspId);
    if (msp === undefined || !current.applicationOrgs.some((o) => o.mspId === org.mspId)) continue;
    const crls = msp.getRevocationListList_asU8();
    const revokes = authority.orgCrlRevokes({ orgDir: network.peerOrgDir(org), domain: org.domain }, certPem, crls);
    states.push({ layout, current, block: before.number, crls, revokes });
  }
  return states;
}

/**
 * Submits the config update setting the org's MSP `revocation_list` to `crls` on one channel,
 * signed by the org's Admin, and waits for this directory's peers of the channel to hold it.
 */
async function setRevocationList(network: NetworkLayout, org: PeerOrgSpec, state: ChannelState, crls: Uint8Array[], progress: Progress): Promise<RevokeResult['channels'][number]> {
  const channel = state.layout.spec.channel.name;
  const next = Config.deserializeBinary(state.current.config.serializeBinary());
  const key = state.current.applicationOrgs.find((o) => o.mspId === org.mspId)!.name;
  const group = next.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get(key)!;
  const old = group.getValuesMap().get('MSP')!;
  const outer = MSPConfig.deserializeBinary(old.getValue_asU8());
  const fabric = state.current.msps.get(org.mspId)!.cloneMessage();
  // One CRL per org CA: the new one lists every serial the old ones of that CA did.
  fabric.setRevocationListList(crls);
  outer.setConfig(fabric.serializeBinary());
  const value = new ConfigValue();
  value.setVersion(old.getVersion());
  value.setModPolicy(old.getModPolicy());
  value.setValue(outer.serializeBinary());
  group.getValuesMap().set('MSP', value);

  const { envelope, update } = unsignedConfigUpdate(channel, state.current.config, next);
  const { signed, policies } = signForPolicies(network, state.current, update, envelope);
  if (!needsMet(policies) || signed.length === 0) throw missingSignatures(state.layout, channel, state.current, policies);
  const { orderer } = await broadcastConfigUpdate(network, channel, envelope, signed[0]!);
  progress(`channel ${channel}: orderer ${orderer} accepted ${org.mspId}'s new revocation list`);
  const peers = orgsWithKeysHere(state.layout).flatMap((o) => state.layout.peersOf(o));
  try {
    const configBlock = await waitForConfigBlock(state.layout, peers, state.block, progress);
    return { channel, orderer, ...(configBlock !== undefined && { configBlock }) };
  } catch (err) {
    throw new WeftError('REVOKE_UNCONFIRMED', `channel ${channel} took ${org.mspId}'s new CRL, but this directory's peers did not show the config block: ${(err as Error).message}`, {
      channel,
      suggestions: [`run the same weft network revoke again once the peers are up: channels that have the CRL are skipped, and the local MSP folders and ${NETWORK_FILE} are updated then`],
    }, { cause: err });
  }
}

/** Replaces the MSP folder's CRL of this command (other CRLs there are left alone). */
function writeCrl(mspDir: string, pem: string): string {
  const file = path.join(mspDir, 'crls', CRL_FILE);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, pem, { mode: 0o644 });
  fs.renameSync(`${file}.tmp`, file);
  return mspDir;
}
