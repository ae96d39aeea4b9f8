/**
 * The chaincode-as-a-service runtime alone against real chaincode servers (child processes, and one
 * in-test gRPC server that speaks garbage): requests served through the host table with its limits
 * and metrics, transactions side by side on one stream, the execute timeout, and what a broken
 * server costs.
 */
import * as grpc from '@grpc/grpc-js';
import { ChaincodeID } from '@hyperledger/fabric-protos/lib/peer/chaincode_pb';
import { ChaincodeMessage } from '@hyperledger/fabric-protos/lib/peer/chaincode_shim_pb';
import { packageCcaas } from '../../../core/chaincode/ccaas-packager';
import type { ChaincodeInvocation, ChaincodeMeter, ChaincodeRuntime, ChaincodeResponse, RuntimeLimits, RuntimeSupport } from '../../../core/chaincode/chaincode-runtime';
import { ChaincodeError } from '../../../core/errors';
import { CcaasRuntime } from '../../../plugins/runtime-ccaas';
import { creator } from '../../unit/core/chaincode/fixtures';
import { MemoryWorld } from '../../unit/core/chaincode/memory-simulator';
import { freePort } from '../peer/network-fixture';
import { type ServerProcess, startShimServer } from './ccaas-server-process';

const utf8 = new TextDecoder();
let txCounter = 0;

function invocation(...args: string[]): ChaincodeInvocation {
  return { chaincodeName: 'svc', channelId: 'ch', txId: `tx${++txCounter}`, args: args.map((a) => Buffer.from(a)), creator: creator('user1'), timestamp: { seconds: 1, nanos: 0 }, mspId: 'Org1MSP' };
}

interface Recorded {
  readonly support: RuntimeSupport;
  /** `type:received` and `type:ok|failed` per shim request, in order. */
  readonly requests: string[];
  readonly calls: { name: string; args: string[]; channel: string }[];
  timeouts: number;
}

function support(world: MemoryWorld, limits?: RuntimeLimits, callee?: ChaincodeResponse): Recorded {
  const recorded: Recorded = { requests: [], calls: [], timeouts: 0, support: undefined as unknown as RuntimeSupport };
  const metrics: ChaincodeMeter = {
    shimRequest: (type) => ({ received: () => void recorded.requests.push(`${type}:received`), completed: (ok) => void recorded.requests.push(`${type}:${ok ? 'ok' : 'failed'}`) }),
    executeTimeout: () => void recorded.timeouts++,
  };
  const invokeChaincode = (name: string, args: readonly Uint8Array[], channel: string): ChaincodeResponse => {
    recorded.calls.push({ name, args: args.map((a) => utf8.decode(a)), channel });
    return callee ?? { status: 200, message: '', payload: Buffer.from('from-callee') };
  };
  return Object.assign(recorded, { support: { simulator: world.simulator(), invokeChaincode, metrics, ...(limits !== undefined ? { limits } : {}) } });
}

describe('the ccaas runtime against a fabric-shim chaincode server', () => {
  const runtime = new CcaasRuntime();
  let server: ServerProcess;
  let packageId: string;

  beforeAll(async () => {
    const port = await freePort();
    const built = await packageCcaas({ label: 'svc_1', connection: { address: `127.0.0.1:${port}`, dial_timeout: '10s' } });
    packageId = built.packageId;
    server = await startShimServer(packageId, port);
    expect(await runtime.install(built.packageBytes)).toEqual({ packageId, label: 'svc_1' });
  });

  afterAll(async () => {
    await runtime.close();
    await server?.stop();
  });

  it('serves each request through the host table, counted per Fabric message type', async () => {
    const world = new MemoryWorld();
    const put = support(world);
    const result = await runtime.invoke(packageId, invocation('put', 'k1', 'v1'), put.support);
    expect(result.response).toEqual({ status: 200, message: '', payload: new Uint8Array(Buffer.from('v1')) });
    expect(put.requests).toEqual(['PUT_STATE:received', 'PUT_STATE:ok']);
    world.commit(put.support.simulator as ReturnType<MemoryWorld['simulator']>);
    const range = support(world);
    expect(utf8.decode((await runtime.invoke(packageId, invocation('range', 'k', 'l'), range.support)).response.payload)).toBe('["k1"]');
    // The chaincode closes its iterator after the last batch, as fabric-shim's iterators do.
    expect(range.requests).toEqual(['GET_STATE_BY_RANGE:received', 'GET_STATE_BY_RANGE:ok', 'QUERY_STATE_CLOSE:received', 'QUERY_STATE_CLOSE:ok']);
  });

  it('answers a request over a limit with ERROR in Fabric words, which the chaincode returns', async () => {
    const tooBig = support(new MemoryWorld(), { maxValueBytes: 4 });
    const inv = invocation('put', 'k', 'too long');
    const result = await runtime.invoke(packageId, inv, tooBig.support);
    expect(result.response.status).toBe(500);
    expect(result.response.message).toBe(`PUT_STATE failed: transaction ID: ${inv.txId}: value for key "k" is 8 bytes, over the limit of 4 bytes`);
    expect(tooBig.requests).toEqual(['PUT_STATE:received', 'PUT_STATE:failed']);
  });

  it('passes INVOKE_CHAINCODE to the peer, with the channel a name/channel callee names', async () => {
    const call = support(new MemoryWorld());
    const result = await runtime.invoke(packageId, invocation('call', 'other/ch2', 'Get', 'x'), call.support);
    expect(utf8.decode(result.response.payload)).toBe('from-callee');
    expect(call.calls).toEqual([{ name: 'other', args: ['Get', 'x'], channel: 'ch2' }]);
  });

  it('times a transaction out without holding up the others on the stream', async () => {
    const world = new MemoryWorld();
    const hung = support(world, { timeoutMs: 1_000 });
    const hanging = runtime.invoke(packageId, invocation('hang'), hung.support);
    // Runs and completes on the same stream while the other one hangs.
    const other = support(world);
    expect((await runtime.invoke(packageId, invocation('put', 'a', 'b'), other.support)).response.status).toBe(200);
    const timedOut = await hanging;
    expect(timedOut.response.status).toBe(500);
    expect(timedOut.response.message).toContain('timeout expired while executing transaction (limit 1000 ms)');
    expect(hung.timeouts).toBe(1);
    expect((await runtime.invoke(packageId, invocation('put', 'c', 'd'), support(world).support)).response.status).toBe(200);
  });

  it('refuses a synchronous chaincode-to-chaincode call into a server, saying why', () => {
    const asSlot: ChaincodeRuntime = runtime;
    const call = (): unknown => asSlot.invokeSync(packageId, invocation('get', 'k'), support(new MemoryWorld()).support);
    expect(call).toThrow(expect.objectContaining({ code: 'CHAINCODE_SYNC_UNSUPPORTED', message: expect.stringContaining('runs synchronously on the peer\'s thread') }) as Error);
    expect(() => asSlot.invokeSync('nope:00', invocation('get', 'k'), support(new MemoryWorld()).support)).toThrow(expect.objectContaining({ code: 'CHAINCODE_NOT_INSTALLED' }) as Error);
  });
});

