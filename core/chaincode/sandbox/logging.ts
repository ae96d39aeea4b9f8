/**
 * Chaincode logging inside the sandbox: `console.*`, fabric-shim's `newLogger` and
 * fabric-contract-api's `ctx.logging` all end in the host's `log`, which writes to the peer's log
 * as a Fabric peer writes a chaincode container's output. Entries below the invocation's threshold
 * never cross the boundary. Logging changes nothing the transaction returns or writes.
 */
import { cutLogText, MAX_LOG_MESSAGE_CHARS } from '../host-api';
import { format } from './format';
import { host } from './host';

/** The host's level names, lowest first (`CHAINCODE_LOG_LEVELS`). */
const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
const DEBUG = 0;
const INFO = 1;
const WARN = 2;
const ERROR = 3;

/**
 * Off until a transaction sets it, unless the runtime asks for what module-level code logs while
 * loading (a runtime that does not leaves no such global, and those entries are dropped).
 */
let threshold: number = loadThreshold();

function loadThreshold(): number {
  const g = globalThis as { __weftLoadLogLevel?: unknown };
  const level = g.__weftLoadLogLevel;
  delete g.__weftLoadLogLevel;
  return typeof level === 'number' ? level : LEVELS.length;
}

/** Called at dispatch with the invocation's `logLevel`. */
export function beginLogging(level: number): void {
  threshold = typeof level === 'number' ? level : LEVELS.length;
}

function emit(level: number, logger: string, args: unknown[]): void {
  if (level < threshold) return;
  let message: string;
  try {
    message = format(...(args as [unknown, ...unknown[]]));
  } catch {
    message = '[log arguments that cannot be formatted]';
  }
  host().log(LEVELS[level]!, logger, cutLogText(message, MAX_LOG_MESSAGE_CHARS));
}

/**
 * The sandbox's `console`: Node's methods, each writing one entry under the logger `console`.
 * Timers and counters would need a clock or state across calls, so they do nothing.
 */
export function chaincodeConsole(): Record<string, (...args: unknown[]) => void> {
  const at =
    (level: number) =>
    (...args: unknown[]): void =>
      emit(level, 'console', args);
  const nothing = (): void => undefined;
  return {
    log: at(INFO),
    info: at(INFO),
    debug: at(DEBUG),
    trace: at(DEBUG),
    warn: at(WARN),
    error: at(ERROR),
    dir: at(INFO),
    dirxml: at(INFO),
    table: at(INFO),
    assert: (condition?: unknown, ...args: unknown[]) => {
      if (!condition) emit(ERROR, 'console', ['Assertion failed', ...args]);
    },
    group: at(INFO),
    groupCollapsed: at(INFO),
    groupEnd: nothing,
    time: nothing,
    timeEnd: nothing,
    timeLog: nothing,
    count: nothing,
    countReset: nothing,
  };
}

/** winston's npm levels, most severe first, onto the host's. */
const WINSTON: Readonly<Record<string, readonly [rank: number, level: number]>> = {
  error: [0, ERROR],
  warn: [1, WARN],
  info: [2, INFO],
  http: [3, DEBUG],
  verbose: [4, DEBUG],
  debug: [5, DEBUG],
  silly: [6, DEBUG],
};

function winstonEntry(level: unknown): readonly [rank: number, level: number] | undefined {
  return typeof level === 'string' && Object.hasOwn(WINSTON, level) ? WINSTON[level] : undefined;
}

/** Fabric's level names onto winston's, as fabric-shim's `levelMapping` (anything else is `info`). */
function winstonLevel(level: unknown): string {
  switch (typeof level === 'string' ? level.toUpperCase() : '') {
    case 'CRITICAL':
    case 'ERROR':
      return 'error';
    case 'WARNING':
      return 'warn';
    case 'DEBUG':
      return 'debug';
    default:
      return 'info';
  }
}

/**
 * The logger fabric-shim's `newLogger` and fabric-contract-api's `ctx.logging.getLogger` return:
 * winston's level methods and its `level` (default `info`) filtering them, as in a chaincode
 * process; the peer's logging spec then decides what reaches its log.
 */
export class ChaincodeLogger {
  level = 'info';

  constructor(readonly name: string) {}

  error(...args: unknown[]): void {
    this.log('error', ...args);
  }
  warn(...args: unknown[]): void {
    this.log('warn', ...args);
  }
  info(...args: unknown[]): void {
    this.log('info', ...args);
  }
  verbose(...args: unknown[]): void {
    this.log('verbose', ...args);
  }
  debug(...args: unknown[]): void {
    this.log('debug', ...args);
  }
  silly(...args: unknown[]): void {
    this.log('silly', ...args);
  }

  /** winston's `logger.log(level, message, ...meta)`. */
  log(level: unknown, ...args: unknown[]): void {
    const entry = winstonEntry(level);
    const limit = (winstonEntry(this.level) ?? WINSTON.info!)[0];
    if (entry === undefined || entry[0] > limit) return;
    emit(entry[1], this.name, args);
  }
}

const loggers = new Map<string, ChaincodeLogger>();
let defaultLevel = 'info';

/** fabric-shim's `Logger.getLogger(name)`: one logger per name. */
export function getLogger(name: string): ChaincodeLogger {
  let logger = loggers.get(name);
  if (logger === undefined) {
    logger = new ChaincodeLogger(name);
    loggers.set(name, logger);
  }
  // fabric-shim resets the level on every lookup to the last `setLevel` (its environment variable).
  logger.level = defaultLevel;
  return logger;
}

/** fabric-shim's `Logger.setLevel` (`ctx.logging.setLevel`): Fabric's level names, applied to every logger, present and future. */
export function setLevel(level: unknown): void {
  defaultLevel = winstonLevel(level);
  for (const logger of loggers.values()) logger.level = defaultLevel;
}
