import pino, { type Logger } from 'pino';
import { LogSpec } from './log-spec';

export type { Logger } from 'pino';

/**
 * Log entries written by this process, per level name (pino's: trace … fatal), for Fabric's
 * `logging_entries_checked` / `logging_entries_written`. Counted in pino's `logMethod` hook, which
 * runs only for levels that are on, so a quiet node pays nothing for it.
 */
export const logEntriesWritten = new Map<string, number>();

/** The pino hooks that count into {@link logEntriesWritten}; every logger of a node is made with them. */
export const countingLogEntries: pino.LoggerOptions['hooks'] = {
  logMethod(args, method, level) {
    const name = pino.levels.labels[level] ?? String(level);
    logEntriesWritten.set(name, (logEntriesWritten.get(name) ?? 0) + 1);
    method.apply(this, args);
  },
};

/**
 * The process-wide root logger: structured JSON on stderr, `warn` by default so a healthy node is
 * quiet. `WEFT_LOG_LEVEL` sets its level; a node's loggers are its children, each levelled by the
 * node's {@link NodeLogging}. Fields that can hold secrets are redacted wherever they appear.
 * `time` is ISO 8601 in UTC (`2026-11-26T18:20:01.123Z`), readable next to Fabric's log lines and
 * parsed by log shippers as it is, where pino's default, epoch milliseconds, cannot be read at a glance.
 * It costs about half a microsecond per entry written, nothing for one a level drops.
 */
export const rootLogger: Logger = pino(
  {
    name: 'weft',
    level: process.env.WEFT_LOG_LEVEL ?? 'warn',
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['privateKey', '*.privateKey', 'key', '*.key', 'password', '*.password', 'secret', '*.secret'],
      censor: '[redacted]',
    },
    hooks: countingLogEntries,
  },
  pino.destination(2),
);

/** DI token of the node's {@link NodeLogging}: a plugin makes its loggers there, so the node's spec governs them. */
export const NodeLoggingToken = Symbol('NodeLogging');

/**
 * One node's named loggers under one logging spec. Every logger a node makes comes from here, named
 * as Fabric names its counterpart (`committer`, `peer.blocksprovider`, `orderer.common.broadcast`),
 * so a Fabric operator's spec (`info:committer=debug`) means the same on a Weft node. The name is the
 * `component` field of each entry. {@link NodeLogging.activate} re-levels every logger made so far;
 * two nodes in one process keep separate specs.
 */
export class NodeLogging {
  private current: LogSpec;
  private readonly made: { readonly name: string; readonly logger: WeakRef<Logger> }[] = [];

  /** `spec` is a Fabric logging spec (see {@link LogSpec}); throws `LOG_SPEC_INVALID` if it does not parse. */
  constructor(
    spec: string,
    private readonly bindings: Record<string, unknown> = {},
    /** Where entries go: the process's root logger (stderr), or another pino logger whose children these are. */
    private readonly base: Logger = rootLogger,
  ) {
    this.current = LogSpec.parse(spec);
  }

  /** The normalized active spec. */
  get spec(): string {
    return this.current.toString();
  }

  /** The logger named `name`, at the level the active spec gives that name. */
  logger(name: string, bindings: Record<string, unknown> = {}): Logger {
    const logger = this.base.child({ component: name, ...this.bindings, ...bindings });
    logger.level = this.current.levelFor(name);
    this.made.push({ name, logger: new WeakRef(logger) });
    return logger;
  }

  /** Replaces the spec; throws `LOG_SPEC_INVALID` (and changes nothing) if it does not parse. */
  activate(spec: string): void {
    const next = LogSpec.parse(spec);
    this.current = next;
    let kept = 0;
    for (const entry of this.made) {
      const logger = entry.logger.deref();
      if (logger === undefined) continue;
      logger.level = next.levelFor(entry.name);
      this.made[kept++] = entry;
    }
    this.made.length = kept;
  }
}
