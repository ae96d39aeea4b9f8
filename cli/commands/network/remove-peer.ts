import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { networkDirArg } from '../../common-flags';
import { removePeer, type RemovePeerResult } from '../../services/network/network-remove-peer';

export default class NetworkRemovePeer extends WeftCommand {
  static override summary = "Retire a peer of an org: move the org's anchor peer off it, revoke its certificate, stop it, and take it out of network.yaml and the other peers' configs.";
  static override description =
    "What a Fabric operator does by hand to retire a peer (hardware replaced, org shrinking, a key that may have leaked), in one step. Where it is an anchor peer of its org, the channel's AnchorPeers get another peer of the org (a config update signed by the org's Admin). " +
    "Unless --no-revoke: its enrollment certificate, and the earlier ones weft network renew kept, go on the org CA's CRL and into the org's MSP revocation_list in every channel of the org (as weft network revoke does), so its signatures are refused from then on. " +
    "Then it is stopped if it runs here, the other peers' configs no longer list it in peer.gateway.peers, its node folder, log and crypto folder move to <dir>/backups/remove-<time>/ (0700; no key is deleted) and network.yaml drops it. " +
    "Refuses, changing nothing: an unknown peer, the org's last peer (LAST_PEER_OF_ORG), a directory without the org's CA key (CA_KEY_NOT_HERE) or Admin key, a network that is not running when a config update is needed. " +
    'A failure part-way is REMOVE_PEER_UNFINISHED, naming the steps left: the same command again finishes it.';
  static override examples = [
    '<%= config.bin %> network remove-peer ./net --peer peer0.org1.example.com',
    '<%= config.bin %> network remove-peer ./net --peer peer1 --org Org2 --json',
    '<%= config.bin %> network remove-peer ./net --peer peer2.org1.example.com --no-revoke',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    peer: Flags.string({ description: 'the peer to retire: peer0.org1.example.com, or peer0 with --org', required: true }),
    org: Flags.string({ description: "the peer's org (name, MSP ID or domain), when --peer is a short name several orgs have" }),
    revoke: Flags.boolean({ description: 'revoke its enrollment certificates in every channel of its org (--no-revoke: keep them valid, e.g. for hardware replaced with its key safe)', default: true, allowNo: true }),
  };

  async run(): Promise<RemovePeerResult> {
    const { args, flags } = await this.parse(NetworkRemovePeer);
    const result = await removePeer(args.dir, { peer: flags.peer, org: flags.org, revoke: flags.revoke }, (m) => this.progress(m));
    this.log(`${result.peer.id} (${result.mspId}) removed; its folders are in ${result.backupDir ?? '(none left)'}`);
    for (const a of result.anchorPeers) this.log(`  ${a.channel}: anchor peers now ${a.now.join(', ')} (config block ${a.configBlock ?? '?'})`);
    if (result.revoked !== undefined) this.log(`  revoked serial(s) ${result.revoked.serialNumbers.join(', ')}${result.revoked.crlNumber === undefined ? ' (already)' : ` on CRL number ${result.revoked.crlNumber}`}`);
    return result;
  }
}
