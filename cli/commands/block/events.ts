import { Flags } from '@oclif/core';
import { ConfigError } from '../../../core/errors';
import { WeftCommand } from '../../base-command';
import { channelFlag, eventWatchFlags, networkDirArg } from '../../common-flags';
import { blockPeer } from '../../services/block/block-source';
import { blockSummaryLines } from '../../services/events/block-summary';
import { watchBlockEvents } from '../../services/events/block-event-watch';
import { planCheckpoint } from '../../services/events/events-checkpoint';
import { watchTimeoutMs } from '../../services/events/watch-start';
import { untilInterrupted, watchSummary } from '../../services/events/watch-summary';
import { openNetwork } from '../../services/network/network-access';

export default class BlockEvents extends WeftCommand {
  static override summary = "Print each block of a channel as it commits: number, hash, and each transaction's id, type and validation code, until --count, --timeout or Ctrl-C.";
  static override description =
    "Full blocks come from the peer's Deliver service, decoded as weft block show decodes them; --filtered reads Fabric's filtered blocks (DeliverFiltered: ids, types and codes, no header, so no hash). " +
    'With --json, one JSON object per block and per line (JSON Lines), printed as it comes; progress and the final count go to stderr. ' +
    'With --checkpoint <file> a later run resumes at the block after the last one printed; if the peer goes away (a restart), the command reconnects with backoff and resumes: no block twice, none lost.';
  static override examples = [
    '<%= config.bin %> block events ./net',
    '<%= config.bin %> block events ./net --start-block 0 --count 5 --json',
    '<%= config.bin %> block events ./net --filtered --start-block newest --checkpoint ./blocks.checkpoint',
  ];
  static override jsonLines = true;
  static override args = { dir: networkDirArg };
  static override flags = {
    channel: channelFlag,
    peer: Flags.string({ description: 'peer to read from (its id; default the first peer of the first org whose keys are here)' }),
    'start-block': Flags.string({ description: 'first block: a number or newest (default: the next block to commit); a checkpoint with a position wins' }),
    filtered: Flags.boolean({ description: "Fabric's filtered blocks (DeliverFiltered): transaction ids, types and validation codes only", default: false }),
    ...eventWatchFlags,
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(BlockEvents);
    const layout = openNetwork(args.dir).forChannel(flags.channel);
    const peer = blockPeer(layout, flags.peer);
    const startBlock = parseStartBlock(flags['start-block']);
    const timeoutMs = watchTimeoutMs(flags.timeout);
    const checkpoint = flags.checkpoint === undefined ? undefined : planCheckpoint(flags.checkpoint, { stream: 'block', channel: layout.spec.channel.name });
    const json = this.jsonEnabled();
    const result = await untilInterrupted((interrupt) =>
      watchBlockEvents(layout, {
        peer,
        startBlock,
        filtered: flags.filtered,
        checkpoint,
        count: flags.count,
        timeoutMs,
        interrupt,
        progress: (m) => this.progress(m),
        warning: (m) => this.warning(m),
        emit: (b) => process.stdout.write(`${json ? JSON.stringify(b) : blockSummaryLines(b).join('\n')}\n`),
      }),
    );
    this.progress(watchSummary(result, { one: 'block', many: 'blocks' }, flags));
  }
}

function parseStartBlock(text: string | undefined): number | 'newest' | undefined {
  if (text === undefined || text === 'newest') return text;
  if (/^\d+$/.test(text) && Number.isSafeInteger(Number(text))) return Number(text);
  throw new ConfigError('BAD_START_BLOCK', `--start-block ${text}: expected a block number or newest`, { field: '--start-block', value: text });
}
