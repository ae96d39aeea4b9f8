import { status } from '@grpc/grpc-js';
import { NotYetCommitted, PeerUnreachable, type ResumableStream, isConnectionLoss, reconnectDelayMs, watchWithReconnect } from '../../../../../cli/services/events/reconnecting-watch';

/**
 * A ledger of numbered items served from a checkpoint, as the peer serves blocks: each open starts
 * at the checkpoint, and `drops` says after how many items of that connection it is lost.
 */
function ledger(o: { items: number; drops?: (number | Error)[]; failOpens?: number }): ResumableStream<number> & { printed: number[]; opens: number } {
  let next = 0;
  let failOpens = o.failOpens ?? 0;
  const drops = [...(o.drops ?? [])];
  const s = {
    printed: [] as number[],
    opens: 0,
    open: () => {
      s.opens++;
      if (failOpens-- > 0) return Promise.reject(new PeerUnreachable('connection refused'));
      const drop = drops.shift();
      let closed = false;
      async function* items(): AsyncGenerator<number> {
        let sent = 0;
        for (let n = next; n < o.items; n++) {
          if (closed) return;
          if (typeof drop === 'number' && sent === drop) throw Object.assign(new Error('Connection dropped'), { code: status.UNAVAILABLE });
          if (drop instanceof Error) throw drop;
          sent++;
          yield n;
        }
        // Then wait, like a stream at the head of the chain, until closed.
        // unref: a test that fails leaves no stream keeping jest alive.
        while (!closed) await new Promise((r) => setTimeout(r, 5).unref());
      }
      return Promise.resolve({ items: items(), close: () => (closed = true) });
    },
    handle: (n: number) => {
      s.printed.push(n);
      next = n + 1;
      return Promise.resolve();
    },
    position: () => `from ${next}`,
  };
  return s;
}

const quick = { delayMs: () => 1, peer: 'peer0' };

describe('watchWithReconnect', () => {
  it('resumes from the checkpoint after each loss: every item once, in order', async () => {
    const stream = ledger({ items: 10, drops: [3, 0, 4] });
    const progress: string[] = [];
    const r = await watchWithReconnect(stream, { ...quick, count: 10, progress: (m) => progress.push(m) });
    expect(stream.printed).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(r).toEqual({ seen: 10, reason: 'count', reconnects: 3 });
    expect(progress.filter((m) => m.startsWith('lost peer0 (Connection dropped): reconnecting in'))).toHaveLength(3);
    expect(progress).toContain('reconnected to peer0; from 3');
  });

  it('keeps trying while the peer refuses connections, with backoff', async () => {
    const stream = ledger({ items: 2, failOpens: 3 });
    const waits: number[] = [];
    const r = await watchWithReconnect(stream, { peer: 'peer0', count: 2, progress: () => undefined, delayMs: (n) => (waits.push(n), 1) });
    expect(r).toMatchObject({ seen: 2, reconnects: 1 });
    expect(waits).toEqual([1, 2, 3]);
    expect(stream.opens).toBe(4);
  });

  it('ends with the error a reconnect cannot fix (access denied)', async () => {
    const denied = Object.assign(new Error('Failed evaluating policy'), { code: status.PERMISSION_DENIED });
    await expect(watchWithReconnect(ledger({ items: 5, drops: [denied] }), { ...quick, progress: () => undefined })).rejects.toBe(denied);
  });

  it('stops after the timeout, or on an interrupt, between two items', async () => {
    const idle = ledger({ items: 2 });
    await expect(watchWithReconnect(idle, { ...quick, timeoutMs: 50, progress: () => undefined })).resolves.toEqual({ seen: 2, reason: 'timeout', reconnects: 0 });
    const interrupt = new AbortController();
    const stream = ledger({ items: 3 });
    const watching = watchWithReconnect(stream, { ...quick, interrupt: interrupt.signal, progress: () => undefined });
    setTimeout(() => interrupt.abort(), 30);
    await expect(watching).resolves.toEqual({ seen: 3, reason: 'interrupted', reconnects: 0 });
  });

  it('says once that it waits for a block not yet committed, and polls', async () => {
    let polls = 0;
    const stream = ledger({ items: 1 });
    const open = stream.open;
    stream.open = () => (++polls < 4 ? Promise.reject(new NotYetCommitted('peer0 has 3 blocks: waiting for block 5')) : open());
    const progress: string[] = [];
    await watchWithReconnect(stream, { ...quick, count: 1, progress: (m) => progress.push(m) });
    expect(progress).toEqual(['peer0 has 3 blocks: waiting for block 5']);
  });
});

describe('isConnectionLoss', () => {
  it('takes transport failures for a lost peer, and nothing else', () => {
    const e = (code: number | string, message = ''): Error => Object.assign(new Error(message), { code });
    for (const err of [e(status.UNAVAILABLE), e(status.CANCELLED), e(status.DEADLINE_EXCEEDED), e(status.INTERNAL, 'Received RST_STREAM with code 2'), e('PEER_UNREACHABLE'), new PeerUnreachable('x')]) {
      expect(isConnectionLoss(err)).toBe(true);
    }
    for (const err of [e(status.PERMISSION_DENIED), e(status.INVALID_ARGUMENT), e(status.NOT_FOUND), e(status.INTERNAL, 'failed to unmarshal'), new Error('bad block'), undefined]) {
      expect(isConnectionLoss(err)).toBe(false);
    }
  });

  it('backs off from 250 ms to at most 5 s', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(reconnectDelayMs)).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
  });
});

describe('watchWithReconnect, stopped while connecting', () => {
  it('does not wait on a stream it opened after the stop', async () => {
    const stream = ledger({ items: 0 });
    const open = stream.open;
    const interrupt = new AbortController();
    // The connection comes up only after Ctrl-C: the stream it opens must be closed, not read forever.
    stream.open = () => new Promise((r) => setTimeout(() => r(open()), 30));
    setTimeout(() => interrupt.abort(), 10);
    await expect(watchWithReconnect(stream, { ...quick, interrupt: interrupt.signal, progress: () => undefined })).resolves.toEqual({ seen: 0, reason: 'interrupted', reconnects: 0 });
  }, 2_000);
});
