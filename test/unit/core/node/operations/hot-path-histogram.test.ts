import { Histogram, Registry } from 'prom-client';
import { HotPathHistogram } from '../../../../../core/node/operations/hot-path-histogram';
import { sample } from '../../../../support/prometheus-text';

/** Sample lines with each line's labels sorted, so two exporters can be compared line by line. */
function normalized(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((line) => line.replace(/\{(.*)\}/, (_all, labels: string) => `{${labels.split(',').sort().join(',')}}`));
}

describe('HotPathHistogram', () => {
  // On and between bounds, below the first, above the last.
  const values = [0, 0.001, 0.005, 0.0051, 0.3, 1, 7.5, 10, 12];

  it("exports exactly what a prom-client Histogram with the default buckets exports for the same observations", async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({ name: 'h', help: 'The help.', labelNames: ['type', 'success'], registers: [theirs] });
    const hot = new HotPathHistogram('h', 'The help.', ours);
    const a = hot.child({ type: 'GET_STATE', success: 'true' });
    const b = hot.child({ type: 'PUT_STATE', success: 'false' });
    hot.child({ type: 'DEL_STATE', success: 'true' });
    for (const v of values) {
      reference.observe({ type: 'GET_STATE', success: 'true' }, v);
      a.observe(v);
    }
    reference.observe({ type: 'PUT_STATE', success: 'false' }, 0.02);
    b.observe(0.02);

    const text = await ours.metrics();
    expect(normalized(text)).toEqual(normalized(await theirs.metrics()));
    // A child never observed is not exported.
    expect(text).not.toContain('DEL_STATE');
    expect(sample(text, 'h_bucket', { type: 'GET_STATE', success: 'true', le: '0.005' })).toBe(3);
    expect(sample(text, 'h_count', { type: 'GET_STATE', success: 'true' })).toBe(values.length);
  });

  it('starts every label set again from zero when the registry is reset', async () => {
    const registry = new Registry();
    const child = new HotPathHistogram('h', 'The help.', registry).child({ type: 'GET_STATE' });
    child.observe(0.1);
    registry.resetMetrics();
    expect(await registry.metrics()).not.toContain('GET_STATE');
    child.observe(0.2);
    expect(sample(await registry.metrics(), 'h_sum', { type: 'GET_STATE' })).toBe(0.2);
  });
});
