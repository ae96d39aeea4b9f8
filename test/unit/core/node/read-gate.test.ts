import { EventEmitter } from 'node:events';
import { describe, expect, it } from '@jest/globals';
import { ReadGate } from '../../../../core/node/read-gate';

/** A stream whose write buffer is full while `full` is set; records pause/resume. */
class FakeStream extends EventEmitter {
  full = false;
  paused = false;
  readonly written: Uint8Array[] = [];
  write(chunk: Uint8Array): boolean {
    this.written.push(chunk);
    return !this.full;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
}

const answer = Uint8Array.of(1);

describe('ReadGate', () => {
  it('stops reading at maxInFlight unanswered messages and reads again at resumeAt', () => {
    const stream = new FakeStream();
    const gate = new ReadGate(stream, 4, 2);
    for (let i = 0; i < 3; i++) gate.taken();
    expect(stream.paused).toBe(false);
    gate.taken();
    expect(stream.paused).toBe(true);
    gate.answered(answer);
    expect(stream.paused).toBe(true); // 3 unanswered, above resumeAt
    gate.answered(answer);
    expect(stream.paused).toBe(false);
    expect(gate.inFlight).toBe(2);
    expect(stream.written).toHaveLength(2);
  });

  it('stops reading while an answer waits in a full write buffer, until it drains', () => {
    const stream = new FakeStream();
    const gate = new ReadGate(stream);
    gate.taken();
    gate.taken();
    stream.full = true;
    gate.answered(answer);
    expect(stream.paused).toBe(true);
    gate.answered(undefined); // a stream gone: nothing written
    expect(stream.written).toHaveLength(1);
    expect(stream.paused).toBe(true);
    stream.full = false;
    stream.emit('drain');
    expect(stream.paused).toBe(false);
  });

  it('never reads again once stopped', () => {
    const stream = new FakeStream();
    const gate = new ReadGate(stream, 1);
    gate.taken();
    gate.stop();
    gate.answered(answer);
    expect(stream.paused).toBe(true);
    expect(gate.inFlight).toBe(0);
  });
});
