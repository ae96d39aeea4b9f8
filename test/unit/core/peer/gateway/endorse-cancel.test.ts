import * as grpc from '@grpc/grpc-js';
import { wireErrorText } from '../../../../../core/errors';
import {
  ENDORSE_CANCEL_HEADER,
  decodeEndorseFrame,
  decodeEndorseRequest,
  encodeEndorseCancel,
  encodeEndorseFrame,
} from '../../../../../core/peer/grpc/endorse-stream-frame';
import { EndorserStreamDef } from '../../../../../core/peer/grpc/raw-service';
import { RemoteEndorser } from '../../../../../core/peer/gateway/endorser-client';
import { lenField, message, uintField } from '../../../../../core/protocol/wire-writer';

type Duplex = grpc.ServerDuplexStream<Buffer, Uint8Array>;

const bytes = (s: string): Uint8Array => Buffer.from(s);
const text = (b: Uint8Array): string => Buffer.from(b).toString();
/** A frame as the previous version encodes it: `{id = 1, body = 2}`, nothing else. */
const oldFrame = (id: number, body: Uint8Array): Uint8Array => message(uintField(1, id), lenField(2, body, false));

describe('endorsement stream frames across versions', () => {
  it('encodes proposal and answer frames exactly as the previous version, and reads its frames', () => {
    expect(Buffer.from(encodeEndorseFrame(300, bytes('p'))).toString('hex')).toBe(Buffer.from(oldFrame(300, bytes('p'))).toString('hex'));
    for (const decode of [decodeEndorseFrame, decodeEndorseRequest]) {
      const frame = decode(oldFrame(7, bytes('signed proposal')));
      expect(frame).toEqual({ id: 7, body: expect.any(Uint8Array) as unknown });
      expect(text((frame as { body: Uint8Array }).body)).toBe('signed proposal');
    }
  });

  it('reads a cancel frame on the endorsing side, which the previous version refuses (so it is sent only where announced)', () => {
    expect(decodeEndorseRequest(encodeEndorseCancel(2 ** 40 + 1))).toEqual({ id: 2 ** 40 + 1, cancel: true });
    // A cancel carries nothing to run, even with a body.
    expect(decodeEndorseRequest(message(uintField(1, 4), lenField(2, bytes('x'), false), uintField(3, 1)))).toEqual({ id: 4, cancel: true });
    // The previous version's decoder, unchanged as decodeEndorseFrame: a frame without a body ends its stream.
    expect(() => decodeEndorseFrame(encodeEndorseCancel(9))).toThrow(expect.objectContaining({ code: 'PROTOCOL_MISSING_FIELD', details: { field: 'body' } }));
    expect(() => decodeEndorseRequest(encodeEndorseCancel(0))).toThrow(expect.objectContaining({ details: { field: 'id' } }));
    // An unknown field is skipped, as before.
    expect(decodeEndorseRequest(message(uintField(1, 5), lenField(2, bytes('b'), false), uintField(9, 1)))).toMatchObject({ id: 5 });
  });
});

interface StreamServer {
  readonly address: string;
  /** What the server read, in order: `proposal <body>` or `cancel <body of that id>`. */
  readonly seen: string[];
  /** Answers the proposal with that body (its bytes reversed). */
  answer(body: string): void;
  /** Whether a stream ended with an error the server raised. */
  failed: boolean;
  stop(): Promise<void>;
}

/**
 * A real gRPC server holding every proposal until the test answers it. `announces`: this version
 * (initial metadata, cancel frames taken); otherwise the previous version, whose stream ends with
 * INVALID_ARGUMENT on any frame without a body.
 */
