import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError } from '../../../core/errors';
import { type AnchorPeerAddress, parseConfigBlock, type ParsedChannelConfig } from '../../../core/protocol/config-parse';
import { unsignedConfigUpdate } from '../../../core/protocol/config-update-compute';
import { fetchBlock } from '../block/block-source';
import { recordJoiningOrg, recordOrg, unfinishedAcross, withOrg, type AddOrgAcrossOptions, type JoiningOrgSource, type PreparedAddOrg, type RecordedAddOrg } from './add-org-across';
import { editChannelConfig } from './channel-config-edit';
import { missingSignatures, needsMet, signForPolicies, signerMspIds, unsignedOrgs } from './config-update-signatures';
import { broadcastConfigUpdate } from './config-update-submit';
import { openNetwork, type Progress } from './network-access';
import { applicationOrgOf } from './network-channels';
import { NetworkLayout } from './network-layout';
import { NETWORK_FILE } from './network-spec';
import { checkJoiningOrg } from './new-org-spec';
import { definitionAnchorPeers, layOutOrgDefinition, ORG_DEFINITION_FILE, readOrgDefinition } from './org-definition';
import { definitionFromPrintOrg, type PrintOrgOptions } from './printorg-definition';
import { shellWord } from '../../../core/node/shell-word';

/**
 * `weft network add-org <member dir> --definition <file>`: adds an org that made its own keys
 * (`weft network new-org`) from its definition, certificates only, as Fabric's members add the JSON
 * of `configtxgen -printOrg` with configtxlator and jq. No key of the new org exists on this machine
 * at any step. With `--output` the update, signed by the Admins here, goes to a file for the others
 * to sign (`weft channel sign-update`); with `--from-file` a signed one is submitted (or, once the
 * channel has the org, only recorded); alone it is signed and submitted from here when the Admins
 * here suffice. Each records the org in this directory (network.yaml and its certificates) once the
 * channel has it.
 */

/** The definition laid out as the new org's certificates beside this network, to build and record from. */
interface DefinitionSource extends JoiningOrgSource {
  /** What the channel gets as the org's `AnchorPeers`: a printOrg group's, all of them in order. */
  readonly anchorPeers: readonly AnchorPeerAddress[];
  dispose(): void;
}

/** Refuses a member step run in the new org's own directory: it has its definition and no network.yaml yet. */
export function refuseNewOrgDir(dir: string): void {
  const target = path.resolve(dir);
  if (fs.existsSync(path.join(target, ORG_DEFINITION_FILE)) && !fs.existsSync(path.join(target, NETWORK_FILE))) {
    throw new ConfigError('NEW_ORG_DIR', `${target} is a new org's own directory (weft network new-org made it): the org is added from a member's directory`, {
      field: 'dir',
      dir: target,
      suggestions: [
        `hand ${path.join(target, ORG_DEFINITION_FILE)} (certificates only) to a member, who runs: weft network add-org <member dir> --definition <that file> --output <update file>`,
        `once the channel has the org: weft network join ${shellWord(target)} --from <a member's public export>, then weft network up ${shellWord(target)}`,
      ],
    });
  }
}

/**
 * Reads `file`: Weft's definition, or a Fabric org's bare `configtxgen -printOrg` group, which
 * `printOrg` (`--peer`, `--domain`) completes (see {@link definitionFromPrintOrg}).
 */
