import { resolveLimits } from '../../../../core/chaincode/chaincode-runtime';
import { ChaincodeSandbox } from '../../../../plugins/runtime-isolated-vm/chaincode-sandbox';
import { memoryAfterFullGc } from '../../../support/full-gc';


/**
 * isolated-vm keeps the function of every `ivm.Callback` as long as the process lives, even after
 * its isolate is disposed. A sandbox whose host callbacks reached the sandbox itself stayed in
 * memory with its bundle after `dispose()`: about 1 MB per chaincode install, fork or runtime, for
 * good (a peer that installs and upgrades chaincode, or a jest worker running many test files).
 */
describe('a disposed chaincode sandbox', () => {
  it('can be collected with its bundle', () => {
    const options = { memoryLimitMb: 64, strict: false, limits: resolveLimits({}) };
    const before = memoryAfterFullGc().heapUsed;
    const bytes = Buffer.alloc(500_000, 'x');
    // A 500 kB bundle of its own each, as read from a package: 50 MB stay if they are kept.
    for (let i = 0; i < 100; i++) new ChaincodeSandbox(`cc${i}`, bytes.toString('utf8'), options).dispose();
    expect(memoryAfterFullGc().heapUsed - before).toBeLessThan(10_000_000);
  });
});
