import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChaincodeEvent, Checkpointer } from '@hyperledger/fabric-gateway';
import { ConfigError } from '../../../core/errors';
import { replaceFile } from '../../../core/node/durable-files';

/** Which stream a checkpoint belongs to: the gateway client's state means different things for each. */
export interface CheckpointScope {
  /** `chaincode`: the last event's block and transaction; `block`: the next block to read. */
  readonly stream: 'chaincode' | 'block';
  readonly channel: string;
  /** For `chaincode` streams. */
  readonly chaincode?: string;
}

/** What fabric-gateway's file checkpointer keeps: no channel, no chaincode, so Weft's header sits beside it. */
export interface CheckpointState {
  readonly blockNumber?: bigint;
  readonly transactionId?: string;
}

export const CHECKPOINT_HEADER_FORMAT = 'weft-events-checkpoint/1';

/** The header file beside a checkpoint file. */
export function checkpointHeaderPath(file: string): string {
  return `${file}.header.json`;
}

const FIELD = '--checkpoint';

function corrupt(file: string, what: string): ConfigError {
  return new ConfigError('CHECKPOINT_CORRUPT', `${FIELD} ${file}: ${what}`, {
    field: FIELD,
    file,
    suggestions: ['it was not written by weft chaincode events / weft block events, or was cut short: delete it to start over (events from --start-block, or from now)'],
  });
}

/**
 * The state file's text as the gateway client wrote it (`{"blockNumber":"12","transactionId":"…"}`);
 * empty text is no state. Throws CHECKPOINT_CORRUPT for anything else, which the client would
 * otherwise take for a start position or fail on with a bare SyntaxError.
 */
