/** The part of a server duplex stream a {@link ReadGate} uses. */
export interface GatedStream {
  write(chunk: Uint8Array): boolean;
  once(event: 'drain', listener: () => void): unknown;
  pause(): unknown;
  resume(): unknown;
}

/**
 * Read-side flow control for a server stream that answers each message it takes. It stops reading
 * while `maxInFlight` messages are unanswered, or while an answer waits in a full write buffer
 * (the client is not reading its answers). It reads again once the answers drain and no more than
 * `resumeAt` are unanswered. While it does not read, HTTP/2 flow control holds the client back
 * instead of the node buffering without bound.
 */
export class ReadGate {
  private unanswered = 0;
  private writeBlocked = false;
  private paused = false;
  private stopped = false;

  constructor(
    private readonly stream: GatedStream,
    private readonly maxInFlight = Infinity,
    private readonly resumeAt = maxInFlight,
  ) {}

  /** Messages taken and not yet answered. */
  get inFlight(): number {
    return this.unanswered;
  }

  /** A message was taken: its answer is owed. */
  taken(): void {
    this.unanswered++;
    this.update();
  }

  /** The owed answer is settled: `answer` is written, or nothing when undefined (the stream is gone). */
  answered(answer: Uint8Array | undefined): void {
    this.unanswered--;
    if (answer !== undefined && !this.stream.write(answer) && !this.writeBlocked) {
      this.writeBlocked = true;
      this.stream.once('drain', () => {
        this.writeBlocked = false;
        this.update();
      });
    }
    this.update();
  }

  /** Stops reading for good: the node is stopping. */
  stop(): void {
    this.stopped = true;
    this.paused = true;
    this.stream.pause();
  }

  private update(): void {
    if (this.stopped) return;
    const hold = this.writeBlocked || this.unanswered >= this.maxInFlight || (this.paused && this.unanswered > this.resumeAt);
    if (hold === this.paused) return;
    this.paused = hold;
    if (hold) this.stream.pause();
    else this.stream.resume();
  }
}
