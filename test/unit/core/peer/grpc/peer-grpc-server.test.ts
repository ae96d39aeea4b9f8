import * as grpc from '@grpc/grpc-js';
import { NodeLogging } from '../../../../../core/node/logger';
import { PeerGrpcServer, type PeerServices } from '../../../../../core/peer/grpc/peer-grpc-server';
import { eventually } from '../../../../integration/peer/network-fixture';

const raw = (b: Buffer): Buffer => b;

describe('PeerGrpcServer', () => {
  it('ends a ChaincodeEvents stream whose client stopped reading and then left (its block listener is not kept)', async () => {
    const state = { sent: 0, waiting: false, aborted: false, finished: false };
    // Stands for the Gateway's chaincode event stream: one response per block with events.
    const gateway = {
      chaincodeEvents: async (_req: Uint8Array, send: (res: Uint8Array) => Promise<void>, signal: AbortSignal): Promise<void> => {
        signal.addEventListener('abort', () => (state.aborted = true));
        try {
          while (!signal.aborted) {
            state.waiting = true;
            await send(Buffer.alloc(256 * 1024, 1));
            state.waiting = false;
            state.sent++;
          }
        } finally {
          state.finished = true;
        }
      },
      close: () => undefined,
    };
    const services = { endorser: {}, deliver: {}, gateway } as unknown as PeerServices;
    const server = new PeerGrpcServer(services, new NodeLogging('silent').logger('test'), { endorserService: 0, deliverService: 0, gatewayService: 0 });
    const port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = client.makeServerStreamRequest('/gateway.Gateway/ChaincodeEvents', raw, raw, Buffer.alloc(0));
      call.on('error', () => undefined);
      // No 'data' listener: the client reads nothing, so flow control holds the server's writes back.
      await eventually(() => {
        const sent = state.sent;
        expect(state.waiting && sent > 0).toBe(true);
        return sent;
      });
      call.cancel();
      await eventually(() => expect(state).toMatchObject({ aborted: true, finished: true }));
    } finally {
      client.close();
      await server.stop();
    }
  }, 60_000);

  it('ends a Deliver stream with the error when serving its request fails, as Fabric (the stream is not left open without a status)', async () => {
    const deliver = { serve: () => Promise.reject(new Error('ledger closed under the request')) };
    const services = { endorser: {}, deliver } as unknown as PeerServices;
    const server = new PeerGrpcServer(services, new NodeLogging('silent').logger('test'), { endorserService: 0, deliverService: 0, gatewayService: 0 });
    const port = await server.start('127.0.0.1:0', { enabled: false, clientAuthRequired: false, rootCertFiles: [] } as never);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      const call = client.makeBidiStreamRequest('/protos.Deliver/Deliver', raw, raw);
      const ended = new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
      call.on('data', () => undefined);
      call.write(Buffer.alloc(1));
      expect(await ended).toMatchObject({ code: grpc.status.UNKNOWN, details: 'ledger closed under the request' });
    } finally {
      client.close();
      await server.stop();
    }
  }, 60_000);
});
