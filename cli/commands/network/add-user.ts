import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { hsmKeyFlags, hsmKeyOptions, networkDirArg } from '../../common-flags';
import { addUsers, type AddUsersResult } from '../../services/network/network-users';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkAddUser extends WeftCommand {
  static override summary = "Issue new client users of an org from its CA (fabric-ca-client register + enroll in one step) and list them in network.yaml.";
  static override description =
    "Issues each user's enrollment certificate from the org's CA (NodeOU client, as weft network init issues User1) and a TLS client certificate from the org's TLS CA, " +
    'writes them in the cryptogen layout under organizations/peerOrganizations/<domain>/users/<name>@<domain> (keys 0600) and adds the names to the org\'s users in network.yaml. ' +
    'The channels need no config update: they trust the org\'s CA already, so the users can invoke and query at once (--user <name>). ' +
    'Needs the org\'s CA keys, which only the directory weft network init made holds (CA_KEY_NOT_HERE in a directory from weft network export). ' +
    "Into an org whose peers sign in a PKCS#11 token (weft network init --hsm-library), each user's signing key is generated in a token too (no keystore file; the PIN from WEFT_PKCS11_PIN): the CLI's token (WEFT_PKCS11_LIBRARY, WEFT_PKCS11_LABEL) when those are set, else the peers' token; --hsm-library/--hsm-label name it instead (both or neither). The CLI signs as such a user with those variables set. " +
    'Refuses a name the org has or had (a revoked user keeps its name), a name that is not a letter followed by letters and digits, and an unknown org; nothing is written then.';
  static override examples = [
    '<%= config.bin %> network add-user ./net --org Org1 --name User2',
    '<%= config.bin %> network add-user ./net --org Org2MSP --name Alice,Bob --json',
    'WEFT_PKCS11_PIN=1234 <%= config.bin %> network add-user ./net --org Org1 --name User2 --hsm-library /usr/lib/softhsm/libsofthsm2.so --hsm-label weft',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    org: Flags.string({ description: 'the peer org (name, MSP ID or domain)', required: true }),
    name: Flags.string({ description: 'user name, e.g. User2 (repeatable or comma-separated)', required: true, multiple: true, delimiter: ',' }),
    ...hsmKeyFlags("the users'", "a token when the org's peers sign in one (see above), else files"),
  };

  async run(): Promise<AddUsersResult> {
    const { args, flags } = await this.parse(NetworkAddUser);
    const result = await addUsers(args.dir, { org: flags.org, names: flags.name, ...hsmKeyOptions(flags) }, (m) => this.progress(m));
    for (const u of result.users) this.log(`${u.id} (${result.mspId}) issued, serial ${u.serialNumber}: ${u.certPath}`);
    this.log(`next: weft chaincode invoke ${shellWord(args.dir)} <function> ... -n <chaincode> --org ${result.org} --user ${result.users[0]!.name}`);
    return result;
  }
}
