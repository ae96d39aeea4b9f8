import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigUpdate } from '@hyperledger/fabric-protos/lib/common/configtx_pb';
import { FabricMSPConfig, MSPConfig } from '@hyperledger/fabric-protos/lib/msp/msp_config_pb';
import { ConfigError, WeftError } from '../../../core/errors';
import { parseConfigBlock } from '../../../core/protocol/config-parse';
import { fetchBlock } from '../block/block-source';
import { updateChannel } from './channel-update';
import { missingSignatures, needsMet, readUpdateFile, signForPolicies, signerMspIds, type PolicyNeed } from './config-update-signatures';
import { openNetwork, type Progress } from './network-access';
import { applicationOrgOf, renderNetworkFile, replaceNetworkFile } from './network-channels';
import { NetworkLayout } from './network-layout';
import { NETWORK_FILE, peerIdOf, type NetworkSpec, type PeerOrgSpec } from './network-spec';
import type { NewOrgOptions } from './new-org-spec';
import { isPrivateKey } from './org-keys';
import { StagingDir } from './staging-dir';
import { shellWord } from '../../../core/node/shell-word';

/**
 * `weft network add-org` for a network whose orgs each keep their own directory (`weft network
 * export`), as Fabric's "Adding an Org to a Channel" tutorial runs it: one member prepares and
 * signs the update, the others sign it (`weft channel sign-update`), one submits it.
 *
 * The new org's directory (`--org-dir`) is the only place its private keys are ever written: the
 * member that prepares the update writes there a network directory for the new org (network.yaml
 * listing it, every org's certificates, the genesis blocks, the new org's keys and node configs),
 * and leaves its own directory unchanged. Every member directory later takes the new org's
 * certificates only, read from the new org's directory (a copy without its keys will do), as
 * Fabric's members take only the new org's MSP definition.
 *
 * Here: the options and results, and the `--from-file` step that submits and records; the
 * `--output` step that prepares is add-org-prepare.ts.
 */

export interface AddOrgAcrossOptions {
  /** `--definition`: the new org's definition (`weft network new-org`), certificates only: no key of it is made here. */
  readonly definition?: string;
  /** `--output`: write the partly signed update here instead of submitting it. */
  readonly output?: string;
  /** `--from-file`: submit (or, once the channel has the org, only record) the update in this file. */
  readonly fromFile?: string;
  /** `--org-dir`: the new org's own directory (written by `--output`, read by `--from-file`). */
  readonly orgDir?: string;
  /** `--peer`, repeatable: where the peers of an org defined by a bare `configtxgen -printOrg` group are, when it names no anchor peer. */
  readonly peerEndpoints?: readonly string[];
  /** `--domain`: the domain of an org defined by a bare `configtxgen -printOrg` group. */
  readonly domain?: string;
}

/** The new org as `weft network add-org` reports it, whichever way it ran. */
export interface NewOrgSummary {
  readonly org: string;
  readonly mspId: string;
  readonly domain: string;
  readonly channel: string;
  readonly peers: { id: string; address: string; operationsAddress: string | undefined }[];
  readonly users: string[];
}

/** What `--output` did: the update file written, the new org's directory made. */
export interface PreparedAddOrg extends NewOrgSummary {
  readonly submitted: false;
  readonly file: string;
  /** The new org's directory this command made (`--org-dir`), or the definition it read (`--definition`). */
  readonly orgDir?: string;
  readonly definition?: string;
  readonly signedBy: string[];
  readonly policies: PolicyNeed[];
  /** MSP IDs whose Admins must still sign for the update to pass. */
  readonly stillToSign: string[];
}

/** What `--from-file` did: submitted the update (unless the channel had the org already) and recorded the org here. */
export interface RecordedAddOrg {
  readonly org: string;
  readonly mspId: string;
  readonly channel: string;
  /** False when the channel already had the org: this directory only recorded it. */
  readonly submitted: boolean;
  readonly orderer?: string;
  readonly configBlock?: number;
  readonly signedBy: string[];
  /** The new org's directory (`--org-dir`), or its definition file (`--definition`), whichever the org's certificates came from. */
  readonly orgDir?: string;
  readonly definition?: string;
  /** How the new org starts its peers and joins them. */
  readonly next: string;
  /** Whether network.yaml lists the org now (it always does once this returns). */
  readonly recorded: true;
}

/**
 * Refuses combinations that say two things at once or leave out where the new org's keys go,
 * before the network is asked anything.
 */
