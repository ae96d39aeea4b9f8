import * as path from 'node:path';
import type { ChaincodeInvocation, ChaincodeResult, RuntimeQueueMeter, RuntimeSupport, RuntimeSupportSource } from '../../../../core/chaincode/chaincode-runtime';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { ChaincodeError } from '../../../../core/errors';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { invocationOf } from '../../core/chaincode/fixtures';
import { MemoryWorld } from '../../core/chaincode/memory-simulator';

const FIXTURE = path.join(__dirname, 'fixtures', 'off-loop');
const TIMEOUT_MS = 1500;

const inv = (txId: string, args: readonly string[]): ChaincodeInvocation => invocationOf('offloop', txId, args);

/**
 * A support source that records in `log` when the runtime asks for it: the moment the peer would
 * take the channel's state for the transaction.
 */
function source(world: MemoryWorld, txId: string, log: string[]): RuntimeSupportSource & { calls: number } {
  const fn = Object.assign(
    async (): Promise<RuntimeSupport> => {
      fn.calls++;
      log.push(`${txId} support`);
      return { simulator: world.simulator(txId), invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }) };
    },
    { calls: 0 },
  );
  return fn;
}

/** `p`, with `name` pushed to `log` when it settles. */
function marked<T>(p: Promise<T>, name: string, log: string[]): Promise<T> {
  return p.finally(() => log.push(`${name} ended`));
}

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

const text = (r: ChaincodeResult): string => Buffer.from(r.response.payload).toString();

/**
 * `log` as it is while `spinning` still runs: looked at a fraction of its time limit after it
 * started (a chaincode spinning off the event loop leaves timers on time), and checked unsettled.
 */
async function whileSpinning(spinning: Promise<unknown>, log: readonly string[]): Promise<string[]> {
  let settled = false;
  void spinning.finally(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, TIMEOUT_MS / 5));
  expect(settled).toBe(false);
  return [...log];
}

/**
 * The queue in front of a package's sandboxes (one sandbox here): a waiting transaction is given
 * its support only once it has a sandbox, gives up its place when its caller's signal aborts, and
 * is refused at once past `queuedPerChaincode`. Real isolated-vm, a chaincode that spins until its
 * time limit to keep the sandbox busy.
 */
