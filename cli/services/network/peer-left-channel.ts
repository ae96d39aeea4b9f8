import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { channelPeerIds, withChannelPeers } from './channel-peers';
import { renderNetworkFile, replaceNetworkFile } from './network-channels';
import { loadNetworkSpec, NETWORK_FILE, peerIdOf } from './network-spec';
import { shellWord } from '../../../core/node/shell-word';

/** What `weft peer unjoin` does to network.yaml once the ledger is gone: `record` writes it (undefined when nothing changes), `note` says what. */
export interface LeavingRecord {
  readonly record?: () => void;
  readonly note: string;
}

/**
 * For a peer of a network directory (its config at `<dir>/nodes/<peer id>/peer.yaml`, as network
 * init and add-peer write it): network.yaml without the peer on `channel`, so that `weft network
 * up` does not join it again, as Fabric's operator who unjoined a peer expects. Read before the
 * ledger is touched, so that an unreadable network.yaml refuses first. Undefined for a config
 * elsewhere (a peer started by hand) or a channel network.yaml does not put the peer on. An org's
 * last peer on the channel stays listed (each member org keeps one): the note says `up` joins it.
 */
export function planLeaving(configFile: string, channel: string): LeavingRecord | undefined {
  const nodeDir = path.dirname(path.resolve(configFile));
  const dir = path.dirname(path.dirname(nodeDir));
  if (path.basename(path.dirname(nodeDir)) !== 'nodes' || !fs.existsSync(path.join(dir, NETWORK_FILE))) return undefined;
  const id = path.basename(nodeDir);
  const spec = loadNetworkSpec(dir);
  const entry = [spec.channel, ...spec.otherChannels].find((c) => c.name === channel);
  const org = spec.orgs.find((o) => o.peers.some((p) => peerIdOf(o, p) === id));
  const onChannel = entry === undefined ? [] : channelPeerIds(spec, entry);
  if (org === undefined || !onChannel.includes(id)) return undefined;
  const othersOfOrg = org.peers.map((p) => peerIdOf(org, p)).filter((p) => p !== id && onChannel.includes(p));
  if (othersOfOrg.length === 0) {
    return {
      note: `${id} is ${org.name}'s last peer on ${channel} in ${path.join(dir, NETWORK_FILE)}, which keeps it listed (each member org keeps one peer on a channel): weft network up joins it again. To keep ${org.name} off ${channel}, join another of its peers first (weft channel join ${shellWord(dir)} ${shellWord(path.join(dir, 'channel-artifacts', `${channel}.block`))} --peer <id>), or remove ${org.name} from the channel (weft channel update --remove-org)`,
    };
  }
  const next = withChannelPeers(spec, channel, { remove: [id] });
  if (isDeepStrictEqual(next, spec)) return undefined;
  const { text } = renderNetworkFile(next);
  return { record: () => replaceNetworkFile(dir, text), note: `${path.join(dir, NETWORK_FILE)}: ${id} no longer listed on ${channel} (weft network up leaves it off; weft channel join <dir> <block> --peer ${id} joins it again)` };
}
