import { startPeer } from '../../../core/peer/main';
import { WeftCommand } from '../../base-command';
import { peerConfigFlag } from '../../common-flags';

export default class PeerStart extends WeftCommand {
  static override summary = 'Run a peer in the foreground from its YAML config (Ctrl-C stops it cleanly).';
  static override description = '`weft network up` starts every node of a network in the background; this runs one node by hand, e.g. with a custom plugin in its config.';
  static override examples = ['<%= config.bin %> peer start --config ./net/nodes/peer0.org1.example.com/peer.yaml'];
  static override flags = { config: peerConfigFlag };

  async run(): Promise<void> {
    const { flags } = await this.parse(PeerStart);
    const node = await startPeer(flags.config);
    this.log(`peer ${node.config.node.id} listening on port ${node.port}${node.operationsAddress() ? `, operations ${node.operationsAddress()}` : ''}`);
    await new Promise<never>(() => {});
  }
}