export function checkAcrossOptions(dir: string, options: AddOrgAcrossOptions & NewOrgOptions): void {
  const sequence = addOrgSequence(dir, options.name ?? '<Org>', options.orgDir ?? '<new org dir>', options.output ?? options.fromFile ?? '<file>');
  if (options.output !== undefined && options.fromFile !== undefined) {
    throw new ConfigError('CONFLICTING_FLAGS', '--output prepares an update and --from-file submits one: give one of them', { suggestions: sequence });
  }
  if (options.definition !== undefined) {
    const given = (['name', 'peers', 'users', 'hosts', 'basePort', 'orgDir', 'hsmLibrary', 'hsmLabel'] as const).filter((k) => options[k] !== undefined);
    if (given.length > 0) {
      throw new ConfigError('CONFLICTING_FLAGS', `--definition takes the new org as it defined itself: it takes no ${given.map(flagOf).join(', ')}`, {
        field: flagOf(given[0]!),
        suggestions: [`weft network add-org ${shellWord(dir)} --definition ${shellWord(options.definition)} --output <update file>`],
      });
    }
    return;
  }
  if ((options.output !== undefined || options.fromFile !== undefined) && options.orgDir === undefined) {
    throw new ConfigError('ADD_ORG_OPTIONS_INVALID', `${options.output !== undefined ? '--output' : '--from-file'} needs --org-dir: the new org's own directory, where its keys are`, {
      field: '--org-dir',
      suggestions: sequence,
    });
  }
  if (options.orgDir !== undefined && options.output === undefined && options.fromFile === undefined) {
    throw new ConfigError('ADD_ORG_OPTIONS_INVALID', '--org-dir goes with --output (prepare the update) or --from-file (submit it)', { field: '--org-dir', suggestions: sequence });
  }
  const given = (['name', 'peers', 'users', 'hosts', 'basePort', 'hsmLibrary', 'hsmLabel', 'keyAlgorithm', 'intermediateCa'] as const).filter((k) => options[k] !== undefined);
  if (options.fromFile !== undefined && given.length > 0) {
    throw new ConfigError('CONFLICTING_FLAGS', `--from-file takes the new org as --output made it, in ${options.orgDir}: it takes no ${given.map(flagOf).join(', ')}`, {
      suggestions: sequence,
    });
  }
}

function flagOf(key: keyof NewOrgOptions | 'orgDir'): string {
  return { name: '--name', peers: '--peers', users: '--users', hosts: '--host', basePort: '--base-port', orgDir: '--org-dir', hsmLibrary: '--hsm-library', hsmLabel: '--hsm-label', keyAlgorithm: '--key-algorithm', intermediateCa: '--intermediate-ca' }[key];
}

/** The commands of the flow, for help texts and error suggestions. */
export function addOrgSequence(dir: string, name: string, orgDir: string, file: string): string[] {
  return [
    `prepare and sign as the Admins here: weft network add-org ${shellWord(dir)} --name ${name} --org-dir ${shellWord(orgDir)} --output ${shellWord(file)} (${orgDir} becomes ${name}'s directory: its keys go there only)`,
    `have the other orgs' Admins sign it in their directories: weft channel sign-update <their dir> ${shellWord(file)} --org <their org>`,
    `submit it from any member's directory: weft network add-org <that dir> --from-file ${shellWord(file)} --org-dir ${shellWord(orgDir)}`,
    `start ${name}'s peers, which join from the genesis block: weft network up ${shellWord(orgDir)}`,
    `let the other member directories record ${name}: weft network add-org <dir> --from-file ${shellWord(file)} --org-dir ${shellWord(orgDir)} (the channel has it: nothing is submitted again)`,
  ];
}

/**
 * `--from-file`: submits the update adding the org of `orgDir` to the default channel (through
 * `weft channel update --from-file`'s path), unless the channel has it already, then records the
 * org here: its certificates (never its keys) under organizations/, and network.yaml lists it.
 */
export async function recordAddOrg(dir: string, fromFile: string, orgDir: string, progress: Progress): Promise<RecordedAddOrg> {
  const network = openNetwork(dir);
  const source = openNetwork(orgDir);
  const org = joiningOrg(network.spec, source.spec, source.dir);
  return recordJoiningOrg(network, { layout: source, org, flag: `--org-dir ${shellWord(source.dir)}`, start: `weft network up ${shellWord(source.dir)}`, reported: { orgDir: source.dir } }, fromFile, progress);
}

/**
 * Where the certificates of the org an update adds come from: its own directory (`--org-dir`) or
 * its definition (`--definition`) laid out in `layout`; `start` is how the new org starts its peers.
 */
export interface JoiningOrgSource {
  readonly layout: NetworkLayout;
  readonly org: PeerOrgSpec;
  /** The flag naming the source in a repeated command (`--org-dir ./org3`). */
  readonly flag: string;
  readonly start: string;
  readonly reported: Pick<RecordedAddOrg, 'orgDir' | 'definition'>;
}

