import { answerDeadline, untilDeadline } from '../../../../../core/peer/gateway/answer-deadline';

describe('answering before the client deadline', () => {
  it('keeps a twentieth of the time the call had, at most a second, and nothing from a call with no deadline', () => {
    expect(answerDeadline(Number.POSITIVE_INFINITY, 5_000)).toBe(Number.POSITIVE_INFINITY);
    expect(answerDeadline(32_000, 2_000)).toBe(31_000);
    expect(answerDeadline(4_000, 2_000)).toBe(3_900);
    // A deadline already past is answered at once.
    expect(answerDeadline(1_000, 2_000)).toBe(1_000);
  });

  it("gives the attempt's result when it comes first", async () => {
    await expect(untilDeadline(Date.now() + 60_000, undefined, () => Promise.resolve('answer'))).resolves.toBe('answer');
    await expect(untilDeadline(Number.POSITIVE_INFINITY, undefined, () => Promise.resolve('answer'))).resolves.toBe('answer');
  });

  it("gives undefined at the deadline and aborts the attempt's signal, which the client's signal aborts too", async () => {
    let seen: AbortSignal | undefined;
    const never = (s: AbortSignal): Promise<string> => {
      seen = s;
      return new Promise(() => undefined);
    };
    await expect(untilDeadline(Date.now() + 20, undefined, never)).resolves.toBeUndefined();
    expect(seen?.aborted).toBe(true);

    const client = new AbortController();
    const answered = untilDeadline(Date.now() + 60_000, client.signal, (s) => new Promise<string>((resolve) => s.addEventListener('abort', () => resolve('cancelled'))));
    client.abort();
    await expect(answered).resolves.toBe('cancelled');
  });
});
