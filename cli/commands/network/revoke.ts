import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { revokeUser, type RevokeResult } from '../../services/network/org-revocation';

export default class NetworkRevoke extends WeftCommand {
  static override summary = "Revoke a user's certificate: the org's CRL gets its serial, every channel of the org gets the CRL, peers refuse the user.";
  static override description =
    "Fabric's fabric-ca-client revoke + gencrl, configtxlator and peer channel update in one step. Adds the user's enrollment certificate serial to the org CA's CRL " +
    '(earlier serials kept, CRL number one higher, signed by the CA with its key identifier as AKI, as Fabric\'s MSP matches it), ' +
    "sets it as the org's MSP revocation_list in every channel the org is a member of (a config update signed by the org's Admin, whom the org's MSP value's mod_policy names) " +
    "and waits for this directory's peers to hold each config block. Then writes the CRL into the org's MSP folders (msp/crls/ of the org and its peers) and takes the user out of the org's users in network.yaml; " +
    'its certificate stays, so the name is not issued again. Afterwards the peers refuse its proposals (access denied), as Fabric\'s do. ' +
    "Needs the org's CA key and Admin key (the directory weft network init made) and the network up. Refuses the org's Admin (it signs the org's config changes) and a user already revoked; nothing changes then. " +
    'Run again after a failure midway: channels that already have the CRL are skipped.';
  static override examples = ['<%= config.bin %> network revoke ./net --org Org1 --user User2', '<%= config.bin %> network revoke ./net --org Org1MSP --user User2 --json'];
  static override args = { dir: networkDirArg };
  static override flags = {
    org: Flags.string({ description: 'the peer org (name, MSP ID or domain)', required: true }),
    user: Flags.string({ description: 'the client user to revoke, e.g. User2', required: true }),
  };

  async run(): Promise<RevokeResult> {
    const { args, flags } = await this.parse(NetworkRevoke);
    const result = await revokeUser(args.dir, { org: flags.org, user: flags.user }, (m) => this.progress(m));
    this.log(`${result.user} of ${result.org} (${result.mspId}) revoked: serial ${result.serialNumber} on CRL number ${result.crlNumber} (${result.revokedSerials.length} serial(s))`);
    for (const c of result.channels) this.log(`  channel ${c.channel.padEnd(20)} config block ${c.configBlock ?? '?'} (orderer ${c.orderer})`);
    return result;
  }
}
