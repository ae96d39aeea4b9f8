/**
 * The conformance suite every `runtime` plugin runs (STYLE.md 14): the chaincode examples, packaged
 * by the Weft packager, driven through `ChaincodeRuntime` over the world the caller provides, with
 * Fabric's results, events and error texts. Not re-exported from core: import it from tests only.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { TxSimulator } from '../ledger/tx-simulator';
import type { ChaincodeInvocation, ChaincodeMeter, ChaincodeRuntime, RuntimeSupport } from './chaincode-runtime';
import { type ConformanceCall, privateDataConformance } from './conformance-private-data';
import { packageChaincode } from './packager';

/** A channel's state as the suite needs it: simulators over committed state, and commit. */
export interface ConformanceWorld {
  simulator(txId: string): TxSimulator;
  /** Commits one transaction: its simulator and the `getTxSimulationResults()` bytes it produced. */
  commit(simulator: TxSimulator, rwset: Uint8Array, txId: string): void;
  close(): void;
}

export interface RuntimeConformanceSetup {
  createRuntime(options: { strict?: boolean; timeoutMs?: number; memoryLimitMb?: number }): ChaincodeRuntime;
  createWorld(): ConformanceWorld;
  /** Serialized identities: an Org1MSP client with Fabric CA attributes, another Org1MSP client, an Org2MSP client. */
  readonly creators: { readonly minter: Uint8Array; readonly other: Uint8Array; readonly org2: Uint8Array };
  /** `ClientIdentity.getID()` of minter and other. */
  readonly ids: { readonly minter: string; readonly other: string };
  /** Folder holding the examples; defaults to the repository's `chaincode-examples`. */
  readonly examplesDir?: string;
}

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');

/** The repository's examples folder, from the source tree or from a build output inside it. */
function defaultExamplesDir(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'chaincode-examples', 'asset-transfer'))) return path.join(dir, 'chaincode-examples');
    if (path.dirname(dir) === dir) throw new Error(`chaincode-examples not found above ${__dirname}: pass examplesDir`);
  }
}