export function parseCheckpointState(text: string, file: string): CheckpointState {
  if (text.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw corrupt(file, 'expected the JSON fabric-gateway\'s file checkpointer writes ({"blockNumber":"<n>","transactionId":"<id>"}), got text that is not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw corrupt(file, `expected a JSON object, got ${JSON.stringify(json)}`);
  const { blockNumber, transactionId } = json as Record<string, unknown>;
  if (blockNumber !== undefined && !(typeof blockNumber === 'string' && /^\d+$/.test(blockNumber))) {
    throw corrupt(file, `blockNumber must be a block number as a decimal string, got ${JSON.stringify(blockNumber)}`);
  }
  if (transactionId !== undefined && typeof transactionId !== 'string') throw corrupt(file, `transactionId must be a string, got ${JSON.stringify(transactionId)}`);
  return { ...(blockNumber !== undefined ? { blockNumber: BigInt(blockNumber) } : {}), ...(transactionId !== undefined ? { transactionId } : {}) };
}

function describeScope(s: CheckpointScope): string {
  return s.stream === 'chaincode' ? `chaincode ${s.chaincode ?? '?'} events on channel ${s.channel}` : `block events on channel ${s.channel}`;
}

/**
 * Throws unless `header` (the parsed header file) says the checkpoint is of this stream, channel
 * and chaincode: resuming another stream's position would skip or repeat events silently.
 */
export function checkCheckpointHeader(header: unknown, expected: CheckpointScope, file: string): void {
  const h = header as Partial<Record<string, unknown>> | null;
  if (typeof h !== 'object' || h === null || h.format !== CHECKPOINT_HEADER_FORMAT) {
    throw corrupt(checkpointHeaderPath(file), `expected a header {"format":"${CHECKPOINT_HEADER_FORMAT}",…}, got ${JSON.stringify(header)}`);
  }
  const found: CheckpointScope = {
    stream: h.stream as CheckpointScope['stream'],
    channel: String(h.channel),
    ...(typeof h.chaincode === 'string' ? { chaincode: h.chaincode } : {}),
  };
  const differs = (['stream', 'channel', 'chaincode'] as const).filter((k) => found[k] !== expected[k]);
  if (differs.length === 0) return;
  throw new ConfigError('CHECKPOINT_MISMATCH', `${FIELD} ${file} is a checkpoint of ${describeScope(found)}, not of ${describeScope(expected)} (${differs.join(', ')} differ${differs.length === 1 ? 's' : ''}); nothing was changed`, {
    field: FIELD,
    file,
    checkpoint: found,
    expected,
    suggestions: ['give each stream its own checkpoint file', `or run the command the checkpoint was made by (${describeScope(found)})`],
  });
}

/** Reads a file, or undefined when there is none; CHECKPOINT_UNREADABLE for any other failure. */
function readIfThere(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError('CHECKPOINT_UNREADABLE', `${FIELD} ${file} cannot be read: ${(err as Error).message}`, {
      field: FIELD,
      file,
      suggestions: ['check the file\'s permissions, or name another file'],
    });
  }
}

/** A checkpoint file checked and ready to open: nothing has been written yet. */
export interface CheckpointPlan {
  readonly file: string;
  /** The saved position, when the file holds one. */
  readonly state: CheckpointState;
  /** The state file had no Weft header (an application's fabric-gateway checkpoint): adopted for this stream. */
  readonly adopted: boolean;
  /** Writes the header (when new) and opens a checkpointer on the file, at its saved position. */
  open(): Promise<Checkpointer>;
}

/**
 * Checks `--checkpoint <file>` before anything is written: readable, of this stream (its header), a
 * state the client can resume from, a folder that can be written. The caller opens it once every
 * other check has passed, so a refused command leaves the files as they were.
 */
export function planCheckpoint(file: string, scope: CheckpointScope): CheckpointPlan {
  const absolute = path.resolve(file);
  const text = readIfThere(absolute);
  const state = text === undefined ? {} : parseCheckpointState(text, absolute);
  const headerText = readIfThere(checkpointHeaderPath(absolute));
  if (headerText !== undefined) {
    let header: unknown;
    try {
      header = JSON.parse(headerText);
    } catch {
      throw corrupt(checkpointHeaderPath(absolute), 'the header is not JSON');
    }
    checkCheckpointHeader(header, scope, absolute);
  } else if (scope.stream === 'block' && state.transactionId !== undefined) {
    // A block stream's client clears the transaction on each block: this one tracked chaincode events.
    throw new ConfigError('CHECKPOINT_MISMATCH', `${FIELD} ${absolute} holds a chaincode event position (block ${state.blockNumber}, transaction ${state.transactionId}), not a block stream's; nothing was changed`, {
      field: FIELD,
      file: absolute,
      suggestions: ['give the block stream its own checkpoint file'],
    });
  }
  const dir = path.dirname(absolute);
  try {
    fs.accessSync(dir, fs.constants.W_OK);
  } catch (err) {
    throw new ConfigError('CHECKPOINT_UNWRITABLE', `${FIELD} ${absolute}: its folder cannot be written (${(err as Error).message})`, { field: FIELD, file: absolute });
  }
  const hasState = state.blockNumber !== undefined;
  return {
    file: absolute,
    state,
    adopted: headerText === undefined && hasState,
    open: async () => {
      if (headerText === undefined) writeHeader(absolute, scope);
      return new DurableFileCheckpointer(absolute, state);
    },
  };
}

function writeHeader(file: string, scope: CheckpointScope): void {
  // Replaced whole and durably: a header cut short, or lost while the position it names was kept, would make the next run refuse the checkpoint.
  replaceFile(checkpointHeaderPath(file), `${JSON.stringify({ format: CHECKPOINT_HEADER_FORMAT, ...scope })}\n`, { durable: true });
}

/**
 * fabric-gateway's file checkpointer, in the same file format (so the client's own checkpointer and
 * an application's read what this writes, and this reads theirs), but each position is written
 * durably: beside the file, flushed, renamed over it, the folder flushed. The client's own rewrites
 * the file in place without a flush, so a command killed mid-write, or a machine that lost power,
 * left an empty or partial file (CHECKPOINT_CORRUPT) or an older position. Here, once an event's
 * position is saved it survives both; the event was printed just before, so one printed and then
 * lost to a crash before its save comes again (at least once, never lost). That costs two fsyncs
 * per event, the price of never running ahead of what was printed.
 */
export class DurableFileCheckpointer implements Checkpointer {
  #blockNumber: bigint | undefined;
  #transactionId: string | undefined;

  constructor(
    private readonly file: string,
    state: CheckpointState,
  ) {
    this.#blockNumber = state.blockNumber;
    this.#transactionId = state.transactionId;
  }

  async checkpointBlock(blockNumber: bigint): Promise<void> {
    this.#blockNumber = blockNumber + 1n;
    this.#transactionId = undefined;
    this.save();
  }

  async checkpointTransaction(blockNumber: bigint, transactionId: string): Promise<void> {
    this.#blockNumber = blockNumber;
    this.#transactionId = transactionId;
    this.save();
  }

  async checkpointChaincodeEvent(event: ChaincodeEvent): Promise<void> {
    await this.checkpointTransaction(event.blockNumber, event.transactionId);
  }

  getBlockNumber(): bigint | undefined {
    return this.#blockNumber;
  }

  getTransactionId(): string | undefined {
    return this.#transactionId;
  }

  private save(): void {
    replaceFile(this.file, JSON.stringify({ blockNumber: this.#blockNumber?.toString(), transactionId: this.#transactionId }), { durable: true });
  }
}
