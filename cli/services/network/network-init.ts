import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../../core/errors';
import type { GeneratedOrgMaterial, OrgMaterialSpec, SigningKeyToken } from '../../../core/msp/crypto-material';
import { LogSpecText } from '../../../core/node/config';
import { formatZodIssues } from '../../../core/node/zod-issues';
import type { TokenName } from '../client/cli-token';
import { mspTooling } from '../msp-tooling';
import { discardNewSigningKeys, signingKeyTokenEntry, signingKeyTokenOf, type HsmKeyFlags } from './member-token';
import { isEmptyOrAbsent, writeFailure } from '../templates/render-tree';
import { assertKeyAlgorithmFitsToken, DEFAULT_ORG_KEY_ALGORITHM, parseKeyAlgorithm, type OrgMaking } from './org-making';
import { channelGenesisBlock, renderNetworkFile } from './network-channels';
import { assertEd25519FitsCapabilities, capabilitiesOf, parseCapabilitiesFlag } from './channel-capabilities';
import { NetworkLayout } from './network-layout';
import { CONSENSUS_TYPES, NETWORK_FILE, parseNetworkSpec, readNetworkSpecFile, type NetworkSpec, type PeerOrgSpec } from './network-spec';
import { nodeConfigs } from './node-configs';
import { StagingDir } from './staging-dir';
import { shellWord } from '../../../core/node/shell-word';

/** What `weft network init` accepts (its flags). */
export const InitOptions = z
  .object({
    orgs: z.number().int().min(1).max(50),
    peersPerOrg: z.number().int().min(1).max(20),
    orderers: z.number().int().min(1).max(9),
    consensus: z.enum(CONSENSUS_TYPES),
    channel: z.string(),
    batchTimeout: z.string(),
    maxMessageCount: z.number().int().positive(),
    basePort: z.number().int().min(1024).max(65000),
    tls: z.boolean(),
    mutualTls: z.boolean().default(false),
    logLevel: LogSpecText.default('warn'),
    /** `--host` values: `<host>` for every node, `<node>=<host>` for one (e.g. `peer0.org1.example.com=10.0.0.12`). */
    hosts: z.array(z.string()).default([]),
    /** `--chaincode-debug`: each peer's chaincode under V8's inspector, on a port of its own. */
    chaincodeDebug: z.boolean().default(false),
    /** `--key-algorithm`: every org's keys (cryptogen's `PublicKeyAlgorithm`), checked by {@link parseKeyAlgorithm}. */
    keyAlgorithm: z.string().optional(),
    /** `--intermediate-ca`: every org issues from an intermediate CA its root signs. */
    intermediateCa: z.boolean().default(false),
    /** `--capabilities channel=V2_0,application=V2_0`: the channel's capabilities by level, checked by {@link parseCapabilitiesFlag}. */
    capabilities: z.string().optional(),
  })
  .strict();
export type InitOptions = z.input<typeof InitOptions>;

export const DEFAULT_INIT_OPTIONS = {
  orgs: 2,
  peersPerOrg: 1,
  orderers: 1,
  consensus: 'etcdraft',
  channel: 'mychannel',
  batchTimeout: '2s',
  maxMessageCount: 500,
  basePort: 7050,
  tls: true,
} as const satisfies InitOptions;

export interface InitResult {
  readonly dir: string;
  readonly networkFile: string;
  readonly genesisBlock: string;
  readonly channel: string;
  /** Every channel, the default one first. */
  readonly channels: string[];
  readonly nodes: { id: string; kind: string; address: string; configFile: string }[];
  readonly users: { id: string; mspId: string }[];
  /** The PKCS#11 token every node's and user's signing key was generated in (`--hsm-library`/`--hsm-label`). */
  readonly signingKeyToken?: { library: string; label: string };
}

