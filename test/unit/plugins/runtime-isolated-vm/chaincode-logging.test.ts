import * as path from 'node:path';
import type { ChaincodeLog, ChaincodeLogEntry, ChaincodeLogLevel, ChaincodeResult } from '../../../../core/chaincode/chaincode-runtime';
import { MAX_LOG_MESSAGE_CHARS } from '../../../../core/chaincode/host-api';
import { MAX_LOG_ENTRIES_PER_TX } from '../../../../core/chaincode/host-log';
import { packageChaincode } from '../../../../core/chaincode/packager';
import { IsolatedVmRuntime } from '../../../../plugins/runtime-isolated-vm';
import { creator } from '../../core/chaincode/fixtures';
import { MemoryWorld, type MemorySimulator } from '../../core/chaincode/memory-simulator';

describe('chaincode logging through the isolated-vm sandbox', () => {
  const rt = new IsolatedVmRuntime({ timeoutMs: 10_000 });
  const world = new MemoryWorld();
  let packageId = '';
  let entries: ChaincodeLogEntry[] = [];
  let level: ChaincodeLogLevel | undefined;
  const sink: ChaincodeLog = {
    get level() {
      return level;
    },
    write: (entry) => void entries.push(entry),
  };

  async function call(args: string[], log: ChaincodeLog | undefined = sink): Promise<{ result: ChaincodeResult; sim: MemorySimulator }> {
    entries = [];
    const sim = world.simulator('tx-log');
    const invocation = {
      chaincodeName: 'logging',
      channelId: 'mychannel',
      txId: 'tx-log',
      args: args.map((a) => Buffer.from(a)),
      creator: creator('user1'),
      timestamp: { seconds: 1_700_000_000, nanos: 0 },
      mspId: 'Org1MSP',
    };
    const result = await rt.invoke(packageId, invocation, { simulator: sim, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }), log });
    return { result, sim };
  }
  const lines = (): string[] => entries.map((e) => `${e.level} ${e.logger}: ${e.message}`);

  beforeAll(async () => {
    // The module logs while loading, outside any transaction: loading must not fail on it.
    packageId = (await rt.install((await packageChaincode({ projectDir: path.join(__dirname, 'fixtures', 'logging'), label: 'logging_1' })).packageBytes)).packageId;
  });
  afterAll(() => rt.close());

  it('writes console, shim.newLogger and ctx.logging entries with their levels, logger names, channel and transaction', async () => {
    level = 'debug';
    const { result } = await call(['logs:Every']);
    expect(result.response.status).toBe(200);
    // What the module logged while loading comes first, once, under no transaction.
    expect(entries[0]).toEqual({ channelId: 'mychannel', txId: '', level: 'info', logger: 'console', message: 'loading the logging contract' });
    entries.shift();
    expect(lines()).toEqual([
      'debug console: console debug d',
      'info console: console log 42 { n: 1 }',
      'warn console: console warn',
      'error console: console error',
      'info asset: shim info',
      'warn shim: unnamed shim warn',
      'info logs: contract info',
      'error logs:audit: audit error',
    ]);
    expect(new Set(entries.map((e) => `${e.channelId}/${e.txId}`))).toEqual(new Set(['mychannel/tx-log']));
  });

  it('sends nothing below the peer level, and logging changes neither the response nor the writes', async () => {
    level = 'warn';
    const quiet = await call(['logs:Every']);
    expect(lines()).toEqual(['warn console: console warn', 'error console: console error', 'warn shim: unnamed shim warn', 'error logs:audit: audit error']);
    level = undefined;
    const off = await call(['logs:Every']);
    expect(entries).toEqual([]);
    const none = await call(['logs:Every'], undefined);
    for (const run of [off, none]) {
      expect(run.result).toEqual(quiet.result);
      expect([...run.sim.writes]).toEqual([...quiet.sim.writes]);
    }
  });

  it("ctx.logging.setLevel takes Fabric's level names and filters every chaincode logger, as fabric-shim does", async () => {
    level = 'debug';
    await call(['logs:Levels', 'WARNING']);
    expect(lines()).toEqual(['warn logs:lv: lv warn', 'error logs:lv: lv error']);
    await call(['logs:Levels', 'DEBUG']);
    expect(lines()).toEqual(['debug logs:lv: lv debug', 'info logs:lv: lv info', 'warn logs:lv: lv warn', 'error logs:lv: lv error']);
    // fabric-shim reads anything it does not know as INFO.
    await call(['logs:Levels', 'loud']);
    expect(lines()).toEqual(['info logs:lv: lv info', 'warn logs:lv: lv warn', 'error logs:lv: lv error']);
  });

  it('keeps a transaction within its log budget: entries beyond it are dropped with one warning, long messages are cut', async () => {
    level = 'info';
    const flood = await call(['logs:Flood', String(MAX_LOG_ENTRIES_PER_TX + 500), '3']);
    expect(flood.result.response.status).toBe(200);
    expect(entries).toHaveLength(MAX_LOG_ENTRIES_PER_TX + 1);
    expect(entries[MAX_LOG_ENTRIES_PER_TX]).toMatchObject({ level: 'warn', logger: 'weft', message: expect.stringContaining(`more than ${MAX_LOG_ENTRIES_PER_TX} log entries`) });
    await call(['logs:Flood', '1', '100000']);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.message).toBe(`${'x'.repeat(MAX_LOG_MESSAGE_CHARS)}… (${100_000 - MAX_LOG_MESSAGE_CHARS} more characters)`);
  });

  it("logs arguments that cannot be serialized, and Node's other console methods, without failing the transaction", async () => {
    level = 'info';
    const { result } = await call(['logs:Odd']);
    expect(result.response.status).toBe(200);
    const stackLines = (entry: ChaincodeLogEntry | undefined): string[] => (entry?.message ?? '').split('\n');
    const failure = stackLines(entries[4]);
    expect(failure[0]).toBe('failed: RangeError: out of stock');
    // The stack reaches the peer's log, its frames naming the project's files through the package's source map.
    expect(failure[1]).toBe('    at Logs.Odd (index.js:56:25)');
    entries.splice(4, 1);
    expect(lines()).toEqual([
      'info console: cyclic <ref *1> { self: [Circular *1] }',
      'info console: Symbol(s) undefined null 7n',
      'info console: { toJSON: [Function: toJSON], toString: [Function: toString] }',
      'info console: [log arguments that cannot be formatted]',
      "error odd: as winston { code: 7 } <Buffer 68 69>",
      'warn odd: through log()',
      'error console: Assertion failed arithmetic broke',
      'info console: grouped',
    ]);
  });
});
