import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { revokeNodeEarlierCertificates, type OldCertificatesRevoked } from '../../services/network/node-revocation';
import type { LocalMspReloads } from '../../services/network/node-reload';
import { revokeUser, type RevokeResult } from '../../services/network/org-revocation';

export default class NetworkRevoke extends WeftCommand {
  static override summary = "Revoke a user's certificate, or a renewed node's earlier ones: the org's CRL gets the serials, every channel of the org gets the CRL, peers refuse them.";
  static override description =
    "Fabric's fabric-ca-client revoke + gencrl, configtxlator and peer channel update in one step. Adds the user's enrollment certificate serial to the org CA's CRL " +
    '(earlier serials kept, CRL number one higher, signed by the CA with its key identifier as AKI, as Fabric\'s MSP matches it), ' +
    "sets it as the org's MSP revocation_list in every channel the org is a member of (a config update signed by the org's Admin, whom the org's MSP value's mod_policy names) " +
    "and waits for this directory's peers to hold each config block. Then writes the CRL into the org's MSP folders (msp/crls/ of the org and its nodes) and takes the user out of the org's users in network.yaml; " +
    'its certificate stays, so the name is not issued again. Afterwards the peers refuse its proposals (access denied), as Fabric\'s do. ' +
    "Its TLS certificate goes on the org TLS CA's CRL the same way (the same revocation_list, msp/crls/tls-crl.pem), so Weft's peers and orderers refuse its connections (a leaked TLS key cannot even connect); --no-tls leaves it. " +
    "With --node instead of --user: the node's earlier enrollment certificates, those weft network renew replaced and kept under <dir>/backups/, go on its org CA's CRL (a peer's in its org's MSP, an orderer's in the orderer org's, in every channel); " +
    'refused while the node runs here on one of them (restart it first). ' +
    "Needs the org's CA key and Admin key (the directory weft network init made) and the network up. Refuses the org's Admin (it signs the org's config changes) and a user already revoked; nothing changes then. " +
    'Run again after a failure midway: channels that already have the CRL are skipped.';
  static override examples = [
    '<%= config.bin %> network revoke ./net --org Org1 --user User2',
    '<%= config.bin %> network revoke ./net --org Org1MSP --user User2 --json',
    '<%= config.bin %> network revoke ./net --node peer0.org1.example.com',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    org: Flags.string({ description: 'the peer org of --user (name, MSP ID or domain)' }),
    user: Flags.string({ description: 'the client user to revoke, e.g. User2', exclusive: ['node'], dependsOn: ['org'] }),
    node: Flags.string({ description: "the node whose earlier (renewed) certificates to revoke, e.g. peer0.org1.example.com", exclusive: ['user'] }),
    tls: Flags.boolean({
      description: "also revoke the TLS certificate(s) on the org TLS CA's CRL, so Weft nodes refuse their connections (--no-tls: enrollment certificates only, as Fabric's tooling)",
      default: true,
      allowNo: true,
    }),
  };

  async run(): Promise<RevokeResult | OldCertificatesRevoked> {
    const { args, flags } = await this.parse(NetworkRevoke);
    if (flags.node !== undefined) {
      const result = await revokeNodeEarlierCertificates(args.dir, { node: flags.node, noTls: !flags.tls }, (m) => this.progress(m));
      this.log(`${result.id} (${result.mspId}): earlier certificate(s) ${result.serialNumbers.join(', ')} revoked on CRL number ${result.crlNumber}`);
      if (result.tls !== undefined) this.log(`  earlier TLS certificate(s) ${result.tls.serialNumbers.join(', ')} on TLS CA CRL number ${result.tls.crlNumber}`);
      for (const c of result.channels) this.log(`  channel ${c.channel.padEnd(20)} config block ${c.configBlock ?? '?'} (orderer ${c.orderer})`);
      this.logReloads(result);
      return result;
    }
    const result = await revokeUser(args.dir, { org: flags.org ?? '', user: flags.user ?? '', noTls: !flags.tls }, (m) => this.progress(m));
    this.log(`${result.user} of ${result.org} (${result.mspId}) revoked: serial ${result.serialNumber} on CRL number ${result.crlNumber} (${result.revokedSerials.length} serial(s))`);
    if (result.tls !== undefined) this.log(`  TLS certificate serial ${result.tls.serialNumber} on TLS CA CRL number ${result.tls.crlNumber}`);
    for (const c of result.channels) this.log(`  channel ${c.channel.padEnd(20)} config block ${c.configBlock ?? '?'} (orderer ${c.orderer})`);
    this.logReloads(result);
    return result;
  }

  /** Which running nodes took the new CRL into their local checks, and which read it only when restarted. */
  private logReloads(result: LocalMspReloads): void {
    if (result.reloaded.length > 0) this.log(`  reloaded (local checks use the CRL now): ${result.reloaded.join(', ')}`);
    if (result.signalled.length > 0) this.log(`  told to reload (see their logs): ${result.signalled.join(', ')}`);
    if (result.restartNeeded.length > 0) this.log(`  restart to apply the CRL to their local checks: ${result.restartNeeded.join(', ')}`);
  }
}
