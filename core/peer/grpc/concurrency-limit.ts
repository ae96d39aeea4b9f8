import * as grpc from '@grpc/grpc-js';

/**
 * Fabric's `peer.limits.concurrency`: at most `limit` calls (a stream counts as one for its whole
 * life) of one gRPC service at a time; beyond that a call fails at once with Fabric's message.
 * 0 means no limit.
 */
export class ConcurrencyLimit {
  private inFlight = 0;

  constructor(
    /** The service path, e.g. `/protos.Endorser`, as Fabric names it in the error. */
    readonly service: string,
    readonly limit: number,
    /** Told of each refused call (the peer logs it, as Fabric does). */
    private readonly onRefused: (limit: ConcurrencyLimit) => void = () => undefined,
  ) {}

  /** A slot's release function (idempotent), or undefined with the call to refuse. */
  tryAcquire(): (() => void) | undefined {
    if (this.limit > 0 && this.inFlight >= this.limit) {
      this.onRefused(this);
      return undefined;
    }
    this.inFlight++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight--;
    };
  }

  /** The status a refused call ends with (Fabric returns a plain error: gRPC UNKNOWN). */
  refusal(): Partial<grpc.ServiceError> {
    return { code: grpc.status.UNKNOWN, details: `too many requests for ${this.service}, exceeding concurrency limit (${this.limit})` };
  }

  /** Wraps a unary handler: refused when full, the slot held until the answer is sent. */
  unary<Req, Res>(handler: grpc.handleUnaryCall<Req, Res>): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      const release = this.tryAcquire();
      if (release === undefined) {
        callback(this.refusal());
        return;
      }
      handler(call, (err, value, trailer, flags) => {
        release();
        callback(err, value, trailer, flags);
      });
    };
  }

  /** Wraps a streaming handler: refused when full, the slot held until the stream closes. */
  stream<Call extends grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>>(handler: (call: Call) => void): (call: Call) => void {
    return (call) => {
      const release = this.tryAcquire();
      if (release === undefined) {
        call.emit('error', this.refusal());
        return;
      }
      for (const event of ['close', 'finish', 'cancelled', 'error']) call.once(event, release);
      handler(call);
    };
  }
}