/** The network.yaml contents for the given flags: ports handed out one by one from `basePort`. */
export function specFromOptions(input: InitOptions): NetworkSpec {
  const parsedOptions = InitOptions.safeParse(input);
  if (!parsedOptions.success) {
    throw new ConfigError('INIT_OPTIONS_INVALID', formatZodIssues('network init options', parsedOptions.error.issues), {
      suggestions: ['see the allowed ranges with: weft network init --help'],
    });
  }
  const o = parsedOptions.data;
  const capabilities = parseCapabilitiesFlag(o.capabilities);
  let next = o.basePort;
  const take = (): number => {
    if (next > 65535) throw new ConfigError('PORTS_EXHAUSTED', `not enough ports above --base-port ${o.basePort}`, { basePort: o.basePort });
    return next++;
  };
  const orderers = Array.from({ length: o.orderers }, (_, i) => ({
    name: i === 0 ? 'orderer' : `orderer${i + 1}`,
    host: '127.0.0.1',
    port: take(),
    adminPort: take(),
  }));
  const ordererDomain = 'example.com';
  const orgs = Array.from({ length: o.orgs }, (_, i) => ({
    name: `Org${i + 1}`,
    mspId: `Org${i + 1}MSP`,
    domain: `org${i + 1}.example.com`,
    peers: Array.from({ length: o.peersPerOrg }, (_, j) => ({ name: `peer${j}`, host: '127.0.0.1', port: take(), operationsPort: take() })),
    users: ['Admin', 'User1'],
  }));
  // Taken last, so the ports of networks made before orderers had an operations server stay where they were.
  for (const orderer of orderers) Object.assign(orderer, { operationsPort: take() });
  if (o.chaincodeDebug) for (const peer of orgs.flatMap((org) => org.peers)) Object.assign(peer, { debugPort: take() });
  const nodes = new Map<string, { host: string }>([
    ...orderers.map((n) => [`${n.name}.${ordererDomain}`, n] as const),
    ...orgs.flatMap((org) => org.peers.map((n) => [`${n.name}.${org.domain}`, n] as const)),
  ]);
  assignHosts(nodes, o.hosts);
  return parseNetworkSpec(
    {
      version: 1,
      tls: o.tls,
      mutualTls: o.mutualTls,
      consensus: o.consensus,
      channel: { name: o.channel, batchTimeout: o.batchTimeout, maxMessageCount: o.maxMessageCount, ...(capabilities !== undefined && { capabilities }) },
      ordererOrg: { name: 'OrdererOrg', mspId: 'OrdererMSP', domain: ordererDomain, orderers },
      orgs,
      logLevel: o.logLevel,
      // Asked for mutual TLS, the operator expects the endpoints that change a node (PUT /logspec)
      // or show its insides (/metrics) to demand a certificate too; /healthz stays open to health
      // probes and to other orgs' directories, as in Fabric.
      operations: { tls: o.mutualTls, clientAuthRequired: false },
    },
    'the network options',
    ['check the flag values against: weft network init --help'],
  );
}

/**
 * Applies `--host` values: one without `=` sets every node's host, `<node>=<host>` one node's
 * (winning over the first). Hosts are checked by network.yaml's schema afterwards.
 */
export function assignHosts(nodes: ReadonlyMap<string, { host: string }>, values: readonly string[]): void {
  const everyNode = values.filter((v) => !v.includes('='));
  if (everyNode.length > 1) {
    throw new ConfigError('INIT_OPTIONS_INVALID', `--host without a node name sets every node's host, and was given ${everyNode.length} times (${everyNode.join(', ')})`, {
      suggestions: ['name the node for each other host: --host peer0.org1.example.com=10.0.0.12'],
    });
  }
  for (const node of nodes.values()) if (everyNode[0] !== undefined) node.host = everyNode[0];
  for (const value of values.filter((v) => v.includes('='))) {
    const [id, host] = [value.slice(0, value.indexOf('=')), value.slice(value.indexOf('=') + 1)];
    const node = nodes.get(id);
    if (node === undefined) {
      throw new ConfigError('INIT_OPTIONS_INVALID', `--host ${value}: the network has no node ${id} (its nodes: ${[...nodes.keys()].join(', ')})`, {
        suggestions: ['use a node name from the list, as in: --host peer0.org1.example.com=10.0.0.12'],
      });
    }
    node.host = host;
  }
}

/**
 * `weft network init`: network.yaml (documented, validated by reading it back), crypto material in
 * cryptogen's layout, every node's config and each channel's genesis block. Refuses a non-empty
 * directory; on failure removes everything it wrote.
 */
export async function initNetwork(dir: string, options: InitOptions, onStep: (message: string) => void = () => {}, keys: HsmKeyFlags = {}): Promise<InitResult> {
  const keyAlgorithm = parseKeyAlgorithm(options.keyAlgorithm);
  return createNetwork(dir, () => specFromOptions(options), onStep, keys, { keyAlgorithm, intermediateCa: options.intermediateCa === true }, undefined);
}

/**
 * `weft network init --from <file>`: the same from a network.yaml written by hand (Fabric's
 * crypto-config.yaml and configtx.yaml in one): org names, MSP IDs, domains, peers, users, hosts,
 * ports and channels as it says.
 */
export async function initNetworkFromFile(
  dir: string,
  file: string,
  onStep: (message: string) => void = () => {},
  keys: HsmKeyFlags = {},
  flags: { readonly keyAlgorithm?: string; readonly intermediateCa?: boolean } = {},
): Promise<InitResult> {
  const startFrom = ['start from a network.yaml that weft network init wrote: its comments describe every field'];
  const spec = () =>
    readNetworkSpecFile(file, () => new ConfigError('NETWORK_SPEC_NOT_FOUND', `cannot read ${path.resolve(file)}`, { file, suggestions: startFrom }), startFrom);
  return createNetwork(dir, spec, onStep, keys, { keyAlgorithm: parseKeyAlgorithm(flags.keyAlgorithm), intermediateCa: flags.intermediateCa }, file);
}

