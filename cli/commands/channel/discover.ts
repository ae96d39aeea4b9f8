import { Flags } from '@oclif/core';
import { ConfigError } from '../../../core/errors';
import { WeftCommand } from '../../base-command';
import { channelFlag, networkDirArg, orgFlag, userFlag } from '../../common-flags';
import { loadClientIdentity, resolveUser } from '../../services/client/client-identity';
import { gatewayPeerFor } from '../../services/client/gateway-session';
import { type ChannelDiscovery, type DiscoveredPeerInfo, discoverChannel } from '../../services/network/channel-discovery';
import { openNetwork } from '../../services/network/network-access';

export default class ChannelDiscover extends WeftCommand {
  static override summary = "Ask a peer's service discovery what it knows of a channel: orderers, peers (height, chaincodes) and, for a chaincode, who can endorse.";
  static override description =
    'What an SDK with discovery on (fabric-network, the Java and Go SDKs) learns from the peer, as Fabric\'s `discover` tool shows it. ' +
    'With --chaincode, the endorsement layouts: each is one way to satisfy every policy involved, as a number of peers from each group.';
  static override examples = [
    '<%= config.bin %> channel discover ./net',
    '<%= config.bin %> channel discover ./net --chaincode basic --json',
    '<%= config.bin %> channel discover ./net --chaincode private:assetCollection --peer peer0.org2.example.com',
  ];
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    org: orgFlag,
    user: userFlag,
    peer: Flags.string({ description: "peer to ask (default: the acting org's first peer)" }),
    chaincode: Flags.string({
      description: 'chaincode to find endorsers for, as name or name:collection,collection (repeat for a chain of chaincode calls)',
      multiple: true,
      multipleNonGreedy: true,
    }),
  };

  async run(): Promise<ChannelDiscovery> {
    const { args, flags } = await this.parse(ChannelDiscover);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const identity = loadClientIdentity(resolveUser(layout, flags.org, flags.user));
    const peer = flags.peer === undefined ? gatewayPeerFor(layout, identity.user.mspId) : layout.peers().find((p) => p.id === flags.peer);
    if (peer === undefined) {
      throw new ConfigError('UNKNOWN_PEER', `the network has no peer ${flags.peer}; it has ${layout.peers().map((p) => p.id).join(', ')}`, { peer: flags.peer });
    }
    const chaincodes = (flags.chaincode ?? []).map((c) => {
      const [name = '', colls] = c.split(':', 2);
      return { name, collections: colls === undefined ? [] : colls.split(',').filter((x) => x !== '') };
    });
    const found = await discoverChannel(layout, peer, identity, layout.spec.channel.name, chaincodes);
    this.log(`channel ${found.channel}, as ${peer.id} sees it:`);
    for (const [mspId, endpoints] of Object.entries(found.orderers)) this.log(`  orderers of ${mspId}: ${endpoints.join(', ') || '(none)'}`);
    this.log('  peers:');
    for (const p of found.peers) this.log(`    ${describe(p)}`);
    if (found.endorsers !== undefined) {
      this.log(`  endorsers of ${found.endorsers.chaincodes.join(' → ')}, any one of:`);
      for (const l of found.endorsers.layouts) {
        const parts = Object.entries(l).map(([group, n]) => `${n} of ${[...new Set((found.endorsers?.groups[group] ?? []).map((p) => p.mspId))].join('/')} [${group}]`);
        this.log(`    ${parts.join(' + ')}`);
      }
      for (const [group, peers] of Object.entries(found.endorsers.groups)) this.log(`    ${group}: ${peers.map((p) => p.endpoint).join(', ')}`);
    }
    return found;
  }
}

function describe(p: DiscoveredPeerInfo): string {
  const state = p.ledgerHeight === undefined ? '' : `  height ${p.ledgerHeight}  ${p.chaincodes?.join(', ') || '(no chaincode)'}`;
  return `${p.mspId.padEnd(10)} ${p.endpoint.padEnd(22)}${state}`;
}
