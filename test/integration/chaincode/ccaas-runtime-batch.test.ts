/**
 * Fabric 3's chaincode protocol additions against a server that behaves as a Go chaincode built with
 * fabric-chaincode-go/v2: READY's `ChaincodeAdditionalParams`, GET_STATE_MULTIPLE and
 * WRITE_BATCH_STATE served as Fabric's handler serves them (the same rwset, limits and errors as the
 * single requests), and the peer's KEEPALIVE.
 */
import { WriteRecord } from '@hyperledger/fabric-protos/lib/peer/chaincode_shim_pb';
import { packageCcaas } from '../../../core/chaincode/ccaas-packager';
import type { ChaincodeInvocation, ChaincodeMeter, RuntimeLimits, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { VALIDATION_PARAMETER } from '../../../core/chaincode/host-args';
import { CcaasRuntime, chaincodeProtocol } from '../../../plugins/runtime-ccaas';
import { creator } from '../../unit/core/chaincode/fixtures';
import { MemorySimulator, MemoryWorld } from '../../unit/core/chaincode/memory-simulator';
import { eventually, freePort } from '../peer/network-fixture';
import { type GoShimServer, type Script, startGoShimServer, type Write } from './ccaas-go-shim-server';

const utf8 = new TextDecoder();
const NS = 'svc';
let txCounter = 0;

function invocation(args: string[], isInit = false): ChaincodeInvocation {
  return { chaincodeName: NS, channelId: 'ch', txId: `btx${++txCounter}`, args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1, nanos: 0 }, mspId: 'Org1MSP', ...(isInit ? { isInit } : {}) };
}

interface Run {
  readonly sim: MemorySimulator;
  readonly support: RuntimeSupport;
  /** The shim-request metrics, `type:ok|failed` in order. */
  readonly metrics: string[];
}

function support(world: MemoryWorld, limits?: RuntimeLimits): Run {
  const metrics: string[] = [];
  const meter: ChaincodeMeter = { shimRequest: (type) => ({ received: () => undefined, completed: (ok) => void metrics.push(`${type}:${ok ? 'ok' : 'failed'}`) }), executeTimeout: () => undefined };
  const sim = world.simulator();
  const invokeChaincode = (): never => {
    throw new Error('no callee in these tests');
  };
  return { sim, metrics, support: { simulator: sim, invokeChaincode, metrics: meter, ...(limits !== undefined ? { limits } : {}) } };
}

interface Peer {
  readonly runtime: CcaasRuntime;
  readonly server: GoShimServer;
  readonly packageId: string;
}

const started: Peer[] = [];

/** A Go-shim-like server and a runtime with `options` (the runtime slot's options) that has installed its package. */
async function start(options: Record<string, unknown>, script: (args: string[]) => Script, echoKeepalive = true): Promise<Peer> {
  const port = await freePort();
  const built = await packageCcaas({ label: `go_${port}`, connection: { address: `127.0.0.1:${port}`, dial_timeout: '5s' } });
  const server = await startGoShimServer(built.packageId, port, script, { echoKeepalive });
  const runtime = new CcaasRuntime({ protocol: chaincodeProtocol(options) });
  started.push({ runtime, server, packageId: built.packageId });
  await runtime.install(built.packageBytes);
  return { runtime, server, packageId: built.packageId };
}

afterEach(async () => {
  for (const p of started.splice(0)) {
    await p.runtime.close();
    p.server.stop();
  }
});

function seeded(): MemoryWorld {
  const world = new MemoryWorld();
  const sim = world.simulator('seed');
  for (const [k, v] of [['a', '1'], ['b', '2'], ['c', '3']]) sim.setState(NS, k, Buffer.from(v));
  world.commit(sim);
  return world;
}

/** Everything a transaction recorded: public and private rwsets and key metadata. */
function rwset(sim: MemorySimulator): unknown {
  const pvt = sim.getPrivateSimulationResults();
  return { pub: utf8.decode(sim.getTxSimulationResults()), pvt: pvt === undefined ? undefined : utf8.decode(pvt), meta: [...sim.metaWrites] };
}

const WRITES: Write[] = [
  { type: 'put', key: 'x', value: 'one' },
  { type: 'put', key: 'y', value: 'two' },
  { type: 'put', key: 'x', value: 'three' },
  { type: 'del', key: 'b' },
  { type: 'put', key: 'p1', value: 'secret', collection: 'coll' },
  { type: 'metadata', key: 'a', metakey: VALIDATION_PARAMETER, value: 'ep-bytes' },
];
const work = (): Script => ({ reads: ['a', 'b', 'c', 'missing'], writes: WRITES });
const SINGLE_CALLS = { runtimeParams: { useWriteBatch: false, useGetMultipleKeys: false } };