describe('the ccaas runtime against a server that sends garbage', () => {
  it('fails the transaction with a 500 naming the package and address, and dials again for the next', async () => {
    const port = await freePort();
    const built = await packageCcaas({ label: 'garbage_1', connection: { address: `127.0.0.1:${port}`, dial_timeout: '5s' } });
    let connections = 0;
    const server = new grpc.Server();
    // A real gRPC server on the Chaincode service: it registers properly, then answers a transaction with bytes that are no ChaincodeMessage.
    server.addService(
      { connect: { path: '/protos.Chaincode/Connect', requestStream: true, responseStream: true, requestSerialize: (b: Buffer) => b, requestDeserialize: (b: Buffer) => b, responseSerialize: (b: Buffer) => b, responseDeserialize: (b: Buffer) => b } },
      {
        connect: (stream: grpc.ServerDuplexStream<Buffer, Buffer>) => {
          connections++;
          const register = new ChaincodeMessage();
          register.setType(ChaincodeMessage.Type.REGISTER);
          const id = new ChaincodeID();
          id.setName(built.packageId);
          register.setPayload(id.serializeBinary());
          stream.write(Buffer.from(register.serializeBinary()));
          stream.on('data', (b: Buffer) => {
            if (ChaincodeMessage.deserializeBinary(b).getType() === ChaincodeMessage.Type.TRANSACTION) stream.write(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
          });
          stream.on('error', () => undefined);
        },
      },
    );
    await new Promise<void>((resolve, reject) => server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
    const runtime = new CcaasRuntime();
    try {
      await runtime.install(built.packageBytes);
      const first = await runtime.invoke(built.packageId, invocation('put', 'k', 'v'), support(new MemoryWorld()).support);
      expect(first.response.status).toBe(500);
      expect(first.response.message).toContain(`chaincode stream terminated`);
      expect(first.response.message).toContain(`chaincode ${built.packageId} at 127.0.0.1:${port}`);
      const second = await runtime.invoke(built.packageId, invocation('put', 'k', 'v'), support(new MemoryWorld()).support);
      expect(second.response.status).toBe(500);
      expect(connections).toBe(2);
    } finally {
      await runtime.close();
      server.forceShutdown();
    }
  });

  it('throws CHAINCODE_UNREACHABLE naming the package and address when nothing listens', async () => {
    const port = await freePort();
    const built = await packageCcaas({ label: 'nobody_1', connection: { address: `127.0.0.1:${port}`, dial_timeout: '200ms' } });
    const runtime = new CcaasRuntime();
    try {
      await runtime.install(built.packageBytes);
      const err = await runtime.invoke(built.packageId, invocation('get', 'k'), support(new MemoryWorld()).support).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ChaincodeError);
      expect(err).toMatchObject({ code: 'CHAINCODE_UNREACHABLE', details: { packageId: built.packageId, address: `127.0.0.1:${port}` } });
    } finally {
      await runtime.close();
    }
  });
});
