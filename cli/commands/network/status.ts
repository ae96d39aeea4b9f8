import { Args } from '@oclif/core';
import { ORG_CA_RENEW_FLAG } from '../../../core/msp/crypto-material';
import { WeftCommand } from '../../base-command';
import { snapshotStart } from '../../services/block/block-source';
import { channelFlag } from '../../common-flags';
import { capabilitiesText } from '../../services/network/channel-capabilities-status';
import { EXPIRY_SOON_DAYS } from '../../services/network/certificate-expiry-report';
import { mebibytes } from '../../services/network/data-dir-bytes';
import { expiryText } from '../../services/network/expiry-text';
import { networkStatus, type NetworkStatus } from '../../services/network/network-control';
import { shellWord } from '../../../core/node/shell-word';

export default class NetworkStatusCommand extends WeftCommand {
  static override summary = "Show each channel's capabilities, each node (address, MSP, TLS root, operations, height, health), each user identity, and when their certificates and the CAs expire.";
  static override description =
    'With --json, prints everything a client application needs to connect: the channel (and all channels); every orderer and peer with its address, MSP ID, TLS root certificate path, operations address and current height (each peer of the member orgs of the channel, with the channels network.yaml puts it on: a peer kept off the channel has no height there); every user with its MSP ID, certificate path and key path; each channel\'s capabilities (channel, orderer, application levels) as its latest config block on a running peer has them (as weft channel info reads them), else as network.yaml records them, and which it was. ' +
    `Each node and user also shows when the soonest of its certificates (enrollment, TLS) expires, and each org's CA and TLS CA theirs: flagged when within ${EXPIRY_SOON_DAYS} days or past (renew with weft network renew; an expired CA is recovered in place with weft network renew <dir> --org <org> --ca, an expired TLS CA with --tls-ca, both with --ca --tls-ca; when every CA expired, all at once with weft network renew <dir> --all-expired).`;
  static override examples = ['<%= config.bin %> network status ./net', '<%= config.bin %> network status ./net --json'];
  static override args = { dir: Args.string({ description: 'network directory', required: true }) };
  static override flags = { channel: channelFlag };

  async run(): Promise<NetworkStatus> {
    const { args, flags } = await this.parse(NetworkStatusCommand);
    const s = await networkStatus(args.dir, flags.channel);
    const others = s.channels.filter((c) => c !== s.channel);
    this.log(`network ${s.dir}: ${s.up ? 'up' : 'not (fully) up'}, channel ${s.channel}${others.length > 0 ? ` (also: ${others.join(', ')})` : ''}, TLS ${s.tls ? (s.mutualTls ? 'on, mutual' : 'on') : 'off (peers)'}`);
    for (const c of s.capabilities) this.log(`  channel ${c.channel.padEnd(28)} ${capabilitiesText(c)}`);
    for (const n of [...s.orderers, ...s.peers]) {
      // A node on another host, or run from another org's directory, has no process here to see: only whether it answers.
      const state = !n.running ? (n.onThisMachine && n.keysHere ? 'stopped' : 'no answer') : n.healthy ? 'healthy' : 'unhealthy';
      this.log(`  ${n.kind.padEnd(7)} ${n.id.padEnd(28)} ${n.address.padEnd(16)} ${n.mspId.padEnd(11)} ${state.padEnd(9)} height ${String(n.height ?? '-').padEnd(5)} ${n.dataBytes === undefined ? '' : `data ${mebibytes(n.dataBytes).padEnd(9)} `}${expiryText(n.certificate, `weft network renew ${shellWord(args.dir)} --node ${n.id}`)}${n.snapshotBlock === undefined ? '' : ` (${snapshotStart(n.snapshotBlock)})`}${n.pausedChannels === undefined ? '' : ` (paused: ${n.pausedChannels.join(', ')})`}${n.channels === undefined ? '' : ` on ${n.channels.join(', ') || 'no channel'}`}`);
    }
    for (const u of s.users) {
      const renew = `weft network renew ${shellWord(args.dir)} --org ${u.org} --user ${u.id.slice(0, u.id.indexOf('@'))}`;
      this.log(`  user    ${u.id.padEnd(28)} ${u.mspId.padEnd(11)} ${expiryText(u.certificate, renew)}  ${u.certPath}`);
    }
    // An org whose CA and TLS CA both expired is recovered by one run naming both (each alone needs the other).
    const bothExpired = (org: string): boolean => s.cas.filter((c) => c.org === org && c.state === 'expired').length === 2;
    // Every CA ended (weft network init makes them end together): no org's Admin can carry another's update, one run recovers them all.
    const allExpired = s.cas.length > 0 && s.cas.every((c) => c.state === 'expired');
    const recover = (c: (typeof s.cas)[number]): string =>
      allExpired ? `weft network renew ${shellWord(args.dir)} --all-expired` : `weft network renew ${shellWord(args.dir)} --org ${c.org} ${bothExpired(c.org) ? '--ca --tls-ca' : ORG_CA_RENEW_FLAG[c.ca]}`;
    for (const c of s.cas) this.log(`  ${c.ca.padEnd(7)} ${c.mspId.padEnd(28)} ${expiryText(c, recover(c))}`);
    this.log(`  keys here: ${s.orgKeysHere.length > 0 ? s.orgKeysHere.join(', ') : 'none (certificates only)'}`);
    return s;
  }
}