describe('waiting for a sandbox', () => {
  let bytes: Uint8Array;
  let rt: IsolatedVmRuntime;
  let id: string;
  let world: MemoryWorld;

  beforeAll(async () => {
    bytes = (await packageChaincode({ projectDir: FIXTURE, label: 'offloop_q' })).packageBytes;
  }, 60_000);

  beforeEach(async () => {
    rt = new IsolatedVmRuntime({ timeoutMs: TIMEOUT_MS, sandboxesPerChaincode: 1, queuedPerChaincode: 2 });
    id = (await rt.install(bytes)).packageId;
    world = new MemoryWorld();
  });
  afterEach(() => rt.close());

  test('a waiting transaction is asked for its support only when the busy sandbox is free, then runs with it', async () => {
    const log: string[] = [];
    const spin = rt.invoke(id, inv('spin', ['Spin']), source(world, 'spin', log));
    const echoSource = source(world, 'echo', log);
    const echo = marked(rt.invoke(id, inv('echo', ['Echo', 'echo', '1', '10']), echoSource), 'echo', log);
    expect(await whileSpinning(spin, log)).toEqual(['spin support']);
    const [spun, echoed] = await Promise.all([spin, echo]);
    expect(log).toEqual(['spin support', 'echo support', 'echo ended']);
    expect(spun.response.status).toBe(500);
    expect(echoed.response.status).toBe(200);
    expect(text(echoed)).toBe('echo');
    expect(echoSource.calls).toBe(1);
  }, 30_000);

  test('a waiting transaction whose signal aborts leaves the queue unrun, before the sandbox is free; the one behind it still runs', async () => {
    const log: string[] = [];
    const spin = rt.invoke(id, inv('spin', ['Spin']), source(world, 'spin', log));
    const gone = new AbortController();
    const leavingSource = source(world, 'leaving', log);
    const leaving = marked(rt.invoke(id, inv('leaving', ['Echo', 'leaving', '1', '10']), leavingSource, gone.signal), 'leaving', log);
    const staying = marked(rt.invoke(id, inv('staying', ['Echo', 'staying', '1', '10']), source(world, 'staying', log)), 'staying', log);
    gone.abort(new Error('the client cancelled the call'));
    const refusal = await leaving.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(refusal).toBeInstanceOf(ChaincodeError);
    expect(refusal).toMatchObject({ code: 'CHAINCODE_CANCELLED', message: expect.stringMatching(/transaction leaving of chaincode offloop was not run: .*\(the client cancelled the call\)/) as unknown });
    expect(await whileSpinning(spin, log)).toEqual(['spin support', 'leaving ended']);
    const [, stayed] = await Promise.all([spin, staying]);
    expect(log).toEqual(['spin support', 'leaving ended', 'staying support', 'staying ended']);
    expect(leavingSource.calls).toBe(0);
    expect(text(stayed)).toBe('staying');
  }, 30_000);

  test('a signal aborted before the call runs nothing, even with a sandbox free', async () => {
    const log: string[] = [];
    const s = source(world, 'late', log);
    await expect(rt.invoke(id, inv('late', ['Echo', 'late', '1', '10']), s, AbortSignal.abort(new Error('deadline passed')))).rejects.toMatchObject({ code: 'CHAINCODE_CANCELLED' });
    expect(s.calls).toBe(0);
    expect(text(await rt.invoke(id, inv('next', ['Echo', 'next', '1', '10']), source(world, 'next', log)))).toBe('next');
  }, 30_000);

  test('past queuedPerChaincode waiting transactions a new one is refused at once, naming the chaincode and the limit; the queued ones run', async () => {
    const log: string[] = [];
    const spin = rt.invoke(id, inv('spin', ['Spin']), source(world, 'spin', log));
    const queued = ['q1', 'q2'].map((t) => marked(rt.invoke(id, inv(t, ['Echo', t, '1', '10']), source(world, t, log)), t, log));
    const extraSource = source(world, 'extra', log);
    const extra = marked(rt.invoke(id, inv('extra', ['Echo', 'extra', '1', '10']), extraSource), 'extra', log);
    await expect(extra).rejects.toMatchObject({
      code: 'CHAINCODE_QUEUE_FULL',
      message: 'chaincode offloop is busy: its 1 sandboxes are running transactions and 2 more wait, the limit (runtime option queuedPerChaincode = 2); transaction extra was not run: try again later',
    });
    expect(await whileSpinning(spin, log)).toEqual(['spin support', 'extra ended']);
    const results = await Promise.all([spin, ...queued]);
    // First come, first served: the sandbox went to q1, then to q2.
    expect(log.filter((l) => l.endsWith('support'))).toEqual(['spin support', 'q1 support', 'q2 support']);
    expect(results.slice(1).map(text)).toEqual(['q1', 'q2']);
    expect(extraSource.calls).toBe(0);
  }, 30_000);

  test('a support source that throws fails its transaction only: the sandbox goes to the next one', async () => {
    const log: string[] = [];
    const failing: RuntimeSupportSource = () => Promise.reject(new Error('the ledger is closed'));
    await expect(rt.invoke(id, inv('failing', ['Echo', 'failing', '1', '10']), failing)).rejects.toThrow('the ledger is closed');
    const results = await Promise.all(['n1', 'n2'].map((t) => rt.invoke(id, inv(t, ['Echo', t, '1', '10']), source(world, t, log))));
    expect(results.map(text)).toEqual(['n1', 'n2']);
    expect(rt.sandboxCount(id)).toBe(1);
  }, 30_000);

  // What the runtime tells the peer's weft_chaincode_queue_* metrics: only transactions that wait, each queued once and leaving once.
  test('a free sandbox reports nothing; a queued one is queued and leaves once, refused and cancelled ones are counted', async () => {
    const meter = recording();
    // Takes the free sandbox: nothing to report.
    const spin = rt.invoke(id, inv('spin', ['Spin']), source(world, 'spin', []), undefined, meter);
    expect(meter.events).toEqual([]);
    const staying = rt.invoke(id, inv('staying', ['Echo', 'staying', '1', '10']), source(world, 'staying', []), undefined, meter);
    const gone = new AbortController();
    const leaving = rt.invoke(id, inv('leaving', ['Echo', 'leaving', '1', '10']), source(world, 'leaving', []), gone.signal, meter);
    await expect(rt.invoke(id, inv('extra', ['Echo', 'extra', '1', '10']), source(world, 'extra', []), undefined, meter)).rejects.toMatchObject({ code: 'CHAINCODE_QUEUE_FULL' });
    gone.abort(new Error('the client cancelled the call'));
    await expect(leaving).rejects.toMatchObject({ code: 'CHAINCODE_CANCELLED' });
    // Given up before it reached the runtime: cancelled, never queued.
    await expect(rt.invoke(id, inv('late', ['Echo', 'late', '1', '10']), source(world, 'late', []), AbortSignal.abort(new Error('deadline passed')), meter)).rejects.toMatchObject({
      code: 'CHAINCODE_CANCELLED',
    });
    expect(meter.events).toEqual(['queued', 'queued', 'refused', 'left unrun', 'cancelled', 'cancelled']);
    await Promise.all([spin, staying]);
    expect(meter.events).toEqual(['queued', 'queued', 'refused', 'left unrun', 'cancelled', 'cancelled', 'left to run']);
    expect(meter.waits.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  }, 30_000);

  test('a transaction still queued when the runtime closes leaves the queue unrun', async () => {
    const meter = recording();
    const spin = rt.invoke(id, inv('spin', ['Spin']), source(world, 'spin', []), undefined, meter);
    const queued = rt.invoke(id, inv('queued', ['Echo', 'queued', '1', '10']), source(world, 'queued', []), undefined, meter);
    expect(meter.events).toEqual(['queued']);
    await rt.close();
    expect((await queued).response.message).toMatch(/its sandbox was disposed/);
    expect(meter.events).toEqual(['queued', 'left unrun']);
    await spin.catch(() => undefined);
  }, 30_000);
});
