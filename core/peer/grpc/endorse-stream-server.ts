import * as grpc from '@grpc/grpc-js';
import { wireErrorText } from '../../errors';
import type { OpenStreams } from '../../node/grpc-shutdown';
import type { Logger } from '../../node/logger';
import { ReadGate } from '../../node/read-gate';
import type { Endorser } from '../endorser/endorser';
import { ENDORSE_CANCEL_HEADER, decodeEndorseRequest, encodeEndorseFrame } from './endorse-stream-frame';

/** A `weft.peer.EndorserStream` call as the peer's gRPC server receives it: raw frames in, encoded frames out. */
export type EndorseStream = grpc.ServerDuplexStream<Buffer, Uint8Array>;

/**
 * Proposals from another Weft peer's gateway, answered as they complete (possibly out of order).
 * A frame that does not decode ends the stream with INVALID_ARGUMENT: the sender is broken. A
 * cancel frame aborts its proposal's signal, as PeerGrpcServer's `clientWait` does for a unary
 * call: still queued for a sandbox, it leaves the queue unrun; running, it finishes and its answer
 * goes back (the sender drops it). The stream's initial metadata announces that cancel frames are
 * taken.
 *
 * The stream stops reading while `maxInFlight` proposals are in flight or while its answers are
 * not being read (a write buffered past the stream's high-water mark), so HTTP/2 flow control
 * holds the sender back instead of this peer buffering answers without bound.
 */
export function serveEndorseStream(call: EndorseStream, maxInFlight: number, endorser: Pick<Endorser, 'processProposal'>, streams: OpenStreams, logger: Logger): void {
  let closed = false;
  let ended = false;
  const gate = new ReadGate(call, maxInFlight);
  const finish = (): void => {
    if (ended && gate.inFlight === 0 && !closed) {
      closed = true;
      call.end();
    }
  };
  // Each proposal in flight, by frame id: aborted by its cancel frame, or all of them once the stream is gone.
  const inFlight = new Map<number, AbortController>();
  const close = (): void => {
    if (closed && inFlight.size === 0) return;
    closed = true;
    const gone = new Error('the endorsing stream was closed');
    for (const ac of inFlight.values()) ac.abort(gone);
  };
  call.on('cancelled', close);
  call.on('error', close);
  const announce = new grpc.Metadata();
  announce.set(ENDORSE_CANCEL_HEADER, '1');
  call.sendMetadata(announce);
  streams.track(call, () => {
    ended = true;
    finish();
  });
  call.on('data', (req: Buffer) => {
    if (closed) return; // its answer could not be sent
    let frame;
    try {
      frame = decodeEndorseRequest(req);
    } catch (err) {
      if (!closed) {
        closed = true;
        call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: wireErrorText((err as Error).message) });
      }
      return;
    }
    if ('cancel' in frame) {
      // Unknown: answered already (the answer crossed the cancel), or never sent.
      inFlight.get(frame.id)?.abort(new Error('the gateway that sent it cancelled the proposal: its client stopped waiting'));
      return;
    }
    gate.taken();
    const { id, body } = frame;
    const ac = new AbortController();
    // A sender reusing an id in flight loses the first one's cancel: it is the sender's bug, not this peer's.
    inFlight.set(id, ac);
    const done = (): void => {
      if (inFlight.get(id) === ac) inFlight.delete(id);
    };
    endorser.processProposal(body, { signal: ac.signal }).then(
      (res) => {
        done();
        gate.answered(closed ? undefined : encodeEndorseFrame(id, res));
        finish();
      },
      (err: unknown) => {
        done();
        // The endorser answers every failure; a throw here is a bug, and the caller's deadline ends its wait.
        logger.error({ err }, 'endorser threw instead of answering a proposal');
        gate.answered(undefined);
        finish();
      },
    );
  });
  call.on('end', () => {
    ended = true;
    finish();
  });
}
