import * as fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChaincodeError } from '../../../core/errors';
import { gatewayPeerFor } from '../client/gateway-session';
import type { NetworkLayout, NodeLayout, UserLayout } from '../network/network-layout';

/** How much of the log's end is read: the warning was written as the block committed, moments ago. */
const TAIL_BYTES = 1 << 20;
/** Reads of the log before giving up: a peer's log write may trail its commit event by a moment. */
const TRIES = 3;
const RETRY_MS = 100;

/** The committer's `transaction invalid` warning for `txId` in the last MiB of a peer's log, or undefined. */
export function reasonInLog(logFile: string, txId: string): string | undefined {
  let text: string;
  try {
    const fd = fs.openSync(logFile, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(0, size - TAIL_BYTES);
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      text = buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return undefined; // no log here: the peer runs elsewhere
  }
  const needle = `"txId":"${txId}"`;
  for (const line of text.split('\n').reverse()) {
    if (!line.includes(needle)) continue;
    try {
      const entry = JSON.parse(line) as { msg?: unknown; reason?: unknown };
      if (entry.msg === 'transaction invalid' && typeof entry.reason === 'string') return entry.reason;
    } catch {
      // a line cut by the tail's start: not the one
    }
  }
  return undefined;
}

/**
 * Runs an invoke and, when its transaction committed as invalid (`TX_INVALID`), adds what the
 * Gateway peer's committer logged about it: the policy and the missing signature for an
 * endorsement policy failure, the key and versions for a read conflict. The validation code alone
 * gives the code's general meaning; the peer's log (at its default `warn`) has this transaction's
 * reason, and where the log is on this machine the operator need not look for it. A peer that
 * runs elsewhere, or logs only errors, leaves the error as it was.
 */
export async function withCommitterReason<T>(layout: NetworkLayout, user: UserLayout, gatewayPeer: NodeLayout | undefined, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ChaincodeError) || err.code !== 'TX_INVALID' || typeof err.details.transactionId !== 'string') throw err;
    const peer = gatewayPeer ?? gatewayPeerFor(layout, user.mspId);
    let reason: string | undefined;
    for (let i = 0; i < TRIES && reason === undefined; i++) {
      if (i > 0) await sleep(RETRY_MS);
      reason = reasonInLog(peer.logFile, err.details.transactionId);
    }
    if (reason === undefined) throw err;
    throw new ChaincodeError(err.code, `${err.message}\n  ${peer.id} logged why: ${reason}`, { ...err.details, reason, reasonFrom: peer.logFile }, { cause: err.cause });
  }
}
