import { CHAINCODE_LOG_LEVELS, type ChaincodeLog, type ChaincodeLogLevel } from './chaincode-runtime';
import { cutLogText, MAX_LOG_MESSAGE_CHARS } from './host-api';

/** Most entries one transaction may log: a chaincode looping over `console.log` must not fill the peer's disk. */
export const MAX_LOG_ENTRIES_PER_TX = 1000;
const MAX_LOGGER_NAME_CHARS = 128;
/** Room for the note the sandbox appends to a message it cut. */
const CUT_NOTE_CHARS = 64;

/** The threshold the sandbox filters at: the index of the sink's level, or past the end when it writes nothing. */
export function logThreshold(log: ChaincodeLog | undefined): number {
  const level = log?.level;
  return level === undefined ? CHAINCODE_LOG_LEVELS.length : CHAINCODE_LOG_LEVELS.indexOf(level);
}

/**
 * One transaction's chaincode log entries on their way to the peer's log: each is checked against
 * the sink's level again (the sandbox is the chaincode's own isolate), cut to size, and counted
 * against the transaction's budget. Logging never fails a transaction, so nothing here throws.
 */
export class TransactionLog {
  private written = 0;

  constructor(
    private readonly sink: ChaincodeLog | undefined,
    private readonly channelId: string,
    private readonly txId: string,
    /** Names source files in place of bundle positions in stack traces (the package's source map). */
    private readonly mapStacks: (text: string) => string = (text) => text,
  ) {}

  write(level: unknown, logger: unknown, message: unknown): void {
    const sink = this.sink;
    if (sink === undefined || this.written > MAX_LOG_ENTRIES_PER_TX) return;
    const at = CHAINCODE_LOG_LEVELS.indexOf(level as ChaincodeLogLevel);
    if (at < 0 || at < logThreshold(sink)) return;
    const entry = { channelId: this.channelId, txId: this.txId };
    if (++this.written > MAX_LOG_ENTRIES_PER_TX) {
      sink.write({ ...entry, level: 'warn', logger: 'weft', message: `chaincode wrote more than ${MAX_LOG_ENTRIES_PER_TX} log entries in this transaction; the rest are dropped` });
      return;
    }
    sink.write({ ...entry, level: CHAINCODE_LOG_LEVELS[at]!, logger: loggerName(logger), message: this.mapStacks(messageText(message)) });
  }
}

function loggerName(logger: unknown): string {
  return cutLogText(typeof logger === 'string' ? logger : 'console', MAX_LOGGER_NAME_CHARS);
}

/**
 * The sandbox cuts messages to {@link MAX_LOG_MESSAGE_CHARS} already; the note's room bounds what a
 * sandbox that did not (any bundle can call the host) could send without cutting theirs twice.
 */
function messageText(message: unknown, max = MAX_LOG_MESSAGE_CHARS + CUT_NOTE_CHARS): string {
  return cutLogText(typeof message === 'string' ? message : String(message), max);
}

/**
 * What chaincode logs while its module loads, outside any transaction (as a Fabric chaincode
 * process prints at startup): kept, at most {@link MAX_LOG_ENTRIES_PER_TX} entries, until the first
 * transaction with a log writes them there with no transaction ID. Only the first load records:
 * a restarted isolate, or strict mode's context per transaction, would repeat them.
 */
export class LoadLog {
  private readonly entries: [level: ChaincodeLogLevel, logger: string, message: string][] = [];
  private recording = true;

  get isRecording(): boolean {
    return this.recording;
  }

  record(level: unknown, logger: unknown, message: unknown): void {
    // Kept as cut as a transaction's entries would be: held until a transaction comes, maybe never.
    if (!this.recording || this.entries.length >= MAX_LOG_ENTRIES_PER_TX || !CHAINCODE_LOG_LEVELS.includes(level as ChaincodeLogLevel)) return;
    this.entries.push([level as ChaincodeLogLevel, loggerName(logger), messageText(message, MAX_LOG_MESSAGE_CHARS)]);
  }

  stopRecording(): void {
    this.recording = false;
  }

  flush(sink: ChaincodeLog | undefined, channelId: string, mapStacks?: (text: string) => string): void {
    if (sink === undefined || this.entries.length === 0) return;
    const log = new TransactionLog(sink, channelId, '', mapStacks);
    for (const [level, logger, message] of this.entries.splice(0)) log.write(level, logger, message);
  }
}
