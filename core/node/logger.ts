import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

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
  },
  pino.destination(2),
);

/** A child logger for one subsystem (`orderer.broadcast`, `ledger.sqlite`, …). */
export function loggerFor(component: string, bindings: Record<string, unknown> = {}): Logger {
  return rootLogger.child({ component, ...bindings });
}
