import * as grpc from '@grpc/grpc-js';
import { NodeLogging } from '../../../../../core/node/logger';
import { ENDORSE_CANCEL_HEADER, decodeEndorseFrame, encodeEndorseCancel, encodeEndorseFrame } from '../../../../../core/peer/grpc/endorse-stream-frame';
import { PeerGrpcServer, type PeerServices } from '../../../../../core/peer/grpc/peer-grpc-server';

const raw = (b: Buffer): Buffer => b;
const text = (s: string): Uint8Array => Buffer.from(s, 'utf8');

/** A PeerGrpcServer on loopback whose endorser is `processProposal`, and a client of its endorsement stream. */
async function endorsingPeer(processProposal: (body: Uint8Array, options: { signal: AbortSignal }) => Promise<Uint8Array>): Promise<{ call: grpc.ClientDuplexStream<Buffer, Buffer>; close(): Promise<void> }> {
  const services = { endorser: { processProposal }, deliver: {} } as unknown as PeerServices;
  const server = new PeerGrpcServer(services, new NodeLogging('silent').logger('test'));
  const port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest('/weft.peer.EndorserStream/ProcessProposals', raw, raw);
  return {
    call,
    close: async () => {
      client.close();
      await server.stop();
    },
  };
}

describe('the endorsement stream a peer serves to other peers', () => {
  it('answers each proposal with its id as it completes, announces cancel frames, and a cancel aborts only its own proposal', async () => {
    const aborted: string[] = [];
    const peer = await endorsingPeer((body, { signal }) => {
      const name = Buffer.from(body).toString();
      if (name === 'fast') return Promise.resolve(text('fast answered'));
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => {
          aborted.push(name);
          resolve(text(`${name} answered after: ${(signal.reason as Error).message}`));
        }),
      );
    });
    try {
      const { call } = peer;
      const metadata = new Promise<grpc.Metadata>((resolve) => call.on('metadata', resolve));
      const answers: { id: number; body: string }[] = [];
      const arrived: (() => void)[] = [];
      call.on('data', (bytes: Buffer) => {
        const frame = decodeEndorseFrame(bytes);
        answers.push({ id: frame.id, body: Buffer.from(frame.body).toString() });
        arrived.shift()?.();
      });
      const next = (): Promise<void> => new Promise((resolve) => arrived.push(resolve));
      const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));

      let answered = next();
      call.write(Buffer.from(encodeEndorseFrame(1, text('slow'))));
      call.write(Buffer.from(encodeEndorseFrame(2, text('fast'))));
      await answered;
      expect(answers).toEqual([{ id: 2, body: 'fast answered' }]);
      expect((await metadata).get(ENDORSE_CANCEL_HEADER)).toEqual(['1']);

      answered = next();
      call.write(Buffer.from(encodeEndorseCancel(1)));
      await answered;
      expect(answers[1]).toEqual({ id: 1, body: 'slow answered after: the gateway that sent it cancelled the proposal: its client stopped waiting' });
      expect(aborted).toEqual(['slow']);

      // Nothing left in flight: the stream ends as soon as the sender ends its side.
      call.end();
      expect((await status).code).toBe(grpc.status.OK);
    } finally {
      await peer.close();
    }
  }, 60_000);

  it('ends the stream with INVALID_ARGUMENT naming what is wrong when a frame does not decode', async () => {
    const proposals: Uint8Array[] = [];
    const peer = await endorsingPeer((body) => {
      proposals.push(body);
      return Promise.resolve(text('answered'));
    });
    try {
      const { call } = peer;
      const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
      call.on('data', () => undefined);
      // A frame with a body but no id.
      call.write(Buffer.from([0x12, 0x01, 0x61]));
      expect(await ended).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: 'endorsement stream frame: id is missing' });
      expect(proposals).toEqual([]);
    } finally {
      await peer.close();
    }
  }, 60_000);
});
