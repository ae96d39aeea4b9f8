import { Writable } from 'node:stream';
import pino from 'pino';

/** A pino logger whose entries land, parsed, in `lines`: for tests that assert what a component logs. */
export function capturedLog(): { base: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { base: pino(stream), lines };
}
