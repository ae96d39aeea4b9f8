import { Flags } from '@oclif/core';
import { ConfigError } from '../../../core/errors';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { renewMember, type RenewResult } from '../../services/network/network-renew';
import { recoverExpiredNetwork, type NetworkRecovery } from '../../services/network/expired-network-recovery';
import { renewOrgCas, type RenewCaResult } from '../../services/network/org-ca-renewal';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkRenew extends WeftCommand {
  static override summary = "Re-issue a node's or user's enrollment and TLS certificates from its org's CAs (fabric-ca-client reenroll), with new keys; or an org's CA certificates (before they expire, or recovering an expired CA, TLS CA or both in place).";
  static override description =
    'Issues new certificates with the same subject (NodeOU role) and TLS names, and new keys (0600), into a staging copy of the identity\'s folder, then swaps it in; ' +
    'the replaced folder, old keys included, is kept under <dir>/backups/renew-<time>/. The channels need no config update: they trust the org\'s CAs. ' +
    'A node running here reloads them live (SIGHUP: same process, open connections kept; the connections a peer dials move to the new client certificate: its Deliver streams reopen at once, other connections are replaced and the old ones closed two minutes later), ' +
    'checked by a TLS handshake serving the new certificate (reloaded: true); --restart restarts it instead. ' +
    "Needs the org's CA keys, which only the directory weft network init made holds (CA_KEY_NOT_HERE in a directory from weft network export); " +
    'a certificate from another CA (fabric-ca) is renewed by that CA. See when certificates expire with weft network status. ' +
    '--revoke-old then puts the replaced enrollment certificate on the org CA\'s CRL in every channel (as weft network revoke); a node running here must have reloaded (or be restarted with --restart) first, else nothing is revoked. ' +
    "With --org and --ca and/or --tls-ca: re-issues the org's CA (TLS CA) certificate for the same key, subject and SKI, from its old start date, so every certificate it issued still verifies; " +
    "replaces it in the org's MSP (root_certs or tls_root_certs, and NodeOU identifiers) in every channel by config updates the org's Admin signs (the orderer org's in /Channel/Orderer), " +
    'then every copy under organizations/ under the same file names. ' +
    "For an org made with --intermediate-ca, --ca and --tls-ca renew its intermediates (re-signed by its roots, whose keys must be back in rootca/ and tlsrootca/: ROOT_CA_KEY_NOT_HERE otherwise; intermediate_certs and tls_intermediate_certs replaced in the channels), --root-ca and --tls-root-ca its roots; an expired CA of such an org is not recovered here (CA_INTERMEDIATE_UNSUPPORTED). " +
    'Nodes running here reload a renewed CA or TLS CA (their local MSP and client CA roots); --restart restarts them instead. ' +
    "An expired CA (--ca) is recovered in place: the channel updates are signed inside by the org's expired Admin (the MSP checks a chain at the certificate's start) and submitted by an unexpired Admin of another org (the orderer org's first; recovery.submitter; NO_CONFIG_SUBMITTER when none here may), " +
    "then every member of the org whose certificate ended is re-issued and the org's nodes here that ran when the run began are started; one stopped before is left stopped (recovery.members, recovery.started, recovery.leftStopped); the orderer org's CA alone needs an orderer still running (ORDERERS_DOWN). " +
    "An expired TLS CA (--tls-ca) is recovered in place when every node trusting it runs from this directory: the TLS CA and every copy of it under organizations/ are replaced, the members whose certificates ended re-issued (running nodes reload), the org's nodes that went down during the run started, other orderers reload and other orgs' peers restart (their connections keep the roots they were dialled with), " +
    "then each channel's tls_root_certs takes the renewed root by a config update the org's Admin signs and submits. With a node elsewhere (another host, keys elsewhere) it is refused (CA_EXPIRED naming them, with the steps), nothing changed. " +
    "A peer org whose CA and TLS CA both expired is recovered by one run with --ca --tls-ca (either flag alone: RENEW_TARGET), under the same condition: one config update per channel replaces root_certs and tls_root_certs (signed inside by the org's expired Admin, submitted by another org's), then every copy of both roots, the members re-issued, the org's nodes started, the other nodes brought onto the TLS root as above; the orderer org in that state too, in another order: its running nodes stop (recorded in <dir>/run/renew-stopped.json, so a run resumed after a failure starts them), both CAs and every copy are re-issued, its ended members re-issued from their old start (the blocks its orderers sign verify against the expired root the channels hold), the orderers it stopped start, other orderers reload and the peers restart, then one config update per channel replaces root_certs and tls_root_certs in /Channel/Orderer (signed inside by its re-issued Admin, submitted by a peer org's; ORDERERS_DOWN when every orderer was stopped before the run: start one, run it again). " +
    "With --all-expired, a network whose every CA and TLS CA expired (weft network init makes them end together) and whose every node runs from this directory is recovered in place: every running node stops, every CA and TLS CA is re-issued (same key, subject and start) and every copy under organizations/ replaced, every member whose certificate ended is re-issued from its old start (so it verifies against the expired root the channels still hold: the MSP checks a chain at the certificate's start), the nodes it stopped start (one stopped before is left stopped: leftStopped), then each org's own Admin replaces its root_certs and tls_root_certs in every channel. " +
    'Refused with a node run elsewhere (NODES_ELSEWHERE) or when only some CAs expired (RENEW_TARGET: recover those orgs with --org). ' +
    'Run it again after a failure midway.';
  static override examples = [
    '<%= config.bin %> network renew ./net --node peer0.org1.example.com',
    '<%= config.bin %> network renew ./net --node peer0.org1.example.com --restart',
    '<%= config.bin %> network renew ./net --org Org1 --user User1',
    '<%= config.bin %> network renew ./net --org OrdererOrg --user Admin --days 365 --json',
    '<%= config.bin %> network renew ./net --node peer0.org1.example.com --revoke-old',
    '<%= config.bin %> network renew ./net --org Org1 --ca --tls-ca --days 3650 --restart',
    '<%= config.bin %> network renew ./net --org Org1 --ca --json',
    '<%= config.bin %> network renew ./net --org Org1 --tls-ca --json',
    '<%= config.bin %> network renew ./net --all-expired --json',
    '<%= config.bin %> network renew ./net --org Org1 --ca --tls-ca',
    '<%= config.bin %> network renew ./net --org Org1 --root-ca --tls-root-ca',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    org: Flags.string({ description: "the identity's org (name, MSP ID or domain); for --user, the org with keys here by default" }),
    node: Flags.string({ description: 'the node to renew, e.g. peer0.org1.example.com', exclusive: ['user'] }),
    user: Flags.string({ description: 'the user to renew, e.g. User1 or Admin', exclusive: ['node'] }),
    ca: Flags.boolean({ description: "renew the --org's CA certificate (same key and subject, new expiry) in every channel and file", default: false }),
    'tls-ca': Flags.boolean({ description: "renew the --org's TLS CA certificate likewise", default: false }),
    'root-ca': Flags.boolean({
      description: "for an org made with --intermediate-ca: renew the root above its CA (its key back in rootca/priv_sk; --ca renews the intermediate, re-signed by that root)",
      default: false,
    }),
    'tls-root-ca': Flags.boolean({ description: 'likewise the root above its TLS CA (tlsrootca/priv_sk)', default: false }),
    'revoke-old': Flags.boolean({ description: 'then revoke the replaced enrollment certificate (org CRL in every channel), once the running node took the new one (reload or --restart)', default: false }),
    days: Flags.integer({ description: "validity of the new certificates in days (default: ten years, as weft network init), at most the CA's own", min: 1 }),
    'all-expired': Flags.boolean({
      description: 'recover a network whose every CA and TLS CA expired, every node run from here: CAs, members, copies, nodes, then each channel',
      default: false,
      exclusive: ['org', 'node', 'user', 'ca', 'tls-ca', 'root-ca', 'tls-root-ca', 'revoke-old', 'restart'],
    }),
    restart: Flags.boolean({ description: 'restart the node if it runs on this machine, instead of reloading its certificates live', default: false }),
  };

  async run(): Promise<RenewResult | RenewCaResult | NetworkRecovery> {
    const { args, flags } = await this.parse(NetworkRenew);
    if (flags['all-expired']) {
      const r = await recoverExpiredNetwork(args.dir, { ...(flags.days !== undefined && { days: flags.days }) }, (m) => this.progress(m));
      for (const c of r.cas) this.log(`${c.mspId} ${c.which} ${c.fileName}: serial ${c.serialNumber}, valid until ${c.notAfter} (was ${c.previousNotAfter})`);
      for (const m of r.members) this.log(`${m.id}: re-issued from ${m.enrollment.notBefore}, valid until ${m.enrollment.notAfter}`);
      if (r.started.length > 0) this.log(`started: ${r.started.join(', ')}`);
      if (r.leftStopped.length > 0) this.log(`left stopped (stopped before the recovery; weft network up ${shellWord(args.dir)} --node <id>): ${r.leftStopped.join(', ')}`);
      for (const c of r.channels) this.log(`channel ${c.channel}: ${c.mspId}'s roots replaced (signed and submitted by its Admin)`);
      this.log(r.nothingToDo ? 'every CA and TLS CA was recovered already: nothing changed' : `${r.cas.length} CA certificate(s) re-issued, ${r.files.length} file(s) replaced, ${r.members.length} member(s) re-issued, ${r.channels.length} channel update(s)`);
      return r;
    }
    if (flags.ca || flags['tls-ca'] || flags['root-ca'] || flags['tls-root-ca']) {
      const other = flags.node !== undefined ? '--node' : flags.user !== undefined ? '--user' : flags['revoke-old'] ? '--revoke-old' : undefined;
      if (other !== undefined || flags.org === undefined) {
        throw new ConfigError('RENEW_TARGET', other === undefined ? "--ca/--tls-ca renew an org's CA: name it with --org" : `--ca/--tls-ca renew an org's CA, ${other} a member: run them one at a time`, {
          field: other ?? '--org',
          suggestions: [`weft network renew ${shellWord(args.dir)} --org Org1 --ca --tls-ca`],
        });
      }
      const renewed = await renewOrgCas(args.dir, { org: flags.org, ca: flags.ca, tlsCa: flags['tls-ca'], rootCa: flags['root-ca'], tlsRootCa: flags['tls-root-ca'], days: flags.days, restart: flags.restart }, (m) => this.progress(m));
      for (const c of renewed.cas) this.log(`${renewed.mspId} ${c.which} ${c.fileName}: serial ${c.serialNumber}, valid until ${c.notAfter} (was ${c.previousNotAfter})`);
      const recovery = renewed.recovery;
      if (recovery !== undefined) {
        const by = recovery.submitter === undefined ? `signed and submitted by ${renewed.mspId}'s Admin` : `signed by ${renewed.mspId}'s Admin, submitted by ${recovery.submitter.id}`;
        for (const c of renewed.channels) this.log(`channel ${c.channel}: root replaced (${by})`);
        if (recovery.stopped !== undefined && recovery.stopped.length > 0) this.log(`stopped for the recovery: ${recovery.stopped.join(', ')}`);
        for (const m of recovery.members) this.log(`${m.id}: re-issued${m.enrollment.notBefore === undefined ? '' : ` from ${m.enrollment.notBefore}`}, valid until ${m.enrollment.notAfter}${m.reloaded === true ? ', reloaded' : ''}`);
        if (recovery.started.length > 0) this.log(`started: ${recovery.started.join(', ')}`);
        if (recovery.leftStopped.length > 0) this.log(`left stopped (stopped before the recovery; weft network up ${shellWord(args.dir)} --node <id>): ${recovery.leftStopped.join(', ')}`);
        const recovered = flags.ca && flags['tls-ca'] ? 'CA and TLS CA were' : flags['tls-ca'] ? 'TLS CA was' : 'CA was';
        if (recovery.nothingToDo) this.log(`${renewed.mspId}'s ${recovered} recovered already: nothing changed`);
      }
      this.log(`${renewed.channels.length} channel(s) updated, ${renewed.files.length} file(s) replaced`);
      if (renewed.reloaded.length > 0) this.log(`reloaded, no restart: ${renewed.reloaded.join(', ')}`);
      if (renewed.restarted.length > 0) this.log(`restarted: ${renewed.restarted.join(', ')}`);
      if (renewed.restartNeeded.length > 0) this.log(`restart before the old expiry: ${renewed.restartNeeded.join(', ')}`);
      return renewed;
    }
    const result = await renewMember(args.dir, { org: flags.org, node: flags.node, user: flags.user, days: flags.days, restart: flags.restart, revokeOld: flags['revoke-old'] }, (m) => this.progress(m));
    this.log(`${result.id} (${result.mspId}) renewed, serial ${result.enrollment.serialNumber}, valid until ${result.enrollment.notAfter}: ${result.enrollment.path}`);
    for (const c of result.consenterUpdates ?? []) this.log(`channel ${c.channel}: its consenter is ${result.id}'s new TLS certificate${c.configBlock === undefined ? '' : ` (config block ${c.configBlock})`}`);
    if (result.restarted) this.log(`${result.id} restarted with its new certificates`);
    if (result.reloaded) this.log(`${result.id} reloaded its new certificates, no restart`);
    if (result.revoked !== undefined) this.log(`earlier certificate(s) ${result.revoked.serialNumbers.join(', ')} revoked on ${result.mspId}'s CRL number ${result.revoked.crlNumber}`);
    if (result.restartNeeded) this.log(`next: weft network down ${shellWord(args.dir)} --node ${result.id} && weft network up ${shellWord(args.dir)} --node ${result.id}`);
    return result;
  }
}
