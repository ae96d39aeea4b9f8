import { spawnSync } from 'node:child_process';
import { NODE_PROCESS_FLAGS } from '../../../../core/node/node-flags';

/**
 * Grows the old generation from 30 to 100 MB of live objects while allocating garbage, and prints
 * how many full (mark-compact) GCs ran meanwhile.
 */
const GROW_OLD_GENERATION = `
const { PerformanceObserver, constants } = require('node:perf_hooks');
let fullGcs = 0, counting = false;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) if (counting && e.detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR) fullGcs++;
});
obs.observe({ entryTypes: ['gc'] });
const kept = [];
let i = 0;
function step() {
  for (let j = 0; j < 20000; j++) { const o = { a: i++, b: 'x' + i }; if (j % 4 === 0) kept.push(o); }
  const used = process.memoryUsage().heapUsed;
  if (used > 30e6) counting = true;
  if (used < 100e6) setImmediate(step);
  else setTimeout(() => { obs.disconnect(); console.log(JSON.stringify({ fullGcs, kept: kept.length })); }, 50);
}
step();
`;

function fullGcsWith(flags: readonly string[]): number {
  const run = spawnSync(process.execPath, [...flags, '-e', GROW_OLD_GENERATION], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`node ${flags.join(' ')} exited with ${run.status}: ${run.stderr}`);
  return (JSON.parse(run.stdout) as { fullGcs: number }).fullGcs;
}

describe('NODE_PROCESS_FLAGS', () => {
  it('lets a node grow its old generation to 100 MB without a full GC, which V8 runs otherwise', () => {
    expect(fullGcsWith(NODE_PROCESS_FLAGS)).toBe(0);
    expect(fullGcsWith(['--no-node-snapshot'])).toBeGreaterThan(0);
  });
});
