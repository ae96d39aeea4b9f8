import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { GrpcServerMetrics, grpcCodeName, serviceMethod } from '../../../core/node/operations/grpc-server-metrics';
import { sample } from '../../support/prometheus-text';

const raw = (b: Buffer): Buffer => b;
const SERVICE: grpc.ServiceDefinition = {
  Echo: { path: '/test.v1.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
  Chat: { path: '/test.v1.Echo/Chat', requestStream: true, responseStream: true, requestSerialize: raw, requestDeserialize: raw, responseSerialize: raw, responseDeserialize: raw },
};

describe('GrpcServerMetrics: Fabric’s gRPC server metrics from a grpc-js interceptor (real server on loopback)', () => {
  let server: grpc.Server;
  let client: grpc.Client;
  let registry: Registry;
  let port: number;
  let unwatch: () => void;

  beforeAll(async () => {
    registry = new Registry();
    const metrics = new GrpcServerMetrics(registry);
    server = new grpc.Server({ interceptors: [metrics.interceptor] });
    server.addService(SERVICE, {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        call.request.toString() === 'fail' ? cb({ code: grpc.status.PERMISSION_DENIED, details: 'no' }) : cb(null, call.request),
      // Echoes each message twice; after 'hold' it never ends the call, so only the client can (by cancelling).
      Chat: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
        let held = false;
        call.on('data', (b: Buffer) => {
          held ||= b.toString() === 'hold';
          call.write(b);
          call.write(b);
        });
        call.on('end', () => {
          if (!held) call.end();
        });
      },
    });
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    unwatch = metrics.watchConnections(port);
    client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });

  afterAll(() => {
    unwatch?.();
    client?.close();
    server?.forceShutdown();
  });

  const unary = (body: string): Promise<grpc.ServiceError | null> =>
    new Promise((resolve) => client.makeUnaryRequest('/test.v1.Echo/Echo', raw, raw, Buffer.from(body), (err) => resolve(err)));

  it('names services and codes as Fabric does', () => {
    expect(serviceMethod('/protos.Endorser/ProcessProposal')).toEqual({ service: 'protos_Endorser', method: 'ProcessProposal' });
    expect(serviceMethod('/odd')).toEqual({ service: 'unknown', method: 'unknown' });
    expect([grpcCodeName(grpc.status.OK), grpcCodeName(grpc.status.FAILED_PRECONDITION), grpcCodeName(42)]).toEqual(['OK', 'FailedPrecondition', 'Code(42)']);
  });

  it('counts unary calls by outcome, stream calls with their messages, a cancelled stream, and never an unregistered method', async () => {
    expect(await unary('a')).toBeNull();
    expect(await unary('b')).toBeNull();
    expect((await unary('fail'))?.code).toBe(grpc.status.PERMISSION_DENIED);

    const chat = client.makeBidiStreamRequest('/test.v1.Echo/Chat', raw, raw);
    let answers = 0;
    chat.on('data', () => answers++);
    const ended = new Promise<grpc.StatusObject>((resolve) => chat.on('status', resolve));
    for (const m of ['x', 'y', 'z']) chat.write(Buffer.from(m));
    chat.end();
    expect((await ended).code).toBe(grpc.status.OK);
    expect(answers).toBe(6);

    const cancelled = client.makeBidiStreamRequest('/test.v1.Echo/Chat', raw, raw);
    cancelled.on('error', () => undefined);
    await new Promise<void>((resolve) => {
      cancelled.once('data', () => resolve());
      cancelled.write(Buffer.from('hold'));
    });
    cancelled.cancel();

    const missing = await new Promise<grpc.ServiceError | null>((resolve) => client.makeUnaryRequest('/test.v1.Echo/Nope', raw, raw, Buffer.from('n'), (err) => resolve(err)));
    expect(missing?.code).toBe(grpc.status.UNIMPLEMENTED);

    const echo = { service: 'test_v1_Echo', method: 'Echo' };
    const chatLabels = { service: 'test_v1_Echo', method: 'Chat' };
    // The server sees the cancellation a moment after the client.
    let text = '';
    for (let i = 0; i < 100 && sample(text, 'grpc_server_stream_requests_completed', { ...chatLabels, code: 'Canceled' }) === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      text = await registry.metrics();
    }
    expect(sample(text, 'grpc_server_unary_requests_received', echo)).toBe(3);
    expect(sample(text, 'grpc_server_unary_requests_completed', { ...echo, code: 'OK' })).toBe(2);
    expect(sample(text, 'grpc_server_unary_requests_completed', { ...echo, code: 'PermissionDenied' })).toBe(1);
    expect(sample(text, 'grpc_server_unary_request_duration_count', { ...echo, code: 'OK' })).toBe(2);
    expect(sample(text, 'grpc_server_unary_request_duration_count', { ...echo, code: 'PermissionDenied' })).toBe(1);
    expect(sample(text, 'grpc_server_stream_requests_received', chatLabels)).toBe(2);
    expect(sample(text, 'grpc_server_stream_requests_completed', { ...chatLabels, code: 'OK' })).toBe(1);
    expect(sample(text, 'grpc_server_stream_requests_completed', { ...chatLabels, code: 'Canceled' })).toBe(1);
    expect(sample(text, 'grpc_server_stream_request_duration_count', { ...chatLabels, code: 'OK' })).toBe(1);
    expect(sample(text, 'grpc_server_stream_messages_received', chatLabels)).toBe(4);
    expect(sample(text, 'grpc_server_stream_messages_sent', chatLabels)).toBe(8);
    expect(sample(text, 'grpc_server_stream_request_duration_count', { ...chatLabels, code: 'Canceled' })).toBe(1);
    expect(text).not.toContain('Nope');
    // Counts reach the registry when scraped, once: a second scrape shows the same totals.
    expect(sample(await registry.metrics(), 'grpc_server_unary_requests_received', echo)).toBe(3);
  });

  it("counts the server's connections, not its calls nor another server's connections", async () => {
    const before = await registry.metrics();
    expect(before).toContain('# TYPE grpc_comm_conn_opened counter\n');
    expect(before).toContain('# HELP grpc_comm_conn_closed gRPC connections closed. Open minus closed is the active number of connections.\n');
    const opened = sample(before, 'grpc_comm_conn_opened');
    const closed = sample(before, 'grpc_comm_conn_closed');
    // Another server of the process: its connections are not this server's.
    const other = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => net.connect((other.address() as net.AddressInfo).port, '127.0.0.1').once('close', () => resolve()).on('error', () => undefined));
    other.close();
    // A client of its own: one connection for three calls.
    // A local subchannel pool: grpc-js would otherwise share the first client's connection.
    const second = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const call = (): Promise<grpc.ServiceError | null> =>
      new Promise((resolve) => second.makeUnaryRequest('/test.v1.Echo/Echo', raw, raw, Buffer.from('c'), (err) => resolve(err)));
    for (let i = 0; i < 3; i++) expect(await call()).toBeNull();
    expect(sample(await registry.metrics(), 'grpc_comm_conn_opened') - opened).toBe(1);
    second.close();
    let text = '';
    for (let i = 0; i < 100 && sample(text, 'grpc_comm_conn_closed') - closed < 1; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 20));
      text = await registry.metrics();
    }
    expect(sample(text, 'grpc_comm_conn_closed') - closed).toBe(1);
    expect(sample(text, 'grpc_comm_conn_opened') - opened).toBe(1);
  });
});