function openDefinition(network: NetworkLayout, file: string, printOrg: PrintOrgOptions = {}): DefinitionSource {
  const resolved = path.resolve(file);
  let printed = false;
  const definition = readOrgDefinition(resolved, '--definition', (group, f) => {
    printed = true;
    return definitionFromPrintOrg(group, f, network.spec, printOrg);
  });
  const flags = printOrgFlags(printOrg);
  if (!printed && flags.length > 0) {
    throw new ConfigError('CONFLICTING_FLAGS', `${resolved} is Weft's org definition, which lists the org's peers and domain: it takes no ${flags.join(', ')}`, {
      field: flags[0]!,
      suggestions: ['--peer and --domain go with a bare configtxgen -printOrg group only'],
    });
  }
  checkJoiningOrg(network.spec, definition.org, resolved);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-org-definition-'));
  try {
    layOutOrgDefinition(definition, tmp, resolved, printed);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const { org } = definition;
  const channel = network.spec.channel.name;
  return {
    layout: new NetworkLayout(tmp, withOrg(network.spec, org)),
    org,
    anchorPeers: definitionAnchorPeers(definition),
    flag: `--definition ${shellWord(resolved)}${flags.length > 0 ? ` ${printOrgArgs(printOrg)}` : ''}`,
    start: printed
      ? `${org.name} joins its own (Fabric) peers to ${channel} from its genesis block, as Fabric's tutorial does: peer channel fetch 0 ${channel}.block -c ${channel} -o ${network.orderers()[0]!.address}, then peer channel join -b ${channel}.block`
      : `weft network join <${org.name}'s dir> --from <a member's directory exported with weft network export --public>, then weft network up <${org.name}'s dir>`,
    reported: { definition: resolved },
    dispose: () => fs.rmSync(tmp, { recursive: true, force: true }),
  };
}

function printOrgFlags(printOrg: PrintOrgOptions): string[] {
  return [...((printOrg.peers?.length ?? 0) > 0 ? ['--peer'] : []), ...(printOrg.domain !== undefined ? ['--domain'] : [])];
}

/** The flags again, for the commands a repeated step names. */
function printOrgArgs(printOrg: PrintOrgOptions): string {
  return [...(printOrg.peers ?? []).map((p) => `--peer ${shellWord(p)}`), ...(printOrg.domain !== undefined ? [`--domain ${shellWord(printOrg.domain)}`] : [])].join(' ');
}

/**
 * `--definition` with its steps (`--output`, `--from-file`, or alone), taking the flags that
 * complete a bare `configtxgen -printOrg` group; `addOrg` has refused what it refuses first.
 */
export async function addOrgFromDefinition(dir: string, options: AddOrgAcrossOptions & { readonly definition: string }, progress: Progress): Promise<PreparedAddOrg | RecordedAddOrg> {
  const printOrg: PrintOrgOptions = { peers: options.peerEndpoints, domain: options.domain };
  if (options.output !== undefined) return prepareFromDefinition(dir, options.definition, options.output, progress, printOrg);
  if (options.fromFile !== undefined) return recordFromDefinition(dir, options.definition, options.fromFile, progress, printOrg);
  return addFromDefinition(dir, options.definition, progress, printOrg);
}

/** The default channel's current config, as this directory's peer has it. */
async function currentConfig(network: NetworkLayout, progress: Progress) {
  const before = await fetchBlock(network, 'config');
  const current = parseConfigBlock(before.bytes);
  progress(`channel ${network.spec.channel.name}: current config (sequence ${current.sequence}) in block ${before.number}`);
  return current;
}

/** The update adding the definition's org to the default channel, signed as the Admins here. */
function signedUpdate(network: NetworkLayout, source: DefinitionSource, current: ParsedChannelConfig, progress: Progress) {
  const channel = network.spec.channel.name;
  const { next } = editChannelConfig(network, current, { joiningOrgs: [{ ...applicationOrgOf(source.layout, source.org), anchorPeers: [...source.anchorPeers] }] });
  const { envelope, update } = unsignedConfigUpdate(channel, current.config, next);
  const { signed, policies } = signForPolicies(network, current, update, envelope);
  if (signed.length > 0) progress(`signed as the Admin of ${signed.map((s) => s.mspId).join(', ')}`);
  return { channel, envelope, signed, policies };
}

/** `--definition … --output`: the update, signed as the Admins here, written to `output`; nothing here changes. */
export async function prepareFromDefinition(dir: string, file: string, output: string, progress: Progress, printOrg: PrintOrgOptions = {}): Promise<PreparedAddOrg> {
  const network = openNetwork(dir);
  const source = openDefinition(network, file, printOrg);
  const out = path.resolve(output);
  try {
    const { channel, envelope, policies } = signedUpdate(network, source, await currentConfig(network, progress), progress);
    fs.writeFileSync(`${out}.tmp`, envelope.serializeBinary());
    fs.renameSync(`${out}.tmp`, out);
    const stillToSign = unsignedOrgs(policies);
    progress(`config update written to ${out}${stillToSign.length > 0 ? `; still to sign: ${stillToSign.join(', ')} (weft channel sign-update)` : ''}`);
    const { org } = source;
    return {
      org: org.name,
      mspId: org.mspId,
      domain: org.domain,
      channel,
      peers: source.layout.peersOf(org).map((p) => ({ id: p.id, address: p.address, operationsAddress: p.operationsAddress })),
      users: org.users,
      submitted: false,
      file: out,
      ...source.reported,
      signedBy: signerMspIds(envelope),
      policies,
      stillToSign,
    };
  } finally {
    fs.rmSync(`${out}.tmp`, { force: true });
    source.dispose();
  }
}

/** `--definition … --from-file`: submits the signed update unless the channel has the org, then records it here. */
export async function recordFromDefinition(dir: string, file: string, fromFile: string, progress: Progress, printOrg: PrintOrgOptions = {}): Promise<RecordedAddOrg> {
  const network = openNetwork(dir);
  const source = openDefinition(network, file, printOrg);
  try {
    return await recordJoiningOrg(network, source, path.resolve(fromFile), progress);
  } finally {
    source.dispose();
  }
}

/** `--definition` alone: signed here and submitted when the Admins here suffice, then recorded here. */
export async function addFromDefinition(dir: string, file: string, progress: Progress, printOrg: PrintOrgOptions = {}): Promise<RecordedAddOrg> {
  const network = openNetwork(dir);
  const source = openDefinition(network, file, printOrg);
  const { org } = source;
  try {
    const channel = network.spec.channel.name;
    const current = await currentConfig(network, progress);
    const again = `weft network add-org ${shellWord(network.dir)} ${source.flag}`;
    if (current.applicationOrgs.some((o) => o.mspId === org.mspId)) {
      // An earlier run was accepted and failed after: the channel has the org, it is only recorded here.
      progress(`channel ${channel} has ${org.mspId} already: recording it here only`);
      recordOrg(network, source.layout, org);
      return { org: org.name, mspId: org.mspId, channel, submitted: false, signedBy: [], ...source.reported, next: source.start, recorded: true };
    }
    const { envelope, signed, policies } = signedUpdate(network, source, current, progress);
    if (!needsMet(policies)) {
      throw missingSignatures(network, channel, current, policies, (unsigned) => [
        `write the update for the others to sign: ${again} --output <update file>`,
        `have the Admins of ${unsigned.join(', ')} sign it: weft channel sign-update <their dir> <update file> --org <their org>`,
        `submit it from a member's directory: weft network add-org <that dir> --from-file <update file> ${source.flag}`,
        `the network in ${network.dir} and ${NETWORK_FILE} are unchanged`,
      ]);
    }
    const { orderer } = await broadcastConfigUpdate(network, channel, envelope, signed[0]!);
    progress(`orderer ${orderer} accepted the config update adding ${org.mspId} to ${channel}`);
    try {
      recordOrg(openNetwork(network.dir), source.layout, org);
    } catch (err) {
      throw unfinishedAcross(channel, org, err, again, source.start);
    }
    progress(`${NETWORK_FILE} lists ${org.name}; its certificates are in ${network.peerOrgDir(org)}`);
    return { org: org.name, mspId: org.mspId, channel, submitted: true, orderer, signedBy: signerMspIds(envelope), ...source.reported, next: source.start, recorded: true };
  } finally {
    source.dispose();
  }
}
