import { Flags } from '@oclif/core';
import { WeftCommand } from '../../base-command';
import { channelFlag, eventWatchFlags, gatewayPeerFlag, nameFlag, networkDirArg, orgFlag, userFlag } from '../../common-flags';
import { resolveUser } from '../../services/client/client-identity';
import { watchChaincodeEvents } from '../../services/events/chaincode-event-watch';
import { oneLine } from '../../services/events/event-payload';
import { planCheckpoint } from '../../services/events/events-checkpoint';
import { watchTimeoutMs } from '../../services/events/watch-start';
import { untilInterrupted, watchSummary } from '../../services/events/watch-summary';
import { channelPeer, openNetwork } from '../../services/network/network-access';

export default class ChaincodeEvents extends WeftCommand {
  static override summary = "Print a chaincode's events as their transactions commit (valid transactions only, in order), until --count, --timeout or Ctrl-C.";
  static override description =
    'One line per event: block, transaction id, event name, and the payload as UTF-8 text (marked utf8) or, when it is not text, base64 (marked base64). ' +
    'With --json, one JSON object per event and per line (JSON Lines), printed as it comes; progress and the final count go to stderr. ' +
    'With --checkpoint <file> a later run resumes after the last event printed. If the peer goes away (a restart), the command reconnects with backoff ' +
    'and resumes from its position (kept in memory without --checkpoint): no event is printed twice or lost.';
  static override examples = [
    '<%= config.bin %> chaincode events ./net --name basic',
    '<%= config.bin %> chaincode events ./net --name basic --start-block 0 --count 10 --json',
    '<%= config.bin %> chaincode events ./net --name basic --checkpoint ./basic.checkpoint --timeout 1m',
  ];
  static override jsonLines = true;
  static override args = { dir: networkDirArg };
  static override flags = {
    name: nameFlag,
    channel: channelFlag,
    org: orgFlag,
    user: userFlag,
    peer: gatewayPeerFlag,
    'start-block': Flags.integer({ description: 'first block to read events from (default: the next block to commit); a checkpoint with a position wins', min: 0 }),
    ...eventWatchFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(ChaincodeEvents);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const user = resolveUser(layout, flags.org, flags.user);
    const timeoutMs = watchTimeoutMs(flags.timeout);
    const checkpoint = flags.checkpoint === undefined ? undefined : planCheckpoint(flags.checkpoint, { stream: 'chaincode', channel: layout.spec.channel.name, chaincode: flags.name });
    const json = this.jsonEnabled();
    const result = await untilInterrupted((interrupt) =>
      watchChaincodeEvents(layout, user, {
        chaincode: flags.name,
        gatewayPeer: flags.peer === undefined ? undefined : channelPeer(layout, flags.peer),
        startBlock: flags['start-block'],
        checkpoint,
        count: flags.count,
        timeoutMs,
        interrupt,
        progress: (m) => this.progress(m),
        warning: (m) => this.warning(m),
        emit: (e) => {
          const line = json ? JSON.stringify(e) : `block ${e.blockNumber} tx ${e.transactionId} ${e.eventName} ${e.payloadEncoding} ${oneLine(e.payload)}`;
          process.stdout.write(`${line}\n`);
        },
      }),
    );
    this.progress(watchSummary(result, { one: 'event', many: 'events' }, flags));
  }
}
