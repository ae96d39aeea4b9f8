import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { addOrg, type AddOrgResult } from '../../services/network/network-add-org';

export default class NetworkAddOrg extends WeftCommand {
  static override summary = "Add a new org to a running network and its default channel: Fabric's \"Adding an Org to a Channel\" tutorial in one command.";
  static override description =
    "Generates the org's crypto material (cryptogen's layout) and its peers' configs, adds the org (its MSP and its first peer as anchor peer) to the default channel with a config update " +
    "signed as the Admins of the channel's orgs whose keys the directory holds (the channel's Application/Admins policy: a majority of them), submits it to an orderer, and only once the orderer accepted it " +
    'moves the material into the network directory, adds the org to network.yaml, starts its peers when the network runs here and joins them to the default channel from its genesis block. ' +
    "Other orgs' peers find the new peers through the channel config's anchor peers and trust their TLS CA from the org's MSP in it: no other node's config changes. " +
    'Names default as weft network init names orgs (the next OrgN, OrgNMSP, orgN.example.com); ports default to the next ones above the network\'s that are free. ' +
    'Refused when this directory lacks the Admin keys of a majority of the orgs (CONFIG_UPDATE_UNSIGNED). ' +
    "On a --mutual-tls network the nodes take the new org's TLS CA from the channel config, as Fabric's do.";
  static override examples = [
    '<%= config.bin %> network add-org ./net',
    '<%= config.bin %> network add-org ./net --name Org3 --peers 2 --users User1 --users Auditor',
    '<%= config.bin %> network add-org ./net --base-port 9051 --json',
    '<%= config.bin %> network add-org ./net --host peer0.org3.example.com=10.0.0.13',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    name: Flags.string({ description: "the new org's name (its MSP ID is <name>MSP, its domain <name in lower case>.<orderer org's domain>); default the next OrgN" }),
    peers: Flags.integer({ description: 'number of peers of the new org', default: 1, min: 1, max: 20 }),
    users: Flags.string({ description: 'client users of the new org, besides Admin (repeatable or comma-separated; default User1)', multiple: true, delimiter: ',' }),
    host: Flags.string({
      description: "where other machines reach the new org's peers: <host> for every one, <node>=<host> for one (repeatable; default 127.0.0.1). A peer on another host is started there with weft network up",
      multiple: true,
    }),
    'base-port': Flags.integer({ description: "first port to hand the new peers (default: one above the network's highest); ports the network uses or something listens on are skipped", min: 1024, max: 65535 }),
  };

  async run(): Promise<AddOrgResult> {
    const { args, flags } = await this.parse(NetworkAddOrg);
    const result = await addOrg(args.dir, { name: flags.name, peers: flags.peers, users: flags.users, hosts: flags.host, basePort: flags['base-port'] }, (m) => this.progress(m));
    this.log(`${result.org} (${result.mspId}) added to the network and channel ${result.channel}${result.configBlock === undefined ? '' : ` (config block ${result.configBlock})`}, signed by ${result.signedBy.join(', ')}`);
    for (const p of result.peers) this.log(`  peer    ${p.id.padEnd(28)} ${p.address}${result.started.includes(p.id) ? '  (running, joined)' : ''}`);
    if (result.started.length === 0) this.log(`next: weft network up ${args.dir} starts ${result.org}'s peers and joins them to ${result.channel}`);
    return result;
  }
}