/** `--from-file` with the new org's certificates from `source`: see {@link recordAddOrg}. */
export async function recordJoiningOrg(network: NetworkLayout, source: JoiningOrgSource, fromFile: string, progress: Progress): Promise<RecordedAddOrg> {
  const channel = network.spec.channel.name;
  const { org } = source;
  const { envelope, update } = readUpdateFile(fromFile);
  checkUpdateAddsOrg(update, channel, source.layout, org, fromFile);

  const before = await fetchBlock(network, 'config');
  const current = parseConfigBlock(before.bytes);
  const onChannel = current.applicationOrgs.some((o) => o.mspId === org.mspId);
  const again = `weft network add-org ${shellWord(network.dir)} --from-file ${shellWord(fromFile)} ${source.flag}`;
  let submitted: Pick<RecordedAddOrg, 'orderer' | 'configBlock' | 'signedBy'> = { signedBy: signerMspIds(envelope) };
  if (onChannel) {
    progress(`channel ${channel} has ${org.mspId} already (block ${before.number}): recording it here only`);
  } else {
    // The same check updateChannel makes, made first so that the refusal names this command's next steps.
    const { policies } = signForPolicies(network, current, update, envelope);
    if (!needsMet(policies)) {
      throw missingSignatures(network, channel, current, policies, (unsigned) => [
        `have the Admins of ${unsigned.join(', ')} sign it in their directories: weft channel sign-update <their dir> ${shellWord(fromFile)} --org <their org>`,
        `then submit it again: ${again}`,
        `the network in ${network.dir} and ${NETWORK_FILE} are unchanged`,
      ]);
    }
    submitted = await submitThrough(network, org, fromFile, progress, again, source.start);
  }
  try {
    recordOrg(openNetwork(network.dir), source.layout, org);
  } catch (err) {
    throw onChannel ? err : unfinishedAcross(channel, org, err, again, source.start);
  }
  progress(`${NETWORK_FILE} lists ${org.name}; its certificates are in ${network.peerOrgDir(org)}; it starts its peers with: ${source.start}`);
  return { org: org.name, mspId: org.mspId, channel, submitted: !onChannel, ...submitted, ...source.reported, next: source.start, recorded: true };
}

/** Submits the file as `weft channel update --from-file` does; a failure once the orderer accepted it is ADD_ORG_UNFINISHED. */
async function submitThrough(
  network: NetworkLayout,
  org: PeerOrgSpec,
  fromFile: string,
  progress: Progress,
  again: string,
  start: string,
): Promise<Pick<RecordedAddOrg, 'orderer' | 'configBlock' | 'signedBy'>> {
  try {
    const result = await updateChannel(network.dir, { change: {}, fromFile }, progress);
    return { orderer: result.orderer, ...(result.configBlock !== undefined && { configBlock: result.configBlock }), signedBy: result.signedBy };
  } catch (err) {
    const accepted = err instanceof WeftError && err.code === 'CONFIG_UPDATE_UNCONFIRMED';
    throw accepted ? unfinishedAcross(network.spec.channel.name, org, err, again, start) : err;
  }
}

export function unfinishedAcross(channel: string, org: PeerOrgSpec, err: unknown, again: string, start: string): WeftError {
  return addOrgUnfinished(channel, org, err, [
    `finish it: ${again} (the channel has the org: it only records it here, nothing is submitted again)`,
    `start ${org.name}'s peers from its own directory: ${start}`,
  ]);
}

/** `ADD_ORG_UNFINISHED`: the orderer took the update, a step after it failed; `suggestions` say how to finish. */
export function addOrgUnfinished(channel: string, org: PeerOrgSpec, err: unknown, suggestions: string[]): WeftError {
  return new WeftError(
    'ADD_ORG_UNFINISHED',
    `the orderer accepted the config update adding ${org.mspId} to channel ${channel}, so the channel has the org now, but what follows failed: ${(err as Error).message}`,
    { channel, org: org.name, cause: err instanceof WeftError ? err.code : undefined, suggestions },
    { cause: err },
  );
}

/**
 * The spec with `org` added. Other channels without an `orgs` list have every org of the network,
 * but their configs do not have the new one: they get the list of the orgs they have.
 */
export function withOrg(spec: NetworkSpec, org: PeerOrgSpec): NetworkSpec {
  const names = spec.orgs.map((o) => o.name);
  // The default channel takes the new org: where it lists its peers, every peer of the new org joins it.
  const channel = spec.channel.peers === undefined ? spec.channel : { ...spec.channel, peers: [...spec.channel.peers, ...org.peers.map((p) => peerIdOf(org, p))] };
  return { ...spec, orgs: [...spec.orgs, org], channel, otherChannels: spec.otherChannels.map((c) => (c.orgs === undefined ? { ...c, orgs: names } : c)) };
}