/**
 * Each org's making, by MSP ID: its own `keyAlgorithm`/`intermediateCa` in the file, else the
 * flags', else ecdsa from its root. Refuses Ed25519 with a PKCS#11 token before anything is made.
 */
function orgMakings(spec: NetworkSpec, flags: OrgMaking, keys: HsmKeyFlags): Map<string, Required<OrgMaking>> {
  const orgs = [{ ...spec.ordererOrg, where: 'ordererOrg.keyAlgorithm' }, ...spec.orgs.map((org, i) => ({ ...org, where: `orgs.${i}.keyAlgorithm` }))];
  return new Map(
    orgs.map((org) => {
      const keyAlgorithm = org.keyAlgorithm ?? flags.keyAlgorithm ?? DEFAULT_ORG_KEY_ALGORITHM;
      assertKeyAlgorithmFitsToken(keyAlgorithm, keys, org.keyAlgorithm === undefined ? '--key-algorithm ed25519' : `${org.where} ed25519 (${org.mspId})`);
      return [org.mspId, { keyAlgorithm, intermediateCa: org.intermediateCa ?? flags.intermediateCa ?? false }];
    }),
  );
}

/**
 * Refuses a channel below channel capability V3_0 that an org made with Ed25519 keys would sit on
 * (see {@link assertEd25519FitsCapabilities}), naming `--capabilities` or, for a network file
 * (`fromFile`), the channel's `capabilities.channel` in it.
 */
function assertChannelsFitKeys(spec: NetworkSpec, makings: ReadonlyMap<string, Required<OrgMaking>>, fromFile: string | undefined): void {
  const orgs = [{ ...spec.ordererOrg, where: 'ordererOrg', name: undefined }, ...spec.orgs.map((org, i) => ({ ...org, where: `orgs.${i}` }))];
  [spec.channel, ...spec.otherChannels].forEach((channel, i) => {
    const where = i === 0 ? 'channel' : `otherChannels.${i - 1}`;
    const members = orgs
      .filter((org) => org.name === undefined || channel.orgs === undefined || channel.orgs.includes(org.name))
      .filter((org) => makings.get(org.mspId)?.keyAlgorithm === 'ed25519')
      .map((org) => ({ mspId: org.mspId, source: org.keyAlgorithm === 'ed25519' ? `${org.where}.keyAlgorithm ed25519` : '--key-algorithm ed25519' }));
    const caps = capabilitiesOf(channel.capabilities);
    const chosenBy =
      fromFile === undefined
        ? { field: '--capabilities', said: `--capabilities channel=${caps.channel}` }
        : { field: `${where}.capabilities.channel`, said: `${where}.capabilities.channel ${caps.channel} in ${fromFile}` };
    assertEd25519FitsCapabilities(caps, members, chosenBy, channel.name);
  });
}

async function createNetwork(dir: string, specOf: () => NetworkSpec, onStep: (message: string) => void, keys: HsmKeyFlags, flags: OrgMaking, fromFile: string | undefined): Promise<InitResult> {
  const target = path.resolve(dir);
  if (!isEmptyOrAbsent(target)) {
    throw new ConfigError('TARGET_NOT_EMPTY', `${target} is not empty; weft network init never overwrites`, {
      dir: target,
      suggestions: ['choose a new directory: weft network init <new-dir>', `or remove the old network first (weft network down ${shellWord(dir)} && rm -rf ${shellWord(dir)})`],
    });
  }
  const spec = specOf();
  const makings = orgMakings(spec, flags, keys);
  assertChannelsFitKeys(spec, makings, fromFile);
  const token = signingKeyTokenOf(keys);
  // The node configs name their files relative to themselves, so nothing written refers to the staging sibling's path.
  const built = await buildInPlaceOf(target, (dir) => buildNetwork(dir, spec, onStep, token, makings));
  const layout = new NetworkLayout(target, built);
  return {
    dir: target,
    networkFile: path.join(target, NETWORK_FILE),
    genesisBlock: layout.genesisBlockFile,
    channel: spec.channel.name,
    channels: layout.channels().map((c) => c.name),
    nodes: layout.nodes().map((n) => ({ id: n.id, kind: n.kind, address: n.address, configFile: n.configFile })),
    users: layout.users().map((u) => ({ id: u.id, mspId: u.mspId })),
    ...signingKeyTokenEntry(token),
  };
}

/**
 * Builds a directory in a sibling and renames it onto `target` whole: the target is either absent
 * (or as empty as it was) or complete, whatever stops the build. A write that fails is
 * `TARGET_WRITE_FAILED` naming the file as it would be in the target.
 */
