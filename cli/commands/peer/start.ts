import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';

export default class PeerStart extends WeftCommand {
  static override summary = 'Run a peer in the foreground until SIGINT or SIGTERM.';
  static override description =
    'Opens the ledgers of the channels the peer has joined, starts the Endorser, Deliver and Gateway gRPC services and the operations endpoint from the node config, and pulls blocks from the ordering service.';
  static override examples = ['<%= config.bin %> peer start --config ./net/nodes/peer0.org1.example.com/peer.yaml'];
  static override flags = {
    config: Flags.string({ char: 'c', description: 'peer YAML config file', required: true }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(PeerStart);
    const { startPeer } = await import('../../../core/peer/main');
    await startPeer(flags.config, { handleSignals: true });
    await new Promise<never>(() => undefined);
  }
}