/**
 * The one org the new org's directory lists that this directory's network.yaml does not: what
 * `--from-file` records. Refused when the directories are not of the same network, or when there
 * is no such org or more than one.
 */
export function joiningOrg(here: NetworkSpec, there: NetworkSpec, orgDir: string): PeerOrgSpec {
  const known = new Set(here.orgs.map((o) => o.mspId));
  const fresh = there.orgs.filter((o) => !known.has(o.mspId));
  // Not every org here need be there: a member may have recorded an org added after the new org's directory was made.
  const sameNetwork = there.channel.name === here.channel.name && there.ordererOrg.mspId === here.ordererOrg.mspId;
  if (!sameNetwork || fresh.length !== 1) {
    const why = !sameNetwork
      ? `its ${NETWORK_FILE} is not this network's (channel ${there.channel.name}, orgs ${there.orgs.map((o) => o.mspId).join(', ')})`
      : fresh.length === 0
        ? `every org it lists (${there.orgs.map((o) => o.mspId).join(', ')}) is in this directory's ${NETWORK_FILE} already`
        : `it lists ${fresh.length} orgs this directory does not know (${fresh.map((o) => o.mspId).join(', ')})`;
    throw new ConfigError('ADD_ORG_DIR_MISMATCH', `--org-dir ${orgDir}: not the directory weft network add-org --output made for a new org of this network: ${why}`, {
      field: '--org-dir',
      suggestions: ['pass the directory that weft network add-org <dir> --name <Org> --org-dir <new org dir> --output <file> wrote (a copy without its keys will do)'],
    });
  }
  return fresh[0]!;
}

/**
 * Refuses an update file that does not add the org of `--org-dir` to the default channel with the
 * MSP (root certificates) that directory holds, so no org is recorded that the channel does not get.
 */
function checkUpdateAddsOrg(update: ConfigUpdate, channel: string, source: NetworkLayout, org: PeerOrgSpec, file: string): void {
  const group = update.getWriteSet()?.getGroupsMap().get('Application')?.getGroupsMap().get(org.mspId);
  const value = group?.getValuesMap().get('MSP')?.getValue_asU8();
  const inFile = value === undefined ? undefined : FabricMSPConfig.deserializeBinary(MSPConfig.deserializeBinary(value).getConfig_asU8());
  const loaded = applicationOrgOf(source, org).mspConfig;
  const inDir = loaded instanceof FabricMSPConfig ? loaded : FabricMSPConfig.deserializeBinary(loaded);
  const same = (a: Uint8Array[], b: Uint8Array[]) => a.length === b.length && a.every((x, i) => Buffer.from(x).equals(Buffer.from(b[i]!)));
  if (update.getChannelId() !== channel || inFile === undefined || inFile.getName() !== org.mspId || !same(inFile.getRootCertsList_asU8(), inDir.getRootCertsList_asU8())) {
    throw new WeftError('UPDATE_FILE_MISMATCH', `${file} does not add ${org.mspId} of ${source.dir} to channel ${channel}${update.getChannelId() === channel ? '' : ` (it updates channel ${update.getChannelId()})`}`, {
      file,
      suggestions: [`pass the update file and the --org-dir that one weft network add-org --output wrote together`],
    });
  }
}

/** Copies every file under `from` (relative `entries`) but private keys to the same place under `to`, keeping modes. */
export function copyCertificates(from: string, to: string, entries: readonly string[]): void {
  for (const entry of entries) {
    const src = path.join(from, entry);
    if (!fs.existsSync(src)) continue;
    const files = fs.statSync(src).isDirectory() ? fs.readdirSync(src, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)) : [src];
    for (const file of files.filter((f) => !isPrivateKey(f))) {
      const dest = path.join(to, path.relative(from, file));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      fs.copyFileSync(file, dest);
      fs.chmodSync(dest, fs.statSync(file).mode & 0o777);
    }
  }
}

/** The org's certificates moved in from its directory (through a staging directory: all or nothing), then network.yaml lists it. */
export function recordOrg(network: NetworkLayout, source: NetworkLayout, org: PeerOrgSpec): void {
  const rendered = renderNetworkFile(withOrg(network.spec, org));
  const entry = path.relative(network.dir, network.peerOrgDir(org));
  const staging = new StagingDir(path.join(network.dir, org.domain));
  try {
    // Certificates an interrupted earlier run moved in stay: they are the same org's, and network.yaml did not list it yet.
    if (!fs.existsSync(path.join(network.dir, entry))) {
      copyCertificates(source.dir, staging.dir, [entry]);
      staging.commitInto(network.dir, [entry]);
    }
    replaceNetworkFile(network.dir, rendered.text);
  } finally {
    staging.dispose();
  }
}
