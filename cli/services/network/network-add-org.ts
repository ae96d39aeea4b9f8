import * as path from 'node:path';
import { WeftError } from '../../../core/errors';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import { fetchBlock } from '../block/block-source';
import { editChannelConfig } from './channel-config-edit';
import { missingSignatures, needsMet, signForPolicies, signerMspIds, type PolicyNeed } from './config-update-signatures';
import { peersToWaitForUpdate } from './config-block-peers';
import { broadcastConfigUpdate, waitForConfigBlock } from './config-update-submit';
import { openNetwork, type Progress } from './network-access';
import { addOrgSequence, addOrgUnfinished, checkAcrossOptions, type NewOrgSummary, recordAddOrg, withOrg, type AddOrgAcrossOptions, type PreparedAddOrg, type RecordedAddOrg } from './add-org-across';
import { prepareAddOrg } from './add-org-prepare';
import { addOrgFromDefinition, refuseNewOrgDir } from './add-org-definition';
import { applicationOrgOf, renderNetworkFile, replaceNetworkFile } from './network-channels';
import { networkUp } from './network-control';
import { generatePeerOrg, writeNodeConfigs } from './network-init';
import { NetworkLayout } from './network-layout';
import { discardNewSigningKeys, signingKeyTokenEntry, signingKeyTokenOf } from './member-token';
import { NETWORK_FILE, type PeerOrgSpec } from './network-spec';
import { newOrgSpec, type NewOrgOptions } from './new-org-spec';
import { isThisMachine } from './node-hosts';
import { runningPid } from './node-processes';
import { ORG_DEFINITION_FILE } from './org-definition';
import { orgsWithKeysHere } from './org-keys';
import { StagingDir } from './staging-dir';
import { shellWord } from '../../../core/node/shell-word';

export interface AddOrgResult extends NewOrgSummary {
  /** The orderer that accepted the config update. */
  readonly orderer: string;
  /** The block of the default channel holding the config with the new org (as this directory's first running peer has it). */
  readonly configBlock?: number;
  /** MSP IDs of the Admins whose signatures the update carries. */
  readonly signedBy: string[];
  readonly policies: PolicyNeed[];
  /** The new org's peers started and joined to the default channel (none when the network is not running here). */
  readonly started: string[];
  /** The PKCS#11 token its signing keys were generated in (`--hsm-library`/`--hsm-label`). */
  readonly signingKeyToken?: { library: string; label: string };
}

/**
 * `weft network add-org`: Fabric's "Adding an Org to a Channel" tutorial in one step. Generates the
 * new org's crypto material and its peers' configs in a staging directory; adds the org (its MSP,
 * its first peer as anchor peer, so other orgs' Gateways reach it and trust its TLS CA) to the
 * running default channel with a config update signed as the current orgs' Admins whose keys are
 * here (the channel's Application/Admins: a MAJORITY); and only once the orderer accepted it moves
 * the material into place, adds the org to network.yaml and, when the network runs here, starts
 * the new peers and joins them to the default channel from its genesis block. Nothing is written
 * before the orderer accepted the update; a failure after that is `ADD_ORG_UNFINISHED`. Under
 * mutual TLS no running node's config changes either: orderers and peers trust the client TLS CAs
 * of their channels' orgs, so they take the new org's peers and users once the config block lands.
 * With `output` / `fromFile` (and `orgDir`), the same across directories that each hold some orgs'
 * keys: see {@link prepareAddOrg} and {@link recordAddOrg}.
 */
export async function addOrg(dir: string, options: NewOrgOptions & AddOrgAcrossOptions, progress: Progress): Promise<AddOrgResult | PreparedAddOrg | RecordedAddOrg> {
  refuseNewOrgDir(dir);
  checkAcrossOptions(dir, options);
  if (options.definition !== undefined) return addOrgFromDefinition(dir, { ...options, definition: options.definition }, progress);
  if (options.output !== undefined) return prepareAddOrg(dir, options, options.output, options.orgDir!, progress);
  if (options.fromFile !== undefined) return recordAddOrg(dir, options.fromFile, options.orgDir!, progress);
  return addOrgHere(dir, options, progress);
}