export async function buildInPlaceOf<T>(target: string, build: (dir: string) => Promise<T>): Promise<T> {
  let staging: StagingDir;
  try {
    staging = new StagingDir(target);
  } catch (err) {
    throw writeFailure(err, target);
  }
  try {
    const built = await build(staging.dir);
    staging.commit();
    return built;
  } catch (err) {
    throw writeFailure(err, target, staging.dir);
  } finally {
    staging.dispose();
  }
}

/** Writes the whole network under `dir`; returns the spec as network.yaml says it. */
async function buildNetwork(
  dir: string,
  spec: NetworkSpec,
  onStep: (message: string) => void,
  token: SigningKeyToken | undefined,
  makings: ReadonlyMap<string, Required<OrgMaking>>,
): Promise<NetworkSpec> {
  // The documented file must say exactly what the spec says: it is read back through the schema.
  const { text, spec: reread } = renderNetworkFile(spec);
  const layout = new NetworkLayout(dir, reread);
  fs.writeFileSync(path.join(dir, NETWORK_FILE), text);

  const count = (has: (m: Required<OrgMaking>) => boolean, what: string): string => {
    const n = [...makings.values()].filter(has).length;
    return n === 0 ? '' : `, ${n === makings.size ? 'every org' : `${n} of them`} ${what}`;
  };
  const keysOf = count((m) => m.keyAlgorithm === 'ed25519', 'with Ed25519 keys');
  const casOf = count((m) => m.intermediateCa, 'issuing from an intermediate CA');
  onStep(`generating crypto material for ${spec.orgs.length + 1} organizations${keysOf}${casOf}${token === undefined ? '' : `, signing keys in PKCS#11 token "${token.label}"`}`);
  const { generator } = mspTooling();
  const { orderers } = spec.ordererOrg;
  const generated: GeneratedOrgMaterial[] = [];
  try {
    const ordererOrg: OrgMaterialSpec = {
      domain: spec.ordererOrg.domain,
      mspId: spec.ordererOrg.mspId,
      kind: 'orderer',
      nodes: orderers.map((o) => o.name),
      users: ['Admin'],
      nodeSans: hostSans(orderers),
      signingKeys: token,
      ...makings.get(spec.ordererOrg.mspId),
    };
    generated.push(await generator.generateOrg(ordererOrg, dir));
    for (const org of spec.orgs) generated.push(await generatePeerOrg(org, dir, token, makings.get(org.mspId)));

    onStep('writing node configs');
    writeNodeConfigs(layout, 'weft network init', undefined, token);

    for (const channel of layout.channels()) {
      onStep(`building the genesis block of channel ${channel.name}`);
      const file = layout.genesisBlockFileOf(channel.name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, channelGenesisBlock(layout.forChannel(channel.name), channel));
    }
  } catch (err) {
    // The network folder is not written, so nothing could ever sign with the keys already made.
    discardNewSigningKeys(generated.map((o) => o.discardSigningKeys), onStep);
    throw err;
  }
  return reread;
}

/** Each node's TLS certificate also names the host other machines reach it at. */
function hostSans(nodes: readonly { name: string; host: string }[]): Record<string, string[]> {
  return Object.fromEntries(nodes.map((n) => [n.name, [n.host]]));
}

/**
 * A peer org's crypto material in cryptogen's layout under `dir` (`organizations/peerOrganizations/<domain>`),
 * its members' signing keys generated in `signingKeys`' token when given, made as `making` says
 * (else as the org's own fields say, else ecdsa keys issued from its root).
 */
export async function generatePeerOrg(org: PeerOrgSpec, dir: string, signingKeys?: SigningKeyToken, making: OrgMaking = {}): Promise<GeneratedOrgMaterial> {
  const request: OrgMaterialSpec = {
    domain: org.domain,
    mspId: org.mspId,
    kind: 'peer',
    nodes: org.peers.map((p) => p.name),
    users: org.users,
    nodeSans: hostSans(org.peers),
    signingKeys,
    keyAlgorithm: making.keyAlgorithm ?? org.keyAlgorithm ?? DEFAULT_ORG_KEY_ALGORITHM,
    intermediateCa: making.intermediateCa ?? org.intermediateCa ?? false,
  };
  return mspTooling().generator.generateOrg(request, dir);
}

/** Writes the layout's node configs (those `only` names), each headed by what generated it; `signsIn` as {@link nodeConfigs} takes it. */
export function writeNodeConfigs(layout: NetworkLayout, by: string, only?: ReadonlySet<string>, signsIn?: TokenName): void {
  for (const [node, config] of nodeConfigs(layout, only, signsIn)) {
    fs.mkdirSync(node.nodeDir, { recursive: true });
    fs.writeFileSync(node.configFile, `# ${node.kind} ${node.id}: generated from ${NETWORK_FILE} by ${by}\n${stringify(config)}`);
  }
}
