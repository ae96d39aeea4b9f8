import { Args, Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { hsmKeyFlags, hsmKeyOptions, intermediateCaFlag, keyAlgorithmFlag } from '../../common-flags';
import { newOrgMaking } from '../../services/network/org-making';
import { createOwnOrg, type NewOrgDirResult } from '../../services/network/network-new-org';
import type { OwnOrgOptions } from '../../services/network/new-org-spec';

export default class NetworkNewOrg extends WeftCommand {
  static override summary = "Make a new org's own directory, keys and all, and its definition (certificates only) for a network's members to add: Fabric's cryptogen + configtxgen -printOrg on the new org's host.";
  static override description =
    "Writes <dir> with the org's CA and TLS CA, Admin, users and peers in cryptogen's layout (keys 0600, as weft network init makes an org) and <dir>/org-definition.json: " +
    "the org's certificates, its peers' endpoints and its channel config group as configtxgen -printOrg prints it. No key leaves <dir>. " +
    'It needs nothing of the network: hand org-definition.json to a member, who adds the org (weft network add-org <member dir> --definition <file> --output <update>, then sign-update, then --from-file); ' +
    "then, with a member's certificates-only export (weft network export <member dir> <out> --public), weft network join <dir> --from <out> completes the directory and weft network up <dir> starts and joins the peers. " +
    "With --hsm-library/--hsm-label (both, the PIN from WEFT_PKCS11_PIN) every node's and user's signing key is generated in that PKCS#11 token, as weft network init does. " +
    'Refuses a directory that is not empty; nothing is left behind on failure.';
  static override examples = [
    '<%= config.bin %> network new-org ./org3 --name Org3',
    '<%= config.bin %> network new-org ./org3 --name Org3 --domain org3.example.com --base-port 11051 --host 10.0.0.13',
    '<%= config.bin %> network new-org ./org3 --name Org3 --key-algorithm ed25519',
    '<%= config.bin %> network new-org ./org3 --name Org3 --intermediate-ca',
    '<%= config.bin %> network add-org ./org1 --definition ./org3/org-definition.json --output add-org3.pb',
  ];
  static override args = { dir: Args.string({ description: "the new org's directory (absent or empty)", required: true }) };
  static override flags = {
    name: Flags.string({ description: 'the org name, e.g. Org3', required: true }),
    'msp-id': Flags.string({ description: 'its MSP ID (default <name>MSP)' }),
    domain: Flags.string({ description: 'its domain (default <name in lower case>.example.com)' }),
    peers: Flags.integer({ description: 'number of peers (default 1)', min: 1, max: 20 }),
    users: Flags.string({ description: 'client users besides Admin (repeatable or comma-separated; default User1)', multiple: true, delimiter: ',' }),
    host: Flags.string({ description: 'where other machines reach its peers: <host> for every one, <node>=<host> for one (repeatable; default 127.0.0.1)', multiple: true }),
    'base-port': Flags.integer({ description: "first port for its peers (default 7051); ports something listens on here are skipped", min: 1024, max: 65535 }),
    ...hsmKeyFlags("every node's and user's"),
    'key-algorithm': keyAlgorithmFlag("the org's"),
    'intermediate-ca': intermediateCaFlag("the org's"),
  };

  async run(): Promise<NewOrgDirResult> {
    const { args, flags } = await this.parse(NetworkNewOrg);
    const making = newOrgMaking({ keyAlgorithm: flags['key-algorithm'], intermediateCa: flags['intermediate-ca'] }, hsmKeyOptions(flags), 'INIT_OPTIONS_INVALID');
    const options: OwnOrgOptions = {
      name: flags.name,
      mspId: flags['msp-id'],
      domain: flags.domain,
      peers: flags.peers,
      users: flags.users,
      hosts: flags.host,
      basePort: flags['base-port'],
      ...making,
      ...hsmKeyOptions(flags),
    };
    const result = await createOwnOrg(args.dir, options, (m) => this.progress(m));
    this.log(`${result.org} (${result.mspId}, ${result.domain}) made in ${result.dir}; its keys stay there`);
    for (const p of result.peers) this.log(`  peer    ${p.id.padEnd(28)} ${p.host}:${p.port}`);
    if (result.signingKeyToken !== undefined) {
      this.log(`signing keys in PKCS#11 token "${result.signingKeyToken.label}": its peers need WEFT_PKCS11_PIN, its users WEFT_PKCS11_LIBRARY and WEFT_PKCS11_LABEL too`);
    }
    this.log(`next: hand ${result.definition} to a member, who runs: weft network add-org <member dir> --definition <that file> --output <update file>`);
    return result;
  }
}