/** The whole of it from one directory that holds a majority of the current orgs' Admin keys. */
async function addOrgHere(dir: string, options: NewOrgOptions, progress: Progress): Promise<AddOrgResult> {
  const network = openNetwork(dir);
  const channel = network.spec.channel.name;
  const org = await newOrgSpec(network.spec, options);
  const token = signingKeyTokenOf(options);
  const next = withOrg(network.spec, org);
  const rendered = renderNetworkFile(next);
  const newPeers = new NetworkLayout(network.dir, rendered.spec).peersOf(org);
  const entries = [path.relative(network.dir, network.peerOrgDir(org)), ...newPeers.map((p) => path.relative(network.dir, p.nodeDir))];

  const staging = new StagingDir(path.join(network.dir, org.domain));
  let discardSigningKeys: (() => void) | undefined;
  let accepted = false;
  try {
    progress(`generating crypto material and node configs for ${org.name} (${org.mspId}, ${org.domain})${token === undefined ? '' : `, signing keys in PKCS#11 token "${token.label}"`}`);
    const staged = new NetworkLayout(staging.dir, rendered.spec);
    ({ discardSigningKeys } = await generatePeerOrg(org, staging.dir, token, options));
    writeNodeConfigs(staged, 'weft network add-org', new Set(newPeers.map((p) => p.id)), token);

    const before = await fetchBlock(network, 'config');
    const current = parseConfigBlock(before.bytes);
    progress(`channel ${channel}: current config (sequence ${current.sequence}) in block ${before.number}`);
    const { next: edited } = editChannelConfig(network, current, { joiningOrgs: [applicationOrgOf(staged, org)] });
    const { envelope, update } = unsignedConfigUpdate(channel, current.config, edited);
    const { signed, policies } = signForPolicies(network, current, update, envelope);
    if (!needsMet(policies)) throw missingSignatures(network, channel, current, policies, (unsigned) => unsignedRemedies(network, org, unsigned));
    progress(`signed as the Admin of ${signed.map((s) => s.mspId).join(', ')}`);

    const { orderer } = await broadcastConfigUpdate(network, channel, envelope, signed[0]!);
    accepted = true;
    progress(`orderer ${orderer} accepted the config update adding ${org.mspId} to ${channel}`);
    const base = {
      org: org.name,
      mspId: org.mspId,
      domain: org.domain,
      channel,
      peers: newPeers.map((p) => ({ id: p.id, address: p.address, operationsAddress: p.operationsAddress })),
      users: org.users,
      orderer,
      signedBy: signerMspIds(envelope),
      policies,
      ...signingKeyTokenEntry(token),
    };
    try {
      // The channel now trusts the new org's CAs: its keys must not be lost to a later failure.
      staging.commitInto(network.dir, entries);
      replaceNetworkFile(network.dir, rendered.text);
      progress(`${org.name}'s crypto material and node configs in place, ${NETWORK_FILE} lists it`);
      return { ...base, ...(await settle(network, org, before.number, progress)) };
    } catch (err) {
      throw unfinished(network, org, staging, err);
    }
  } catch (err) {
    // Once the channel trusts the org its keys are kept with its material (unfinished); before, they go with the staging.
    if (!accepted) discardNewSigningKeys([discardSigningKeys], progress);
    throw err;
  } finally {
    staging.dispose();
  }
}

/**
 * After the orderer accepted the update and the org is in network.yaml: waits for this
 * directory's running peers to hold the new config block, then starts the new org's peers when
 * the network runs on this machine and they do too, and waits for them to hold it as well.
 */
async function settle(network: NetworkLayout, org: PeerOrgSpec, before: number, progress: Progress): Promise<Pick<AddOrgResult, 'configBlock' | 'started'>> {
  const { waited: running } = await peersToWaitForUpdate(network, orgsWithKeysHere(network).flatMap((o) => network.peersOf(o)), progress);
  const configBlock = running.length > 0 ? await waitForConfigBlock(network, running, before, progress) : undefined;
  const after = openNetwork(network.dir);
  const peers = after.peersOf(after.spec.orgs.find((o) => o.mspId === org.mspId)!);
  const onThisMachine = (await Promise.all(peers.map((p) => isThisMachine(p.host)))).every(Boolean);
  const networkRunsHere = network.nodes().some((n) => runningPid(n) !== undefined);
  if (!networkRunsHere || !onThisMachine) {
    progress(`start ${org.name}'s peers with: weft network up ${shellWord(network.dir)}${onThisMachine ? '' : ` on their hosts (${peers.map((p) => p.host).join(', ')})`}; they join ${network.spec.channel.name} then`);
    return { ...(configBlock !== undefined && { configBlock }), started: [] };
  }
  await networkUp(network.dir, progress, peers.map((p) => p.id));
  await waitForConfigBlock(after, peers, before, progress);
  return { ...(configBlock !== undefined && { configBlock }), started: peers.map((p) => p.id) };
}

function unsignedRemedies(network: NetworkLayout, org: PeerOrgSpec, unsigned: readonly string[]): string[] {
  const orgDir = path.join(path.dirname(network.dir), org.name.toLowerCase());
  return [
    `the Admins of ${unsigned.join(', ')} sign elsewhere; across directories, as Fabric's tutorial does it:`,
    ...addOrgSequence(network.dir, org.name, orgDir, path.join(path.dirname(network.dir), `add-${org.name.toLowerCase()}.pb`)),
    `when ${org.name} is another party, it makes its own keys on its host (weft network new-org <its dir> --name ${org.name}) and hands over its definition: weft network add-org ${shellWord(network.dir)} --definition <its dir>/${ORG_DEFINITION_FILE} --output <file>`,
    `the network in ${network.dir}, its ${NETWORK_FILE} and crypto material are unchanged`,
  ];
}

function unfinished(network: NetworkLayout, org: PeerOrgSpec, staging: StagingDir, err: unknown): WeftError {
  const channel = network.spec.channel.name;
  const inPlace = staging.isCommitted();
  if (!inPlace) staging.keep();
  return addOrgUnfinished(
    channel,
    org,
    err,
    inPlace
      ? [
          `finish it: weft network up ${shellWord(network.dir)} starts ${org.name}'s peers and joins them to ${channel} (${NETWORK_FILE} and the crypto material already list ${org.name})`,
          `then check: weft channel info ${shellWord(network.dir)} --org ${org.name}`,
          `do not run weft network add-org for ${org.name} again: the channel already has ${org.mspId}`,
        ]
      : [
          `${org.name}'s crypto material is kept in ${staging.dir}: before anything else, move its organizations/ and nodes/ into ${network.dir}, add ${org.name} to ${NETWORK_FILE}, then run weft network up ${shellWord(network.dir)}`,
        ],
  );
}
