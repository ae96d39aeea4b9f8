import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import { fetchBlock } from '../block/block-source';
import { isEmptyOrAbsent } from '../templates/render-tree';
import { copyCertificates, withOrg, type PreparedAddOrg } from './add-org-across';
import { editChannelConfig } from './channel-config-edit';
import { signForPolicies, signerMspIds, unsignedOrgs } from './config-update-signatures';
import { openNetwork, type Progress } from './network-access';
import { applicationOrgOf, renderNetworkFile } from './network-channels';
import { generatePeerOrg, writeNodeConfigs } from './network-init';
import { discardNewSigningKeys, signingKeyTokenOf } from './member-token';
import { NetworkLayout } from './network-layout';
import { NETWORK_FILE } from './network-spec';
import { newOrgSpec, type NewOrgOptions } from './new-org-spec';
import { StagingDir } from './staging-dir';

/**
 * `--output`, the first step of `weft network add-org` across directories (add-org-across.ts): the
 * new org's directory made and the update, signed as the Admins here, written to `output`. Nothing
 * in `dir` changes: network.yaml lists the org once the channel has it.
 */
export async function prepareAddOrg(dir: string, org: NewOrgOptions, output: string, orgDir: string, progress: Progress): Promise<PreparedAddOrg> {
  const network = openNetwork(dir);
  const channel = network.spec.channel.name;
  const target = path.resolve(orgDir);
  const file = path.resolve(output);
  checkOrgDir(network, target);
  const spec = await newOrgSpec(network.spec, org);
  const token = signingKeyTokenOf(org);
  const rendered = renderNetworkFile(withOrg(network.spec, spec));
  const staging = new StagingDir(target);
  let discardSigningKeys: (() => void) | undefined;
  try {
    progress(`generating ${spec.name}'s crypto material and node configs (${spec.mspId}, ${spec.domain}) in its own directory ${target}`);
    const staged = new NetworkLayout(staging.dir, rendered.spec);
    copyPublicMaterial(network, staging.dir);
    fs.writeFileSync(path.join(staging.dir, NETWORK_FILE), rendered.text);
    ({ discardSigningKeys } = await generatePeerOrg(spec, staging.dir, token, org));
    const newPeers = staged.peersOf(spec);
    writeNodeConfigs(staged, 'weft network add-org', new Set(newPeers.map((p) => p.id)), token);

    const before = await fetchBlock(network, 'config');
    const current = parseConfigBlock(before.bytes);
    progress(`channel ${channel}: current config (sequence ${current.sequence}) in block ${before.number}`);
    const { next } = editChannelConfig(network, current, { joiningOrgs: [applicationOrgOf(staged, spec)] });
    const { envelope, update } = unsignedConfigUpdate(channel, current.config, next);
    const { signed, policies } = signForPolicies(network, current, update, envelope);
    if (signed.length > 0) progress(`signed as the Admin of ${signed.map((s) => s.mspId).join(', ')}`);

    // The file appears only with the directory it needs: written aside, renamed once the directory is in place.
    fs.writeFileSync(`${file}.tmp`, envelope.serializeBinary());
    staging.commit();
    fs.renameSync(`${file}.tmp`, file);
    const stillToSign = unsignedOrgs(policies);
    progress(`config update written to ${file}${stillToSign.length > 0 ? `; still to sign: ${stillToSign.join(', ')} (weft channel sign-update)` : ''}`);
    return {
      org: spec.name,
      mspId: spec.mspId,
      domain: spec.domain,
      channel,
      peers: newPeers.map((p) => ({ id: p.id, address: p.address, operationsAddress: p.operationsAddress })),
      users: spec.users,
      submitted: false,
      file,
      orgDir: target,
      signedBy: signerMspIds(envelope),
      policies,
      stillToSign,
    };
  } catch (err) {
    if (!staging.isCommitted()) discardNewSigningKeys([discardSigningKeys], progress);
    throw err;
  } finally {
    fs.rmSync(`${file}.tmp`, { force: true });
    staging.dispose();
  }
}

/** The new org's directory must not exist yet (or be empty), and must not be inside the member's, whose keys are its own. */
function checkOrgDir(network: NetworkLayout, target: string): void {
  if (!isEmptyOrAbsent(target)) {
    throw new ConfigError('TARGET_NOT_EMPTY', `--org-dir ${target} already exists and is not empty; the new org's directory is made fresh`, {
      target,
      suggestions: ['choose another directory for the new org', `remove ${target} first if it is an abandoned attempt`],
    });
  }
  if (target === network.dir || target.startsWith(network.dir + path.sep)) {
    throw new ConfigError('TARGET_INSIDE_NETWORK', `--org-dir ${target} is inside ${network.dir}: the new org's keys go in a directory of their own, beside it`, { target });
  }
}

/** What the new org's directory takes from a member's: every org's certificates and the channels' genesis blocks. */
function copyPublicMaterial(network: NetworkLayout, to: string): void {
  const blocks = network.channels().map((c) => path.relative(network.dir, network.genesisBlockFileOf(c.name)));
  copyCertificates(network.dir, to, ['organizations', ...blocks]);
}
