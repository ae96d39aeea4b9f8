import { Envelope } from '@hyperledger/fabric-protos/lib/common/common_pb';
import { BlockCutterImpl, messageSizeBytes, type BatchSize } from '../../../../core/orderer/block-cutter';

function env(tag: string, size: number): Envelope {
  const e = new Envelope();
  const payload = Buffer.alloc(size - 2, 0x20);
  payload.write(tag);
  e.setPayload(payload);
  e.setSignature(Buffer.from('sg'));
  return e;
}
const tag = (e: Envelope) => Buffer.from(e.getPayload_asU8()).toString().trim();

interface Row {
  readonly name: string;
  readonly batch: Partial<BatchSize>;
  /** [tag, size] per message, in order. */
  readonly messages: readonly (readonly [string, number])[];
  /** Per message: the batches it cut and whether messages remain pending. */
  readonly expected: readonly { readonly batches: string[][]; readonly pending: boolean }[];
  /** What a final cut() (the timer firing) returns. */
  readonly finalCut: string[];
}

const rows: Row[] = [
  {
    name: 'MaxMessageCount cuts exactly at the count',
    batch: { maxMessageCount: 2 },
    messages: [['a', 10], ['b', 10], ['c', 10]],
    expected: [
      { batches: [], pending: true },
      { batches: [['a', 'b']], pending: false },
      { batches: [], pending: true },
    ],
    finalCut: ['c'],
  },
  {
    name: 'a message overflowing PreferredMaxBytes cuts the pending batch and starts a new one',
    batch: { preferredMaxBytes: 100 },
    messages: [['a', 60], ['b', 40], ['c', 5]],
    expected: [
      { batches: [], pending: true },
      { batches: [], pending: true }, // 60 + 40 = 100 is not over
      { batches: [['a', 'b']], pending: true },
    ],
    finalCut: ['c'],
  },
  {
    name: 'a message larger than PreferredMaxBytes is isolated after the pending batch',
    batch: { preferredMaxBytes: 100 },
    messages: [['a', 30], ['big', 101], ['b', 30]],
    expected: [
      { batches: [], pending: true },
      { batches: [['a'], ['big']], pending: false },
      { batches: [], pending: true },
    ],
    finalCut: ['b'],
  },
  {
    name: 'an oversized message with nothing pending is a batch of its own',
    batch: { preferredMaxBytes: 100 },
    messages: [['big', 500]],
    expected: [{ batches: [['big']], pending: false }],
    finalCut: [],
  },
  {
    name: 'overflow cut and count cut in the same call',
    batch: { maxMessageCount: 1, preferredMaxBytes: 100 },
    messages: [['a', 80], ['b', 80]],
    expected: [
      { batches: [['a']], pending: false },
      { batches: [['b']], pending: false },
    ],
    finalCut: [],
  },
  {
    name: 'MaxMessageCount 1 makes every message its own batch',
    batch: { maxMessageCount: 1 },
    messages: [['a', 10], ['b', 10]],
    expected: [
      { batches: [['a']], pending: false },
      { batches: [['b']], pending: false },
    ],
    finalCut: [],
  },
];

describe('BlockCutterImpl (Fabric blockcutter)', () => {
  it.each(rows)('$name', (row) => {
    const batchSize: BatchSize = { maxMessageCount: 10, absoluteMaxBytes: 10_000, preferredMaxBytes: 1000, ...row.batch };
    const cutter = new BlockCutterImpl(() => batchSize);
    row.messages.forEach(([t, size], i) => {
      const result = cutter.ordered(env(t, size));
      expect({ batches: result.batches.map((b) => b.map(tag)), pending: result.pending }).toEqual(row.expected[i]);
    });
    expect(cutter.cut().map(tag)).toEqual(row.finalCut);
    expect(cutter.pendingCount).toBe(0);
  });

  it('measures payload plus signature, as Fabric', () => {
    expect(messageSizeBytes(env('x', 50))).toBe(50);
  });

  it('reads BatchSize on every message, so a config change applies to the next one', () => {
    let batchSize: BatchSize = { maxMessageCount: 5, absoluteMaxBytes: 10_000, preferredMaxBytes: 1000 };
    const cutter = new BlockCutterImpl(() => batchSize);
    cutter.ordered(env('a', 10));
    batchSize = { ...batchSize, maxMessageCount: 2 };
    expect(cutter.ordered(env('b', 10)).batches.map((b) => b.map(tag))).toEqual([['a', 'b']]);
  });
});

describe('BlockCutterImpl fill duration (Fabric blockcutter_block_fill_duration)', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('observes every batch cut with messages, from its first message, and 0 for an oversized message alone', () => {
    const observed: number[] = [];
    const batchSize: BatchSize = { maxMessageCount: 2, absoluteMaxBytes: 10_000, preferredMaxBytes: 100 };
    const cutter = new BlockCutterImpl(() => batchSize, { observe: (s) => observed.push(s) });
    cutter.ordered(env('a', 10));
    jest.advanceTimersByTime(30);
    cutter.ordered(env('b', 10)); // count → [a b] after 30 ms
    jest.advanceTimersByTime(10);
    cutter.ordered(env('c', 60));
    jest.advanceTimersByTime(20);
    cutter.ordered(env('d', 60)); // overflow → [c] after 20 ms; d starts the next batch now
    jest.advanceTimersByTime(5);
    cutter.ordered(env('big', 500)); // → [d] after 5 ms, then [big] in no time
    expect(cutter.cut()).toEqual([]); // an empty cut (timer or config message with nothing pending) is no block
    cutter.ordered(env('e', 10));
    jest.advanceTimersByTime(200);
    expect(cutter.cut().map(tag)).toEqual(['e']); // the BatchTimeout cut
    expect(observed.map((s) => Math.round(s * 1000))).toEqual([30, 20, 5, 0, 200]);
  });

  it('reads no clock without an observer', () => {
    const now = jest.spyOn(performance, 'now');
    const cutter = new BlockCutterImpl(() => ({ maxMessageCount: 1, absoluteMaxBytes: 10_000, preferredMaxBytes: 100 }));
    cutter.ordered(env('a', 10));
    cutter.ordered(env('big', 500));
    expect(now).not.toHaveBeenCalled();
    now.mockRestore();
  });
});
