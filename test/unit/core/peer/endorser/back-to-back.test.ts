import { BackToBack } from '../../../../../core/peer/endorser/back-to-back';

describe('BackToBack', () => {
  it('runs the jobs of one turn in order, one at a time, and settles them after the last', async () => {
    const b = new BackToBack();
    const log: string[] = [];
    const job = (name: string, fail = false) => async (): Promise<string> => {
      log.push(`start ${name}`);
      await Promise.resolve();
      log.push(`end ${name}`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
    const settled = [b.run(job('a')), b.run(job('b', true)), b.run(job('c'))].map((p) =>
      p.then(
        (v) => log.push(`resolved ${v}`),
        (e: Error) => log.push(`rejected ${e.message}`),
      ),
    );
    log.push('submitted');
    await Promise.all(settled);
    expect(log).toEqual(['submitted', 'start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'resolved a', 'rejected b failed', 'resolved c']);
  });

  it('starts a new batch for jobs submitted after a flush', async () => {
    const b = new BackToBack();
    expect(await b.run(async () => 1)).toBe(1);
    expect(await Promise.all([b.run(async () => 2), b.run(async () => 3)])).toEqual([2, 3]);
  });
});
