import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { hsmKeyFlags, hsmKeyOptions, intermediateCaFlag, keyAlgorithmFlag, networkDirArg } from '../../common-flags';
import { newOrgMaking } from '../../services/network/org-making';
import type { PreparedAddOrg, RecordedAddOrg } from '../../services/network/add-org-across';
import { addOrg, type AddOrgResult } from '../../services/network/network-add-org';
import { ConfigError } from '../../../core/errors';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkAddOrg extends WeftCommand {
  static override summary = "Add a new org to a running network and its default channel: Fabric's \"Adding an Org to a Channel\" tutorial in one command, or in three across org directories.";
  static override description =
    "Generates the org's crypto material (cryptogen's layout) and its peers' configs, adds the org (its MSP and its first peer as anchor peer) to the default channel with a config update " +
    "signed as the Admins of the channel's orgs whose keys the directory holds (the channel's Application/Admins policy: a majority of them), submits it to an orderer, and only once the orderer accepted it " +
    'moves the material into the network directory, adds the org to network.yaml, starts its peers when the network runs here and joins them to the default channel from its genesis block. ' +
    "Other orgs' peers find the new peers through the channel config's anchor peers and trust their TLS CA from the org's MSP in it: no other node's config changes. " +
    'Names default as weft network init names orgs (the next OrgN, OrgNMSP, orgN.example.com); ports default to the next ones above the network\'s that are free. ' +
    "When the orgs keep their own directories (weft network export) and this one lacks a majority of Admin keys: " +
    '(1) --output <file> --org-dir <new dir> writes the new org\'s own directory (its keys go there only; this directory is unchanged) and the update signed by the Admins here; ' +
    '(2) the other Admins sign it with weft channel sign-update <their dir> <file> --org <org>; ' +
    '(3) --from-file <file> --org-dir <new dir> in any member directory submits it and records the org there (its certificates only); run it again in each other member directory to record the org there too (nothing is resubmitted); ' +
    '(4) weft network up <new dir> starts the new org\'s peers and joins them. ' +
    'A failure after the orderer accepted the update is ADD_ORG_UNFINISHED: the channel has the org, and weft network up (or the --from-file command again) finishes the job. ' +
    "On a --mutual-tls network the nodes take the new org's TLS CA from the channel config, as Fabric's do. " +
    "For an org that is another party, which makes its own keys (weft network new-org), pass its definition instead: --definition <org-definition.json> (certificates only; no key of the new org is made or written here) " +
    "or, for an org that runs Fabric, the JSON of its configtxgen -printOrg <Org> as it is (its MSP ID from the MSP's name, its peers from its AnchorPeers or --peer <host>:<port>, its domain from --domain or its first peer's host) " +
    'with --output (write the update signed here), --from-file (submit a signed one) or alone (sign and submit from here); each records the org\'s certificates here once the channel has it. ' +
    "With --hsm-library/--hsm-label (both, the PIN from WEFT_PKCS11_PIN) the new org's node and user signing keys are generated in that PKCS#11 token and its peers' configs get the bccsp PKCS11 section, as weft network init does.";
  static override examples = [
    '<%= config.bin %> network add-org ./net',
    '<%= config.bin %> network add-org ./net --name Org3 --peers 2 --users User1 --users Auditor',
    '<%= config.bin %> network add-org ./net --base-port 9051 --json',
    '<%= config.bin %> network add-org ./net --name Org3 --key-algorithm ed25519',
    '<%= config.bin %> network add-org ./net --name Org3 --intermediate-ca',
    '<%= config.bin %> network add-org ./net --host peer0.org3.example.com=10.0.0.13',
    '<%= config.bin %> network add-org ./org1 --definition ./org3/org-definition.json --output add-org3.pb',
    '<%= config.bin %> network add-org ./org2 --from-file add-org3.pb --definition ./org3/org-definition.json',
    '<%= config.bin %> network add-org ./net --definition org3.json --peer peer0.org3.example.com:11051',
    '<%= config.bin %> network add-org ./org1 --name Org3 --org-dir ./org3 --output add-org3.pb',
    '<%= config.bin %> channel sign-update ./org2 add-org3.pb --org Org2',
    '<%= config.bin %> network add-org ./org2 --from-file add-org3.pb --org-dir ./org3',
    '<%= config.bin %> network up ./org3',
    '<%= config.bin %> network add-org ./org1 --from-file add-org3.pb --org-dir ./org3',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    name: Flags.string({ description: "the new org's name (its MSP ID is <name>MSP, its domain <name in lower case>.<orderer org's domain>); default the next OrgN" }),
    peers: Flags.integer({ description: 'number of peers of the new org (default 1)', min: 1, max: 20 }),
    users: Flags.string({ description: 'client users of the new org, besides Admin (repeatable or comma-separated; default User1)', multiple: true, delimiter: ',' }),
    host: Flags.string({
      description: "where other machines reach the new org's peers: <host> for every one, <node>=<host> for one (repeatable; default 127.0.0.1). A peer on another host is started there with weft network up",
      multiple: true,
    }),
    'base-port': Flags.integer({ description: "first port to hand the new peers (default: one above the network's highest); ports the network uses or something listens on are skipped", min: 1024, max: 65535 }),
    output: Flags.string({
      char: 'o',
      description: "write the config update, signed by the Admins here, to this file instead of submitting it, and the new org's own directory to --org-dir; this directory is unchanged",
    }),
    'from-file': Flags.string({
      char: 'f',
      description: 'submit the update in this file (from --output, signed with weft channel sign-update) unless the channel has the org already, and record the org of --org-dir here (its certificates only)',
    }),
    definition: Flags.string({
      char: 'd',
      description: "the new org's definition (org-definition.json from weft network new-org, certificates only): the org made its own keys; none is generated here",
    }),
    peer: Flags.string({
      description:
        "with a bare configtxgen -printOrg group that names no anchor peer: where the org's peers are, <host>:<port>[:<operations port>] (repeatable; the first becomes its anchor peer)",
      multiple: true,
    }),
    domain: Flags.string({
      description: "with a bare configtxgen -printOrg group: the org's domain (default: its first peer's host without its first label, else <name in lower case>.<orderer org's domain>)",
    }),
    ...hsmKeyFlags("the new org's"),
    'key-algorithm': keyAlgorithmFlag("the new org's (when its keys are made here: not with --definition or --from-file)"),
    'intermediate-ca': intermediateCaFlag("the new org's (when its keys are made here: not with --definition or --from-file)"),
    'org-dir': Flags.string({ description: "the new org's own directory: written by --output (the only place its private keys go), read by --from-file (a copy without its keys will do)" }),
  };

  async run(): Promise<AddOrgResult | PreparedAddOrg | RecordedAddOrg> {
    const { args, flags } = await this.parse(NetworkAddOrg);
    if (flags.definition === undefined && (flags.peer !== undefined || flags.domain !== undefined)) {
      throw new ConfigError('CONFLICTING_FLAGS', `${flags.peer !== undefined ? '--peer' : '--domain'} completes a bare configtxgen -printOrg group: it goes with --definition <file>`, {
        field: flags.peer !== undefined ? '--peer' : '--domain',
      });
    }
    const madeElsewhereBy = flags.definition !== undefined ? '--definition' : flags['from-file'] !== undefined ? '--from-file' : undefined;
    const making = newOrgMaking({ keyAlgorithm: flags['key-algorithm'], intermediateCa: flags['intermediate-ca'] }, hsmKeyOptions(flags), 'ADD_ORG_OPTIONS_INVALID', madeElsewhereBy);
    const options: Parameters<typeof addOrg>[1] = {
      name: flags.name,
      peers: flags.peers,
      users: flags.users,
      hosts: flags.host,
      basePort: flags['base-port'],
      output: flags.output,
      fromFile: flags['from-file'],
      orgDir: flags['org-dir'],
      definition: flags.definition,
      peerEndpoints: flags.peer,
      domain: flags.domain,
      ...making,
      ...hsmKeyOptions(flags),
    };
    const result = await addOrg(args.dir, options, (m) => this.progress(m));
    if ('file' in result) {
      const source = result.definition === undefined ? `--org-dir ${shellWord(String(result.orgDir))}` : `--definition ${shellWord(result.definition)}`;
      this.log(`${result.org} (${result.mspId}): ${result.definition === undefined ? `its directory is ${result.orgDir}` : `defined in ${result.definition}`}; the config update adding it to ${result.channel} is in ${result.file}, signed by ${result.signedBy.join(', ') || 'nobody yet'}`);
      if (result.stillToSign.length > 0) this.log(`next: the Admins of ${result.stillToSign.join(', ')} run weft channel sign-update <their dir> ${shellWord(result.file)} --org <their org>`);
      this.log(`then: weft network add-org <a member's dir> --from-file ${shellWord(result.file)} ${source}`);
      return result;
    }
    if ('recorded' in result) {
      this.log(`${result.org} (${result.mspId}) ${result.submitted ? `added to channel ${result.channel}${result.configBlock === undefined ? '' : ` (config block ${result.configBlock})`}, signed by ${result.signedBy.join(', ')}` : `was on channel ${result.channel} already`}; ${args.dir}'s network.yaml lists it`);
      this.log(`next: ${result.org} starts its peers and joins them to ${result.channel}: ${result.next}`);
      return result;
    }
    this.log(`${result.org} (${result.mspId}) added to the network and channel ${result.channel}${result.configBlock === undefined ? '' : ` (config block ${result.configBlock})`}, signed by ${result.signedBy.join(', ')}`);
    for (const p of result.peers) this.log(`  peer    ${p.id.padEnd(28)} ${p.address}${result.started.includes(p.id) ? '  (running, joined)' : ''}`);
    if (result.started.length === 0) this.log(`next: weft network up ${shellWord(args.dir)} starts ${result.org}'s peers and joins them to ${result.channel}`);
    return result;
  }
}
