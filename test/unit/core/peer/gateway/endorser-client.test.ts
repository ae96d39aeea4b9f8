import * as grpc from '@grpc/grpc-js';
import { decodeEndorseFrame, encodeEndorseFrame } from '../../../../../core/peer/grpc/endorse-stream-frame';
import { EndorserServiceDef, EndorserStreamDef } from '../../../../../core/peer/grpc/raw-service';
import { RemoteEndorser } from '../../../../../core/peer/gateway/endorser-client';
import { message, uintField } from '../../../../../core/protocol/wire-writer';

type Duplex = grpc.ServerDuplexStream<Buffer, Uint8Array>;

/** The answer a test server gives to a proposal: its bytes reversed, so pairing mistakes show. */
const answer = (proposal: Uint8Array): Uint8Array => Uint8Array.from(proposal).reverse();
const bytes = (s: string): Uint8Array => Buffer.from(s);

interface TestServer {
  readonly address: string;
  unaryCalls: number;
  streams: number;
  stop(): Promise<void>;
}

/** A real gRPC server on loopback; `stream` undefined = a Fabric peer (unary `protos.Endorser` only). */
async function startServer(stream?: (call: Duplex, server: TestServer) => void): Promise<TestServer> {
  const server = new grpc.Server();
  const state: TestServer = { address: '', unaryCalls: 0, streams: 0, stop: () => new Promise<void>((r) => server.tryShutdown(() => r())) };
  server.addService(EndorserServiceDef, {
    processProposal: (call: grpc.ServerUnaryCall<Buffer, Uint8Array>, cb: grpc.sendUnaryData<Uint8Array>) => {
      state.unaryCalls++;
      cb(null, answer(call.request));
    },
  });
  if (stream !== undefined) {
    server.addService(EndorserStreamDef, {
      processProposals: (call: Duplex) => {
        state.streams++;
        stream(call, state);
      },
    });
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  (state as { address: string }).address = `127.0.0.1:${port}`;
  return state;
}

describe('endorsement stream frames', () => {
  it('round-trips id and body, and names a missing field', () => {
    const frame = decodeEndorseFrame(encodeEndorseFrame(2 ** 40 + 3, bytes('signed proposal')));
    expect(frame.id).toBe(2 ** 40 + 3);
    expect(Buffer.from(frame.body).toString()).toBe('signed proposal');
    expect(() => decodeEndorseFrame(message(uintField(1, 5)))).toThrow(expect.objectContaining({ code: 'PROTOCOL_MISSING_FIELD', details: { field: 'body' } }));
    expect(() => decodeEndorseFrame(encodeEndorseFrame(0, bytes('x')))).toThrow(expect.objectContaining({ details: { field: 'id' } }));
    expect(() => decodeEndorseFrame(Uint8Array.from([0x12, 0x05, 1]))).toThrow(expect.objectContaining({ code: 'PROTOCOL_MALFORMED' }));
  });
});

describe('RemoteEndorser', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const dial = (server: TestServer): RemoteEndorser => {
    const e = new RemoteEndorser(server.address, 'Org2MSP', {});
    cleanup.push(() => e.close());
    return e;
  };
  const soon = (): number => Date.now() + 5000;

  it('sends every proposal on one stream and pairs answers that come back out of order', async () => {
    const server = await startServer((call) => {
      const held: { id: number; body: Uint8Array }[] = [];
      call.on('data', (req: Buffer) => {
        held.push(decodeEndorseFrame(req));
        // Answer in reverse order once all three are in.
        if (held.length === 3) for (const f of held.reverse()) call.write(encodeEndorseFrame(f.id, answer(f.body)));
      });
    });
    cleanup.push(() => server.stop());
    const e = dial(server);
    const results = await Promise.all(['a1', 'b22', 'c333'].map((p) => e.processProposal(bytes(p), soon())));
    expect(results.map((r) => Buffer.from(r).toString())).toEqual(['1a', '22b', '333c']);
    expect(server.streams).toBe(1);
    expect(server.unaryCalls).toBe(0);
  });

  it('falls back to unary ProcessProposal for a peer without the stream (a Fabric peer)', async () => {
    const server = await startServer();
    cleanup.push(() => server.stop());
    const e = dial(server);
    const first = await Promise.all([e.processProposal(bytes('xy'), soon()), e.processProposal(bytes('pq'), soon())]);
    expect(first.map((r) => Buffer.from(r).toString())).toEqual(['yx', 'qp']);
    expect(Buffer.from(await e.processProposal(bytes('later'), soon())).toString()).toBe('retal');
    expect(server.unaryCalls).toBe(3);
  });

  it('fails the proposals of a stream that ends and opens a new stream for the next one', async () => {
    const server = await startServer((call, s) => {
      call.on('data', (req: Buffer) => {
        const f = decodeEndorseFrame(req);
        if (s.streams === 1) call.end();
        else call.write(encodeEndorseFrame(f.id, answer(f.body)));
      });
    });
    cleanup.push(() => server.stop());
    const e = dial(server);
    await expect(e.processProposal(bytes('lost'), soon())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(Buffer.from(await e.processProposal(bytes('ok'), soon())).toString()).toBe('ko');
    expect(server.streams).toBe(2);
  });

  it('gives up on a proposal at its deadline, and ignores a late answer', async () => {
    let late: (() => void) | undefined;
    const server = await startServer((call) => {
      call.on('data', (req: Buffer) => {
        const f = decodeEndorseFrame(req);
        if (Buffer.from(f.body).toString() === 'slow') late = () => call.write(encodeEndorseFrame(f.id, answer(f.body)));
        else call.write(encodeEndorseFrame(f.id, answer(f.body)));
      });
    });
    cleanup.push(() => server.stop());
    const e = dial(server);
    await expect(e.processProposal(bytes('slow'), Date.now() + 100)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    late?.();
    expect(Buffer.from(await e.processProposal(bytes('next'), soon())).toString()).toBe('txen');
  });

  it('rejects what is in flight when closed', async () => {
    const server = await startServer(() => undefined);
    cleanup.push(() => server.stop());
    const e = new RemoteEndorser(server.address, 'Org2MSP', {});
    const pending = e.processProposal(bytes('never'), soon());
    e.close();
    await expect(pending).rejects.toMatchObject({ code: grpc.status.CANCELLED });
  });
});