describe('READY and Fabric 3 batching on a chaincode server', () => {
  it("sends READY with ChaincodeAdditionalParams: Fabric's defaults, or the options", async () => {
    const defaults = await start({}, work);
    const custom = await start({ runtimeParams: { useWriteBatch: false, maxSizeWriteBatch: 5, useGetMultipleKeys: true, maxSizeGetMultipleKeys: 0 } }, work);
    for (const p of [defaults, custom]) expect((await p.runtime.invoke(p.packageId, invocation(['work']), support(seeded()).support)).response.status).toBe(200);
    expect(defaults.server.readyParams).toEqual([{ useWriteBatch: true, maxSizeWriteBatch: 1000, useGetMultipleKeys: true, maxSizeGetMultipleKeys: 1000 }]);
    expect(custom.server.readyParams).toEqual([{ useWriteBatch: false, maxSizeWriteBatch: 5, useGetMultipleKeys: true, maxSizeGetMultipleKeys: 1000 }]);
    expect(custom.server.requests).toEqual(['GET_STATE_MULTIPLE', 'PUT_STATE', 'PUT_STATE', 'DEL_STATE', 'PUT_STATE', 'PUT_STATE_METADATA']);
  });

  it('serves GET_STATE_MULTIPLE and WRITE_BATCH_STATE with the results, rwset and metrics of the single requests', async () => {
    const batched = await start({}, work);
    const single = await start(SINGLE_CALLS, work);
    const world = seeded();
    const [b, s] = [support(world), support(world)];
    const rb = await batched.runtime.invoke(batched.packageId, invocation(['work']), b.support);
    const rs = await single.runtime.invoke(single.packageId, invocation(['work']), s.support);
    expect(batched.server.requests).toEqual(['GET_STATE_MULTIPLE', 'WRITE_BATCH_STATE']);
    expect(single.server.requests).toEqual(['GET_STATE', 'GET_STATE', 'GET_STATE', 'GET_STATE', 'PUT_STATE', 'PUT_STATE', 'DEL_STATE', 'PUT_STATE', 'PUT_STATE_METADATA']);
    expect(rb.response).toEqual({ status: 200, message: '', payload: new Uint8Array(Buffer.from('["1","2","3",""]')) });
    expect(rb.response).toEqual(rs.response);
    expect(rwset(b.sim)).toEqual(rwset(s.sim));
    // The batch's records really are in it: the last write of x, the delete, the private write, the policy.
    expect(b.sim.writes.get(`${NS}\u0000\u0000x`)).toEqual(new Uint8Array(Buffer.from('three')));
    expect(b.sim.writes.has(`${NS}\u0000\u0000b`)).toBe(true);
    expect(b.sim.getPrivateSimulationResults()).toBeDefined();
    expect(b.sim.metaWrites.size).toBe(1);
    expect(b.metrics).toEqual(s.metrics);
  });

  it('takes a batch longer than maxSizeWriteBatch, as Fabric does (the Go shim raises a size under 100 to 100)', async () => {
    const keys = Array.from({ length: 150 }, (_, i) => `k${String(i).padStart(3, '0')}`);
    const writes: Write[] = keys.map((key) => ({ type: 'put', key, value: 'v' }));
    const chunked = await start({ runtimeParams: { maxSizeWriteBatch: 1 } }, () => ({ reads: [], writes }));
    const whole = await start({ runtimeParams: { maxSizeWriteBatch: 10 } }, () => ({ reads: [], writes, oneBatch: true }));
    const [c, w] = [support(new MemoryWorld()), support(new MemoryWorld())];
    expect((await chunked.runtime.invoke(chunked.packageId, invocation(['many']), c.support)).response.status).toBe(200);
    expect((await whole.runtime.invoke(whole.packageId, invocation(['many']), w.support)).response.status).toBe(200);
    expect(chunked.server.requests).toEqual(['WRITE_BATCH_STATE', 'WRITE_BATCH_STATE']);
    expect(whole.server.requests).toEqual(['WRITE_BATCH_STATE']);
    expect(w.sim.writes.size).toBe(150);
    expect(rwset(w.sim)).toEqual(rwset(c.sim));
  });

  it("refuses a batch's bad record with the single request's error, in Fabric's words", async () => {
    const undefinedType = new WriteRecord();
    undefinedType.setKey('u');
    const scripts: Record<string, Write[]> = {
      long: [{ type: 'put', key: 'ok', value: 'v' }, { type: 'put', key: 'k', value: 'too long' }],
      private: [{ type: 'put', key: 'p', value: 'v', collection: 'coll' }],
      metakey: [{ type: 'metadata', key: 'a', metakey: 'other', value: 'x' }],
      unknown: [{ type: 'raw', record: undefinedType }],
    };
    const p = await start({}, (args) => ({ reads: [], writes: scripts[args[0]] }));
    const refusal = async (name: string, isInit = false): Promise<string> => {
      const inv = invocation([name], isInit);
      const r = await p.runtime.invoke(p.packageId, inv, support(new MemoryWorld(), { maxValueBytes: 4 }).support);
      expect(r.response.status).toBe(500);
      return r.response.message.replace(`transaction returned with failure: failed send batch: WRITE_BATCH_STATE failed: transaction ID: ${inv.txId}: `, '');
    };
    expect(await refusal('long')).toBe('value for key "k" is 8 bytes, over the limit of 4 bytes');
    expect(await refusal('private', true)).toBe('private data APIs are not allowed in chaincode Init()');
    expect(await refusal('metakey')).toBe(`metadata key "other" is not supported: only ${VALIDATION_PARAMETER} (a key-level endorsement policy) can be set`);
    expect(await refusal('unknown')).toBe('unknown operation type');
  });

  it('sends KEEPALIVE every keepalive seconds and keeps a stream whose server never answers one', async () => {
    const p = await start({ keepalive: 1 }, work, false);
    expect((await p.runtime.invoke(p.packageId, invocation(['work']), support(seeded()).support)).response.status).toBe(200);
    await eventually(() => expect(p.server.keepalives).toBeGreaterThanOrEqual(2));
    expect((await p.runtime.invoke(p.packageId, invocation(['work']), support(seeded()).support)).response.status).toBe(200);
    // Still the first stream: one REGISTER/READY exchange.
    expect(p.server.readyParams).toHaveLength(1);
  });
});