async function startStreamServer(announces: boolean): Promise<StreamServer> {
  const server = new grpc.Server();
  const held = new Map<string, { call: Duplex; id: number }>();
  const bodies = new Map<number, string>();
  const state: StreamServer = {
    address: '',
    seen: [],
    failed: false,
    answer: (body) => {
      const h = held.get(body);
      if (h === undefined) throw new Error(`no proposal ${body} held`);
      h.call.write(encodeEndorseFrame(h.id, Buffer.from(body).reverse()));
    },
    stop: () => new Promise<void>((r) => server.tryShutdown(() => r())),
  };
  server.addService(EndorserStreamDef, {
    processProposals: (call: Duplex) => {
      if (announces) {
        const md = new grpc.Metadata();
        md.set(ENDORSE_CANCEL_HEADER, '1');
        call.sendMetadata(md);
      }
      call.on('data', (req: Buffer) => {
        try {
          const frame = announces ? decodeEndorseRequest(req) : decodeEndorseFrame(req);
          if ('cancel' in frame) state.seen.push(`cancel ${bodies.get(frame.id) ?? '?'}`);
          else {
            bodies.set(frame.id, text(frame.body));
            held.set(text(frame.body), { call, id: frame.id });
            state.seen.push(`proposal ${text(frame.body)}`);
          }
        } catch (err) {
          state.failed = true;
          call.emit('error', { code: grpc.status.INVALID_ARGUMENT, details: wireErrorText((err as Error).message) });
        }
      });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  (state as { address: string }).address = `127.0.0.1:${port}`;
  return state;
}

/** Resolves once `check` holds, looking every few milliseconds; rejects after a few seconds (a test would hang otherwise). */
async function until(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i > 600) throw new Error('the server never saw what the test waits for');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * A Gateway's endorsement on another Weft peer goes over a shared stream; when the Gateway's client
 * stops waiting, that one proposal is cancelled on the stream (a peer of this version drops it if
 * still queued), and the others on the stream go on. A peer of the previous version is never sent
 * a cancel frame, which would end its stream.
 */
describe('RemoteEndorser cancelling one proposal on the stream', () => {
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  const soon = (): number => Date.now() + 10_000;
  /** A server and an endorser whose stream is open, one proposal answered on it (so the stream's metadata is in). */
  const start = async (announces: boolean): Promise<{ server: StreamServer; endorser: RemoteEndorser }> => {
    const server = await startStreamServer(announces);
    cleanup.push(() => server.stop());
    const endorser = new RemoteEndorser(server.address, 'Org2MSP', {});
    cleanup.push(() => endorser.close());
    const hello = endorser.processProposal(bytes('hello'), soon());
    await until(() => server.seen.length === 1);
    server.answer('hello');
    await hello;
    server.seen.length = 0;
    return { server, endorser };
  };

  it('sends a cancel frame for the aborted proposal, rejects it CANCELLED, and the other proposal on the stream is answered', async () => {
    const { server, endorser } = await start(true);
    const gone = new AbortController();
    const leaving = endorser.processProposal(bytes('leaving'), soon(), undefined, gone.signal).then(
      () => 'answered',
      (err: grpc.ServiceError) => err.code,
    );
    const staying = endorser.processProposal(bytes('staying'), soon());
    await until(() => server.seen.length === 2);
    gone.abort(new Error('the client cancelled the call'));
    expect(await leaving).toBe(grpc.status.CANCELLED);
    await until(() => server.seen.length === 3);
    server.answer('staying');
    expect(text(await staying)).toBe('gniyats');
    expect(server.seen).toEqual(['proposal leaving', 'proposal staying', 'cancel leaving']);
    // An answer that crossed the cancel is dropped, and the stream goes on.
    server.answer('leaving');
    const next = endorser.processProposal(bytes('next'), soon());
    await until(() => server.seen.length === 4);
    server.answer('next');
    expect(text(await next)).toBe('txen');
    expect(server.failed).toBe(false);
  });

  it('cancels on the stream a proposal whose deadline passes, while another keeps the stream open', async () => {
    const { server, endorser } = await start(true);
    const other = endorser.processProposal(bytes('other'), soon());
    await expect(endorser.processProposal(bytes('slow'), Date.now() + 200)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
    await until(() => server.seen.length === 3);
    server.answer('other');
    expect(text(await other)).toBe('rehto');
    expect(server.seen).toEqual(['proposal other', 'proposal slow', 'cancel slow']);
  });

  it('sends no cancel frame to a peer of the previous version: its stream and the proposals on it go on', async () => {
    const { server, endorser } = await start(false);
    const gone = new AbortController();
    const leaving = endorser.processProposal(bytes('leaving'), soon(), undefined, gone.signal).then(
      () => 'answered',
      (err: grpc.ServiceError) => err.code,
    );
    const staying = endorser.processProposal(bytes('staying'), soon());
    await until(() => server.seen.length === 2);
    gone.abort(new Error('the client cancelled the call'));
    expect(await leaving).toBe(grpc.status.CANCELLED);
    // Had a cancel frame gone out, the old peer would have failed the stream and 'staying' with it.
    server.answer('leaving');
    server.answer('staying');
    expect(text(await staying)).toBe('gniyats');
    expect(server.seen).toEqual(['proposal leaving', 'proposal staying']);
    expect(server.failed).toBe(false);
  });

  /** A fresh endorser whose first two proposals are sent and one of them cancelled before the stream's initial metadata can be in. */
  const cancelFirstRoundTrip = async (announces: boolean): Promise<StreamServer> => {
    const server = await startStreamServer(announces);
    cleanup.push(() => server.stop());
    const endorser = new RemoteEndorser(server.address, 'Org2MSP', {});
    cleanup.push(() => endorser.close());
    const gone = new AbortController();
    const leaving = endorser.processProposal(bytes('leaving'), soon(), undefined, gone.signal).catch((err: grpc.ServiceError) => err.code);
    const staying = endorser.processProposal(bytes('staying'), soon());
    gone.abort(new Error('the client cancelled the call'));
    expect(await leaving).toBe(grpc.status.CANCELLED);
    await until(() => server.seen.length >= 2);
    server.answer('staying');
    expect(text(await staying)).toBe('gniyats');
    return server;
  };

  it('a proposal cancelled before the peer announced cancel frames is cancelled once it has', async () => {
    const server = await cancelFirstRoundTrip(true);
    await until(() => server.seen.length === 3);
    expect(server.seen).toEqual(['proposal leaving', 'proposal staying', 'cancel leaving']);
    expect(server.failed).toBe(false);
  });

  it('a proposal cancelled before a peer of the previous version answered is never cancelled on its stream', async () => {
    const server = await cancelFirstRoundTrip(false);
    const endorser = new RemoteEndorser(server.address, 'Org2MSP', {});
    cleanup.push(() => endorser.close());
    // A later stream's proposal is read after anything the first stream sent.
    const later = endorser.processProposal(bytes('later'), soon());
    await until(() => server.seen.length === 3);
    server.answer('later');
    await later;
    expect(server.seen).toEqual(['proposal leaving', 'proposal staying', 'proposal later']);
    expect(server.failed).toBe(false);
  });

  it('an aborted signal sends nothing at all', async () => {
    const { server, endorser } = await start(true);
    await expect(endorser.processProposal(bytes('never'), soon(), undefined, AbortSignal.abort())).rejects.toMatchObject({ code: grpc.status.CANCELLED });
    const next = endorser.processProposal(bytes('next'), soon());
    await until(() => server.seen.length === 1);
    server.answer('next');
    await next;
    expect(server.seen).toEqual(['proposal next']);
  });
});