export function runtimeConformance(name: string, setup: RuntimeConformanceSetup): void {
  const examples = setup.examplesDir ?? defaultExamplesDir();
  let counter = 0;

  function harness(runtime: () => ChaincodeRuntime, world: () => ConformanceWorld): ConformanceCall {
    return async function call(packageId, chaincodeName, args, opts = {}) {
      const txId = opts.txId ?? `tx${++counter}`;
      const simulator = world().simulator(txId);
      const support: RuntimeSupport = {
        simulator,
        invokeChaincode: () => ({ status: 500, message: 'invokeChaincode is not wired in this suite', payload: new Uint8Array(0) }),
        ...(opts.metrics ? { metrics: opts.metrics } : {}),
      };
      const invocation: ChaincodeInvocation = {
        chaincodeName,
        channelId: 'mychannel',
        txId,
        args: args.map((a) => Buffer.from(a, 'utf8')),
        creator: opts.creator ?? setup.creators.minter,
        timestamp: { seconds: opts.seconds ?? 1_700_000_000, nanos: 123_000_000 },
        mspId: opts.mspId ?? 'Org1MSP',
        ...(opts.transient ? { transient: opts.transient } : {}),
      };
      const result = await runtime().invoke(packageId, invocation, support);
      const rwset = simulator.getTxSimulationResults();
      simulator.done();
      if (opts.commit !== false && result.response.status === 200) world().commit(simulator, rwset, txId);
      return { ...result, rwset };
    };
  }

  /**
   * A runtime with `limits` and one example chaincode installed, set up and closed around the
   * describe block that calls this; `installed.id` is its package ID once the block runs.
   */
  function withInstalled(example: string, label: string, limits: { timeoutMs?: number; memoryLimitMb?: number }) {
    const installed = { id: '' };
    let rt: ChaincodeRuntime;
    let world: ConformanceWorld;
    beforeAll(async () => {
      rt = setup.createRuntime(limits);
      world = setup.createWorld();
      installed.id = (await rt.install((await packageChaincode({ projectDir: path.join(examples, example), label })).packageBytes)).packageId;
    });
    afterAll(async () => {
      await rt.close();
      world.close();
    });
    return { installed, call: harness(() => rt, () => world) };
  }

  describe(`${name}: asset-transfer (TypeScript, decorators)`, () => {
    let rt: ChaincodeRuntime;
    let world: ConformanceWorld;
    let id: string;
    const call = harness(() => rt, () => world);

    beforeAll(async () => {
      rt = setup.createRuntime({});
      world = setup.createWorld();
      const built = await packageChaincode({ projectDir: path.join(examples, 'asset-transfer'), label: 'basic_1.0' });
      id = (await rt.install(built.packageBytes)).packageId;
      expect(id).toBe(built.packageId);
    });
    afterAll(async () => {
      await rt.close();
      world.close();
    });

    test('CreateAsset then ReadAsset returns the sorted-key JSON the contract wrote', async () => {
      const created = await call(id, 'basic', ['CreateAsset', 'asset1', 'blue', '5', 'Tomoko', '300']);
      expect(created.response).toEqual({ status: 200, message: '', payload: new Uint8Array(0) });
      const read = await call(id, 'basic', ['ReadAsset', 'asset1'], { commit: false });
      expect(read.response.status).toBe(200);
      expect(text(read.response.payload)).toBe('{"AppraisedValue":300,"Color":"blue","ID":"asset1","Owner":"Tomoko","Size":5}');
    });

    test('a thrown error is a 500 with the message verbatim', async () => {
      const r = await call(id, 'basic', ['ReadAsset', 'nope']);
      expect(r.response).toEqual({ status: 500, message: 'The asset nope does not exist', payload: new Uint8Array(0) });
      const dup = await call(id, 'basic', ['CreateAsset', 'asset1', 'blue', '5', 'Tomoko', '300']);
      expect(dup.response.message).toBe('The asset asset1 already exists');
    });

    test('typed parameters: arity and number conversion errors as fabric-contract-api words them', async () => {
      expect((await call(id, 'basic', ['CreateAsset', 'a', 'b', 'c'])).response.message).toBe('Expected 5 parameters, but 3 have been supplied');
      expect((await call(id, 'basic', ['CreateAsset', 'a2', 'red', 'big', 'Max', '1'])).response.message).toBe('fromBuffer could not convert data to number');
      const hex = await call(id, 'basic', ['CreateAsset', 'asset0x', 'red', '0x10', 'Max', ' 7 ']);
      expect(hex.response.status).toBe(200);
      expect(text((await call(id, 'basic', ['ReadAsset', 'asset0x'])).response.payload)).toContain('"Size":16');
    });

    test('boolean and string results are sent raw, not JSON-quoted', async () => {
      expect(text((await call(id, 'basic', ['AssetExists', 'asset1'])).response.payload)).toBe('true');
      expect(text((await call(id, 'basic', ['AssetExists', 'zzz'])).response.payload)).toBe('false');
      const t = await call(id, 'basic', ['TransferAsset', 'asset1', 'Brad']);
      expect(text(t.response.payload)).toBe('Tomoko');
    });

    test('GetAllAssets runs an open range query', async () => {
      const r = await call(id, 'basic', ['GetAllAssets']);
      const all = JSON.parse(text(r.response.payload)) as { ID: string; Owner: string }[];
      expect(all.map((a) => a.ID)).toEqual(['asset0x', 'asset1']);
      expect(all[1].Owner).toBe('Brad');
    });

    test('dispatch: no args, unknown function, unknown contract, named contract', async () => {
      expect(text((await call(id, 'basic', [])).response.payload)).toBe('Default initiator successful.');
      expect((await call(id, 'basic', ['Nope'])).response.message).toBe("You've asked to invoke a function that does not exist: Nope");
      expect((await call(id, 'basic', ['Other:ReadAsset', 'x'])).response.message).toBe('Contract name is not known: Other');
      expect(text((await call(id, 'basic', ['AssetTransferContract:AssetExists', 'asset1'])).response.payload)).toBe('true');
    });

    test('org.hyperledger.fabric:GetMetadata describes the decorated contract', async () => {
      const r = await call(id, 'basic', ['org.hyperledger.fabric:GetMetadata']);
      const md = JSON.parse(text(r.response.payload)) as {
        $schema: string;
        info: { title: string; version: string };
        contracts: Record<string, { name: string; contractInstance: Record<string, unknown>; info: Record<string, unknown>; transactions: { name: string; tag?: string[]; parameters?: { name: string; schema: unknown }[]; returns?: unknown }[] }>;
        components: { schemas: Record<string, unknown> };
      };
      expect(md.$schema).toBe('https://hyperledger.github.io/fabric-chaincode-node/main/api/contract-schema.json');
      expect(md.info).toEqual({ version: '1.0.0', title: 'asset-transfer-basic' });
      expect(Object.keys(md.contracts)).toEqual(['AssetTransferContract', 'org.hyperledger.fabric']);
      const c = md.contracts.AssetTransferContract;
      expect(c.contractInstance).toEqual({ name: 'AssetTransferContract', default: true });
      expect(c.info).toMatchObject({ title: 'AssetTransfer', description: 'Smart contract for trading assets' });
      const create = c.transactions.find((t) => t.name === 'CreateAsset');
      expect(create?.tag).toEqual(['SUBMIT', 'submitTx']);
      expect(create?.parameters).toEqual([
        { name: 'id', description: '', schema: { type: 'string' } },
        { name: 'color', description: '', schema: { type: 'string' } },
        { name: 'size', description: '', schema: { type: 'number' } },
        { name: 'owner', description: '', schema: { type: 'string' } },
        { name: 'appraisedValue', description: '', schema: { type: 'number' } },
      ]);
      expect(c.transactions.find((t) => t.name === 'ReadAsset')?.tag).toEqual(['EVALUATE']);
      expect(c.transactions.find((t) => t.name === 'AssetExists')?.returns).toEqual({ type: 'boolean' });
      expect(md.contracts['org.hyperledger.fabric'].transactions).toEqual([{ name: 'GetMetadata' }]);
      // Asset is only used as a type, so TypeScript elides its import and @Object never runs: Fabric shows {} too.
      expect(md.components.schemas).toEqual({});
    });

    test('two executions of the same proposal give byte-identical results and rwsets', async () => {
      const a = await call(id, 'basic', ['UpdateAsset', 'asset1', 'green', '9', 'Jin', '10'], { commit: false, txId: 'same' });
      const b = await call(id, 'basic', ['UpdateAsset', 'asset1', 'green', '9', 'Jin', '10'], { commit: false, txId: 'same' });
      expect(a.response.status).toBe(200);
      expect(Buffer.from(b.rwset).equals(Buffer.from(a.rwset))).toBe(true);
      expect(b.response).toEqual(a.response);
    });
  });

  describe(`${name}: token-erc20 (JavaScript, no decorators)`, () => {
    const { installed, call } = withInstalled('token-erc20', 'token_1', {});

    test('client identity gates Initialize and Mint; getID is Fabric\'s x509:: string', async () => {
      expect((await call(installed.id, 'token', ['Initialize', 'Gold', 'GLD', '2'], { creator: setup.creators.org2 })).response.message).toBe(
        'client is not authorized to initialize contract',
      );
      expect((await call(installed.id, 'token', ['Mint', '10'])).response.message).toBe(
        'contract options need to be set before calling any function, call Initialize() to initialize contract',
      );
      expect(text((await call(installed.id, 'token', ['Initialize', 'Gold', 'GLD', '2'])).response.payload)).toBe('true');
      expect(text((await call(installed.id, 'token', ['ClientAccountID'])).response.payload)).toBe(setup.ids.minter);
    });

    test('Mint and Transfer emit the Transfer event and move balances under composite keys', async () => {
      const mint = await call(installed.id, 'token', ['Mint', '1000']);
      expect(mint.response.status).toBe(200);
      expect(mint.event?.eventName).toBe('Transfer');
      expect(JSON.parse(text(mint.event?.payload ?? new Uint8Array()))).toEqual({ from: '0x0', to: setup.ids.minter, value: 1000 });
      const tr = await call(installed.id, 'token', ['Transfer', setup.ids.other, '250']);
      expect(text(tr.response.payload)).toBe('true');
      expect(JSON.parse(text(tr.event?.payload ?? new Uint8Array()))).toEqual({ from: setup.ids.minter, to: setup.ids.other, value: 250 });
      expect(text((await call(installed.id, 'token', ['BalanceOf', setup.ids.minter])).response.payload)).toBe('750');
      expect(text((await call(installed.id, 'token', ['ClientAccountBalance'], { creator: setup.creators.other })).response.payload)).toBe('250');
      expect(text((await call(installed.id, 'token', ['TotalSupply'])).response.payload)).toBe('1000');
      expect(text((await call(installed.id, 'token', ['Decimals', 'extra'])).response.payload)).toBe('2');
    });

    test('allowances: Approve event, TransferFrom, errors', async () => {
      const ap = await call(installed.id, 'token', ['Approve', setup.ids.other, '100']);
      expect(ap.event?.eventName).toBe('Approval');
      expect(text((await call(installed.id, 'token', ['Allowance', setup.ids.minter, setup.ids.other])).response.payload)).toBe('100');
      const tf = await call(installed.id, 'token', ['TransferFrom', setup.ids.minter, setup.ids.other, '150'], { creator: setup.creators.other });
      expect(tf.response.message).toBe('The spender does not have enough allowance to spend.');
      expect(tf.event).toBeUndefined();
      expect((await call(installed.id, 'token', ['Transfer', setup.ids.minter, '1'])).response.message).toBe('cannot transfer to and from same client account');
    });

    test('inferred transactions expose public helpers, as Fabric does', async () => {
      expect((await call(installed.id, 'token', ['add', '1'])).response.message).toBe('Math: addition overflow occurred [object Object] + 1');
      const md = JSON.parse(text((await call(installed.id, 'token', ['org.hyperledger.fabric:GetMetadata'])).response.payload)) as {
        contracts: Record<string, { transactions: { name: string; tags?: string[]; parameters?: unknown[] }[] }>;
      };
      const txs = md.contracts.TokenERC20Contract.transactions;
      expect(txs.map((t) => t.name)).toContain('add');
      expect(txs.map((t) => t.name)).not.toContain('_transfer');
      expect(txs.find((t) => t.name === 'Transfer')).toEqual({
        name: 'Transfer',
        tags: ['SUBMIT', 'submitTx'],
        parameters: [
          { name: 'arg0', description: 'Argument 0', schema: { type: 'string' } },
          { name: 'arg1', description: 'Argument 1', schema: { type: 'string' } },
        ],
      });
    });
  });

  privateDataConformance(name, setup.creators, setup.ids, () => withInstalled('private-assets', 'private_1', {}));

  describe(`${name}: hostile chaincode`, () => {
    const { installed, call } = withInstalled('hostile', 'hostile_1', { timeoutMs: 1000, memoryLimitMb: 64 });

    async function expectServing(): Promise<void> {
      const ok = await call(installed.id, 'hostile', ['Ok'], { commit: false });
      expect(ok.response).toEqual({ status: 200, message: '', payload: new Uint8Array(Buffer.from('ok')) });
    }

    test.each([
      ['InfiniteLoop', [], /^timeout expired while executing transaction/],
      ['LoopAfterAwait', [], /^timeout expired while executing transaction/],
      ['MemoryBomb', [], /memory limit/],
      ['PendingPromise', [], /still pending/],
      ['OversizedWrite', ['9'], /over the limit of 8388608 bytes/],
      // fabric-contract-api answers shim.error(error.message): a thrown string has none.
      ['ThrowString', [], /^$/],
      ['BadStubArgs', [], /^key must be a string, got number$/],
    ])('%s ends in a clean 500 and the runtime serves the next transaction', async (fn, args, message) => {
      const r = await call(installed.id, 'hostile', [fn, ...args]);
      expect(r.response.status).toBe(500);
      expect(r.response.message).toMatch(message);
      await expectServing();
    });

    test('reports each shim request and an invocation stopped by its time limit to the peer\'s metrics, and nothing else', async () => {
      const events: string[] = [];
      const metrics: ChaincodeMeter = {
        shimRequest: (type) => ({ received: () => events.push(`received ${type}`), completed: (success) => events.push(`completed ${type} ${String(success)}`) }),
        executeTimeout: () => events.push('execute timeout'),
      };
      await call(installed.id, 'hostile', ['Ok'], { commit: false, metrics });
      await call(installed.id, 'hostile', ['BadStubArgs'], { metrics });
      await call(installed.id, 'hostile', ['LoopAfterAwait'], { metrics });
      await call(installed.id, 'hostile', ['MemoryBomb'], { metrics });
      expect(events).toEqual([
        'received PUT_STATE',
        'completed PUT_STATE true',
        'received PUT_STATE',
        'completed PUT_STATE false',
        'received GET_STATE',
        'completed GET_STATE true',
        'execute timeout',
      ]);
      await expectServing();
    });

    test('a stub kept past its transaction cannot write into a later one', async () => {
      expect(text((await call(installed.id, 'hostile', ['Stash'])).response.payload)).toBe('stashed');
      const later = await call(installed.id, 'hostile', ['Release'], { commit: false });
      expect(text(later.response.payload)).toBe('released');
      expect(Buffer.from(later.rwset).includes(Buffer.from('late'))).toBe(false);
    });
  });

  // Apart from the hostile suite's tight limits: a first Intl or Date call on a loaded machine can
  // take longer than its 1 s budget, and these tests are about what chaincode sees, not limits.
  describe(`${name}: determinism and confinement`, () => {
    const { installed, call } = withInstalled('hostile', 'hostile_1', {});

    test('Date and Math.random are the transaction timestamp and a txid-seeded sequence', async () => {
      const a = JSON.parse(text((await call(installed.id, 'hostile', ['Clock'], { txId: 'clock-1', commit: false })).response.payload)) as Record<string, unknown>;
      const b = JSON.parse(text((await call(installed.id, 'hostile', ['Clock'], { txId: 'clock-1', commit: false })).response.payload)) as Record<string, unknown>;
      const c = JSON.parse(text((await call(installed.id, 'hostile', ['Clock'], { txId: 'clock-2', seconds: 1_800_000_000, commit: false })).response.payload)) as Record<string, unknown>;
      expect(a).toEqual(b);
      expect(a.now).toBe(1_700_000_000_123);
      expect(a.date).toBe('2023-11-14T22:13:20.123Z');
      expect(a.txDate).toBe('2023-11-14T22:13:20.123Z');
      expect(a.viaConstructor).toBe(1_700_000_000_123);
      expect(a.called).toBe('string');
      expect(a.intl).toBe('11/14/2023');
      expect(a.weakRef).toBe('undefined');
      expect(a.local).toEqual(['Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)', 22, 0, '2020-01-02T03:00:00.000Z']);
      expect(c.now).toBe(1_800_000_000_123);
      expect(c.random).not.toEqual(a.random);
    });

    test('no Node, timer or host handle is reachable from chaincode', async () => {
      const r = JSON.parse(text((await call(installed.id, 'hostile', ['Escape'])).response.payload)) as Record<string, string>;
      expect(r).toEqual({ process: 'shim', require: 'threw', setTimeout: 'undefined', host: 'undefined', dispatch: 'undefined', viaFunction: 'shim' });
    });
  });

  describe(`${name}: support given when the transaction starts`, () => {
    let rt: ChaincodeRuntime;
    let world: ConformanceWorld;
    let id: string;
    beforeAll(async () => {
      rt = setup.createRuntime({});
      world = setup.createWorld();
      id = (await rt.install((await packageChaincode({ projectDir: path.join(examples, 'hostile'), label: 'hostile_1' })).packageBytes)).packageId;
    });
    afterAll(async () => {
      await rt.close();
      world.close();
    });

    test('a support source is asked for once, what chaincode writes goes to the simulator it gave, and its throw fails that invocation only', async () => {
      const simulator = world.simulator('sourced');
      let asked = 0;
      const source = async (): Promise<RuntimeSupport> => {
        asked++;
        return { simulator, invokeChaincode: () => ({ status: 500, message: 'no calls here', payload: new Uint8Array(0) }) };
      };
      const invocation: ChaincodeInvocation = { chaincodeName: 'hostile', channelId: 'mychannel', txId: 'sourced', args: [Buffer.from('Ok')], creator: setup.creators.minter, timestamp: { seconds: 1_700_000_000, nanos: 0 }, mspId: 'Org1MSP' };
      expect((await rt.invoke(id, invocation, source)).response.status).toBe(200);
      expect(asked).toBe(1);
      // `Ok` writes the key `ok`.
      expect(Buffer.from(simulator.getTxSimulationResults()).includes(Buffer.from('ok'))).toBe(true);
      simulator.done();
      await expect(rt.invoke(id, { ...invocation, txId: 'unsourced' }, () => Promise.reject(new Error('no state for you')))).rejects.toThrow('no state for you');
      const next = world.simulator('after');
      expect((await rt.invoke(id, { ...invocation, txId: 'after' }, { simulator: next, invokeChaincode: () => ({ status: 500, message: '', payload: new Uint8Array(0) }) })).response.status).toBe(200);
      next.done();
    });
  });

  describe(`${name}: isolation modes`, () => {
    const worlds: ConformanceWorld[] = [];
    const runtimes: ChaincodeRuntime[] = [];
    afterAll(async () => {
      for (const r of runtimes) await r.close();
      for (const w of worlds) w.close();
    });

    test.each([
      [false, '3'],
      [true, '0'],
    ])('strict=%s: module state seen by a fourth transaction counts %s earlier call(s)', async (strict, expected) => {
      const rt = setup.createRuntime({ strict });
      const world = setup.createWorld();
      runtimes.push(rt);
      worlds.push(world);
      const call = harness(() => rt, () => world);
      const id = (await rt.install((await packageChaincode({ projectDir: path.join(examples, 'hostile'), label: 'hostile_1' })).packageBytes)).packageId;
      await call(id, 'hostile', ['Ok']);
      await call(id, 'hostile', ['Ok']);
      const third = await call(id, 'hostile', ['Ok']);
      expect(third.response.status).toBe(200);
      const calls = await call(id, 'hostile', ['Calls']);
      expect(text(calls.response.payload)).toBe(expected);
    });
  });
}
