import * as path from 'node:path';
import type { ChaincodeInvocation, RuntimeQueueMeter, RuntimeSupport } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { invocationOf } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const FIXTURE = path.join(__dirname, 'fixtures', 'off-loop');
const TIMEOUT_MS = 1500;

const inv = (txId: string, args: readonly string[]): ChaincodeInvocation => invocationOf('offloop', txId, args);

/** A meter that writes what it hears to `events`; the waits it was told, apart (their values are the clock's). */
function recording(): RuntimeQueueMeter & { events: string[]; waits: number[] } {
  const events: string[] = [];
  const waits: number[] = [];
  return {
    events,
    waits,
    queued: () => events.push('queued'),
    left: (seconds, ran) => {
      waits.push(seconds);
      events.push(ran ? 'left to run' : 'left unrun');
    },
    refused: () => events.push('refused'),
    cancelled: () => events.push('cancelled'),
  };
}

/**
 * The runtime reports the wait for a sandbox to the meter the peer hands it (for the
 * `weft_chaincode_queue_*` metrics): only transactions that wait, each queued once and leaving
 * once, refusals and cancellations counted. Real isolated-vm, one sandbox kept busy by a spin.
 */
describe('the wait for a sandbox, as the runtime reports it', () => {
  let bytes: Uint8Array;
  let rt: IsolatedVmRuntime;
  let id: string;
  let world: MemoryWorld;
  const support = (txId: string) => async (): Promise<RuntimeSupport> => ({
    simulator: world.simulator(txId),
    invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }),
  });

  beforeAll(async () => {
    bytes = (await packageChaincode({ projectDir: FIXTURE, label: 'offloop_m' })).packageBytes;
  }, 60_000);

  beforeEach(async () => {
    rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, sandboxesPerChaincode: 1, queuedPerChaincode: 2 });
    id = (await rt.install(bytes)).packageId;
    world = new MemoryWorld();
  });
  afterEach(() => rt.close());

  test('a free sandbox reports nothing; a queued one is queued and leaves once, refused and cancelled ones are counted', async () => {
    const meter = recording();
    // Takes the free sandbox: nothing to report.
    const spin = rt.invoke(id, inv('spin', ['Spin']), support('spin'), undefined, meter);
    expect(meter.events).toEqual([]);
    const staying = rt.invoke(id, inv('staying', ['Echo', 'staying', '1', '10']), support('staying'), undefined, meter);
    const gone = new AbortController();
    const leaving = rt.invoke(id, inv('leaving', ['Echo', 'leaving', '1', '10']), support('leaving'), gone.signal, meter);
    await expect(rt.invoke(id, inv('extra', ['Echo', 'extra', '1', '10']), support('extra'), undefined, meter)).rejects.toMatchObject({ code: 'CHAINCODE_QUEUE_FULL' });
    gone.abort(new Error('the client cancelled the call'));
    await expect(leaving).rejects.toMatchObject({ code: 'CHAINCODE_CANCELLED' });
    // Given up before it reached the runtime: cancelled, never queued.
    await expect(rt.invoke(id, inv('late', ['Echo', 'late', '1', '10']), support('late'), AbortSignal.abort(new Error('deadline passed')), meter)).rejects.toMatchObject({
      code: 'CHAINCODE_CANCELLED',
    });
    expect(meter.events).toEqual(['queued', 'queued', 'refused', 'left unrun', 'cancelled', 'cancelled']);
    await Promise.all([spin, staying]);
    expect(meter.events).toEqual(['queued', 'queued', 'refused', 'left unrun', 'cancelled', 'cancelled', 'left to run']);
    expect(meter.waits.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  }, 30_000);

  test('a transaction still queued when the runtime closes leaves the queue unrun', async () => {
    const meter = recording();
    const spin = rt.invoke(id, inv('spin', ['Spin']), support('spin'), undefined, meter);
    const queued = rt.invoke(id, inv('queued', ['Echo', 'queued', '1', '10']), support('queued'), undefined, meter);
    expect(meter.events).toEqual(['queued']);
    await rt.close();
    expect((await queued).response.message).toMatch(/its sandbox was disposed/);
    expect(meter.events).toEqual(['queued', 'left unrun']);
    await spin.catch(() => undefined);
  }, 30_000);
});
