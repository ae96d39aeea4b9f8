import { ConfigError } from '../errors';

/** The pino levels a spec resolves to. */
export type LogLevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/**
 * Level names a spec may use: Fabric's (`flogging.NameToLevel`, folded onto pino's levels, so
 * `payload` is `trace`, `dpanic`/`critical` are `error`, `panic` is `fatal`, `notice` is `info`)
 * plus pino's `trace` and `silent`.
 */
const LEVEL_NAMES: Readonly<Record<string, LogLevelName>> = {
  payload: 'trace',
  trace: 'trace',
  debug: 'debug',
  info: 'info',
  notice: 'info',
  warn: 'warn',
  warning: 'warn',
  error: 'error',
  critical: 'error',
  dpanic: 'error',
  panic: 'fatal',
  fatal: 'fatal',
  silent: 'silent',
};

/** The level of every logger a spec does not name: Weft nodes are quiet by default. */
export const DEFAULT_LOG_LEVEL: LogLevelName = 'warn';

/** Fabric's logger name rule (`flogging.isValidLoggerName`): dot-separated words of letters, digits, `_#:-`. */
const LOGGER_NAME = /^[A-Za-z0-9_#:-]+(\.[A-Za-z0-9_#:-]+)*$/;

/**
 * A parsed Fabric logging spec, `[<logger>[,<logger>...]=]<level>[:[<logger>[,<logger>...]=]<level>...]`
 * (`FABRIC_LOGGING_SPEC`, `PUT /logspec`). A logger takes the level of the longest dot-prefix of
 * its name the spec lists (`gossip=debug` covers `gossip.state`); a name listed with a trailing dot
 * (`gossip.=debug`) covers that logger only. Unlisted loggers take the bare level, or `warn` when
 * the spec has none (Fabric's default is `info`; Weft is quiet unless asked).
 */
export class LogSpec {
  private constructor(
    readonly defaultLevel: LogLevelName,
    private readonly levels: ReadonlyMap<string, LogLevelName>,
  ) {}

  /** Throws {@link ConfigError} `LOG_SPEC_INVALID` naming the segment that is wrong. */
  static parse(spec: string): LogSpec {
    const fail = (what: string, segment: string): never => {
      throw new ConfigError('LOG_SPEC_INVALID', `invalid logging spec ${JSON.stringify(spec)}: ${what} in segment ${JSON.stringify(segment)}`, {
        spec,
        segment,
      });
    };
    let defaultLevel = DEFAULT_LOG_LEVEL;
    const levels = new Map<string, LogLevelName>();
    for (const segment of spec.trim().split(':')) {
      if (segment === '') continue;
      const parts = segment.split('=');
      if (parts.length > 2) fail("more than one '='", segment);
      const level = LEVEL_NAMES[parts[parts.length - 1]!.trim().toLowerCase()];
      if (level === undefined) fail(`unknown level (use one of ${Object.keys(LEVEL_NAMES).join(', ')})`, segment);
      if (parts.length === 1) {
        defaultLevel = level!;
        continue;
      }
      if (parts[0]!.trim() === '') fail('no logger named before the level', segment);
      for (const name of parts[0]!.split(',').map((n) => n.trim())) {
        if (!LOGGER_NAME.test(name.endsWith('.') ? name.slice(0, -1) : name)) fail(`bad logger name ${JSON.stringify(name)}`, segment);
        levels.set(name, level!);
      }
    }
    return new LogSpec(defaultLevel, levels);
  }

  /** The level of the logger named `name` (as Fabric's `LoggerLevels.calculateLevel`). */
  levelFor(name: string): LogLevelName {
    let candidate = `${name}.`;
    for (;;) {
      const level = this.levels.get(candidate);
      if (level !== undefined) return level;
      const dot = candidate.lastIndexOf('.');
      if (dot <= 0) return this.defaultLevel;
      candidate = candidate.slice(0, dot);
    }
  }

  /** The normalized spec, as Fabric's `GET /logspec` shows it: `name=level` entries sorted, then the bare level. */
  toString(): string {
    return [...[...this.levels].map(([name, level]) => `${name}=${level}`).sort(), this.defaultLevel].join(':');
  }
}

/** A zod refinement message for a config field that holds a spec, or undefined when it parses. */
export function logSpecProblem(spec: string): string | undefined {
  try {
    LogSpec.parse(spec);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
