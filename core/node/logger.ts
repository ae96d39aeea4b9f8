import pino, { type Logger } from 'pino';

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
 * quiet. `WEFT_LOG_LEVEL` overrides the default; `/logspec` changes it at run time. Fields that can
 * hold secrets are redacted wherever they appear.
 */
export const rootLogger: Logger = pino(
  {
    name: 'weft',
    level: process.env.WEFT_LOG_LEVEL ?? 'warn',
    redact: {
      paths: ['privateKey', '*.privateKey', 'key', '*.key', 'password', '*.password', 'secret', '*.secret'],
      censor: '[redacted]',
    },
    hooks: countingLogEntries,
  },
  pino.destination(2),
);

/** A child logger for one subsystem (`orderer.broadcast`, `ledger.sqlite`, …). */
export function loggerFor(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
